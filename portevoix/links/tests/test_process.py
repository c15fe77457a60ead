"""No click is lost on a graceful restart: ``portevoix web`` serves redirects, is sent SIGTERM, and every
click it answered is in the database afterwards (the writer's interval is set to an hour, so only the
flush on lifespan shutdown can have stored them)."""

from __future__ import annotations

import signal
import socket
import sqlite3
import subprocess
import sys
import time

import httpx
import pytest

from portevoix.links.tests.mmdb import build

pytestmark = pytest.mark.process

SETUP = """
from portevoix.accounts.models import User
from portevoix.workspaces import services
from portevoix.workspaces.models import Membership
from portevoix.links.services import link_create
owner = User.objects.create_user("owner@example.com", "a-long-passphrase-1")
workspace = services.workspace_create(user=owner, name="Acme", timezone_name="UTC", language="en")
link = link_create(by=Membership.objects.get(user=owner), url="https://shop.example/")
print(link.code)
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def portevoix(*args: str) -> list[str]:
    return [sys.executable, "-m", "portevoix", *args]


def test_sigterm_flushes_every_click(tmp_path):
    import os

    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "HOST", "PORT"}}
    geoip = tmp_path / "country.mmdb"
    geoip.write_bytes(build("81.2.69.0/24", {"country": {"iso_code": "GB"}}))
    env.update(
        PORTEVOIX_DATA_DIR=str(tmp_path),
        PORTEVOIX_LINKS_FLUSH_SECONDS="3600",
        PORTEVOIX_GEOIP_PATH=str(geoip),
        FORWARDED_ALLOW_IPS="127.0.0.1",  # the test plays the reverse proxy
        PYTHONUNBUFFERED="1",
    )
    subprocess.run(portevoix("migrate", "--noinput", "-v", "0"), env=env, check=True, timeout=180)
    code = (
        subprocess.run(
            portevoix("shell", "-c", SETUP), env=env, check=True, timeout=60, capture_output=True, text=True
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    log = (tmp_path / "web.log").open("w")
    server = subprocess.Popen(
        portevoix("web", "--port", str(port), "--no-access-log"),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}/l/{code}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.head(url, timeout=1)
                break
            except httpx.TransportError:
                assert server.poll() is None, (tmp_path / "web.log").read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        sent = 300
        with httpx.Client(timeout=5) as client:
            for number in range(sent):
                headers = {"User-Agent": f"Mozilla/5.0 (X11; Linux x86_64) test/{number}"}
                if number % 3 == 0:  # a visitor in the test database's network, as a proxy reports it
                    headers["X-Forwarded-For"] = "81.2.69.160"
                response = client.get(url, headers=headers)
                assert response.status_code == 302
                assert response.headers["location"].startswith("https://shop.example/?utm_medium=social")
        with sqlite3.connect(tmp_path / "portevoix.sqlite3") as db:
            assert db.execute("select count(*) from links_click").fetchone()[0] == 0  # still buffered
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
        log.close()
    with sqlite3.connect(tmp_path / "portevoix.sqlite3") as db:
        stored = db.execute("select count(*), sum(is_bot) from links_click").fetchone()
        countries = dict(db.execute("select country, count(*) from links_click group by country").fetchall())
        hourly = db.execute("select sum(humans) from links_linkhourly").fetchone()[0]
    assert stored == (sent, 0), (tmp_path / "web.log").read_text()
    assert hourly == sent
    assert countries == {"GB": sent // 3, "": sent - sent // 3}
