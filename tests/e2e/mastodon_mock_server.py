"""A mastodon-mock server (PyPI ``mastodon-mock``, a FastAPI mock of the Mastodon REST API) in a subprocess.

``python -m mastodon_mock serve --config FILE --host 127.0.0.1 --port N`` runs the mock with an in-memory
SQLite database seeded from FILE (accounts with fixed access tokens, follows). The mock also serves
``/api/v1/_mock/*``: ``reset`` (drop everything, seed again) and ``faults`` (answer the next matching request
with a status, a rate limit, added latency...), which the end-to-end tests use. Nothing here touches the
network beyond 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

OWNER_TOKEN = "portevoix-e2e-owner-token"
FAN_TOKEN = "portevoix-e2e-fan-token"
STARTUP_TIMEOUT = 30.0  # seconds; the mock starts in 1-3 s (FastAPI and SQLAlchemy imports)

CONFIG = """\
url_scheme = "http"
domain = "127.0.0.1:{port}"
media_storage_path = "{media}"

[database]
path = ":memory:"

[[seed.accounts]]
username = "portevoix"
display_name = "Portevoix E2E"
access_token = "{owner}"

[[seed.accounts]]
username = "fan"
display_name = "A Fan"
access_token = "{fan}"

[[seed.follows]]
follower = "fan"
following = "portevoix"
"""


@dataclass
class MockMastodon:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path

    def call(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> httpx.Response:
        """A request straight to the mock (setting up a scenario, or checking what the connector did)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with httpx.Client(base_url=self.base_url, timeout=10) as http:
            return http.request(method, path, headers=headers, **kwargs)

    def reset(self) -> None:
        self.call("POST", "/api/v1/_mock/reset").raise_for_status()

    def add_fault(self, rule: dict[str, Any]) -> None:
        self.call("POST", "/api/v1/_mock/faults", json=rule).raise_for_status()

    def log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-3000:]
        except OSError:
            return ""


def installed() -> bool:
    return importlib.util.find_spec("mastodon_mock") is not None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_ready(server: MockMastodon, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        with contextlib.suppress(httpx.HTTPError):
            if server.call("GET", "/api/v2/instance").status_code == 200:
                return True
        time.sleep(0.05)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextlib.contextmanager
def running(directory: Path, *, attempts: int = 3) -> Iterator[MockMastodon]:
    """Start the mock on a free 127.0.0.1 port, yield it, and always stop it."""
    failure = ""
    for attempt in range(attempts):
        port = _free_port()
        config = directory / f"mastodon_mock-{attempt}.toml"
        media = directory / "media"
        media.mkdir(exist_ok=True)
        config.write_text(CONFIG.format(port=port, media=media, owner=OWNER_TOKEN, fan=FAN_TOKEN))
        log = directory / f"mastodon_mock-{attempt}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "mastodon_mock",
                    "serve",
                    "--config",
                    str(config),
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--log-level",
                    "warning",
                ],
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=directory,  # away from the repository's pyproject.toml
            )
        server = MockMastodon(base_url=f"http://127.0.0.1:{port}", process=process, log=log)
        try:
            if _wait_until_ready(server, time.monotonic() + STARTUP_TIMEOUT):
                yield server
                return
            failure = server.log_tail()  # the port was taken meanwhile, or the mock failed: try again
        finally:
            _stop(process)
    raise RuntimeError(f"mastodon-mock did not start after {attempts} attempts:\n{failure}")
