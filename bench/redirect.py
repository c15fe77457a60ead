"""Short-link redirects per second: Portevoix's fast path (with click recording, on a real SQLite database)
against a plain Starlette redirect and a bare ASGI redirect, in the same run.

Each server is uvicorn with the same settings (1 worker, httptools and uvloop when installed, no access
log, lifespan on) pinned to core 0 with ``taskset``; the load is ``wrk`` pinned to core 1, the same
duration, threads and connections for each, requesting one known code with a browser's User-Agent (so the
clicks count as people's). The three servers run side by side (an idle one costs nothing); after a warm-up
of each, measured rounds alternate between them (A B C A B C ...) so that a change in the machine's other
load weighs on each alike, and each server's medians over the rounds (requests per second, p50, p99) are
reported with every round's figures.

Clicks: every GET that the fast path answered is a click. After the rounds the bench waits for the
background writer (no restart) and counts the stored clicks, then stops the servers with SIGTERM (the fast
path's lifespan shutdown flushes what is left) and counts again. ``clicks_sent`` is the responses wrk
received (warm-up and measured rounds); a request still in flight when wrk stops may be answered and stored
without being counted as sent, so ``clicks_stored`` can exceed ``clicks_sent`` by at most the number of
connections per run; ``clicks_lost`` is ``max(0, clicks_sent - clicks_stored)``.

Needs ``wrk`` (Debian: ``apt-get install wrk``) and Starlette (``pip install -e ".[bench]"``); the bench
installs nothing itself and fails with a clear message without them. Writes bench/results/redirect.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = Path(__file__).resolve().parent / "redirect_support"
RESULTS = Path(__file__).resolve().parent / "results" / "redirect.json"
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 "
    "Safari/537.36"
)
TARGET_RATIO = 0.8
TARGET_P99_MS = 15.0

SETUP = """
from portevoix.accounts.models import User
from portevoix.workspaces import services
from portevoix.workspaces.models import Membership
from portevoix.links.services import link_create
owner = User.objects.create_user("bench@example.com", "a-long-bench-passphrase")
services.workspace_create(user=owner, name="Bench", timezone_name="UTC", language="en")
link = link_create(by=Membership.objects.get(user=owner), url="https://shop.example/spring?ref=bench")
print(link.code, link.final_url)
"""


def fail(message: str) -> None:
    print(f"bench redirect: {message}", file=sys.stderr)
    raise SystemExit(2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            fail(f"the server on port {port} exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    fail(f"the server on port {port} did not start in {timeout} s")


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url: str, *, seconds: int, connections: int, threads: int) -> dict[str, Any]:
    command = [
        "taskset", "-c", "1", "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
        "-H", f"User-Agent: {USER_AGENT}", url,
    ]  # fmt: skip
    done = subprocess.run(command, check=True, capture_output=True, text=True, timeout=seconds + 60)  # noqa: S603
    output = done.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    p50 = to_ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": round(rps, 1),
        "p50_ms": round(p50, 3),
        "p99_ms": round(p99, 3),
        "requests": requests,
        "bad_responses": int(bad.group(1)) if bad else 0,
        "socket_errors": errors.group(1).strip() if errors else "",
    }


def uvicorn_command(app: str, port: int, app_dir: Path | None = None) -> list[str]:
    command = ["taskset", "-c", "0", sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1", "--no-access-log", "--lifespan", "on"]
    command += ["--log-level", "warning", "--timeout-graceful-shutdown", "20"]
    if importlib.util.find_spec("httptools"):
        command += ["--http", "httptools"]
    if importlib.util.find_spec("uvloop"):
        command += ["--loop", "uvloop"]
    if app_dir is not None:
        command += ["--app-dir", str(app_dir)]
    return command


def clicks(database: Path) -> int:
    with sqlite3.connect(database, timeout=30) as db:
        return int(db.execute("select count(*) from links_click").fetchone()[0])


class Server:
    """One uvicorn process pinned to core 0, started once and measured in several rounds."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], url: str) -> None:
        self.name, self.command, self.env, self.url = name, command, env, url
        self.port = int(command[command.index("--port") + 1])
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            command, env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        self.rounds: list[dict[str, Any]] = []
        self.warmup_requests = 0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.returncode not in (0, -signal.SIGTERM):
            self.log.seek(0)
            print(self.log.read().decode(errors="replace")[-3000:], file=sys.stderr)
        self.log.close()

    def summary(self) -> dict[str, Any]:
        """Medians over the rounds (requests per second, p50, p99), the worst round's p99, every round."""

        def median(key: str) -> float:
            values = sorted(result[key] for result in self.rounds)
            return values[len(values) // 2]

        return {
            "rps": median("rps"),
            "p50_ms": median("p50_ms"),
            "p99_ms": median("p99_ms"),
            "p99_ms_worst_round": max(result["p99_ms"] for result in self.rounds),
            "requests": sum(result["requests"] for result in self.rounds),
            "rounds": self.rounds,
        }


def wait_for_writer(database: Path) -> int:
    """The stored clicks once the count has not moved for 2.5 s (the background writer caught up)."""
    deadline, last, stable_since = time.monotonic() + 60, -1, time.monotonic()
    while time.monotonic() < deadline:
        now = clicks(database)
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since > 2.5:
            break
        time.sleep(0.25)
    return last


def paired(ours: dict[str, Any], peer: dict[str, Any]) -> dict[str, Any]:
    ratios = [
        round(mine["rps"] / theirs["rps"], 3)
        for mine, theirs in zip(ours["rounds"], peer["rounds"], strict=True)
        if theirs["rps"]
    ]
    return {"rounds": ratios, "median": sorted(ratios)[len(ratios) // 2] if ratios else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=8, help="Seconds of measured load per round.")
    parser.add_argument("--rounds", type=int, default=5, help="Measured rounds per server, alternating.")
    parser.add_argument("--warmup", type=int, default=3, help="Seconds of warm-up load per server.")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections.")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        fail("wrk is not installed (Debian: sudo apt-get install -y wrk); nothing was measured")
    if shutil.which("taskset") is None:
        fail("taskset is not installed (Debian: util-linux); nothing was measured")
    if importlib.util.find_spec("starlette") is None:
        fail('Starlette is not installed (pip install -e ".[bench]"); nothing was measured')
    if (os.cpu_count() or 1) < 2:
        fail("the bench pins the server and wrk to two different cores; this machine has one")

    data_dir = Path(tempfile.mkdtemp(prefix="pv-bench-redirect-"))
    env = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "HOST", "PORT", "WEB_CONCURRENCY"}
    }
    env.update(PORTEVOIX_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT), PORTEVOIX_LOG_LEVEL="WARNING")
    try:
        portevoix = [sys.executable, "-m", "portevoix"]
        subprocess.run([*portevoix, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT)  # noqa: S603
        made = subprocess.run(  # noqa: S603 (our own interpreter and arguments)
            [*portevoix, "shell", "-c", SETUP], env=env, check=True, cwd=ROOT, capture_output=True, text=True
        )
        code, target = made.stdout.strip().splitlines()[-1].split(" ", 1)
        peer_env = {**env, "BENCH_CODE": code, "BENCH_TARGET": target}
        load_before = os.getloadavg()
        print(
            f"== redirect: code {code}, {args.rounds} rounds of {args.duration} s x {args.connections} "
            "connections per server"
        )
        servers = {
            "portevoix": (uvicorn_command("portevoix.asgi:application", free_port()), env, True),
            "peer_starlette": (uvicorn_command("starlette_app:app", free_port(), SUPPORT), peer_env, False),
            "peer_bare_asgi": (uvicorn_command("bare_app:app", free_port(), SUPPORT), peer_env, False),
        }
        running = []
        try:
            for name, (command, server_env, _records) in servers.items():
                port = command[command.index("--port") + 1]
                running.append(Server(name, command, server_env, f"http://127.0.0.1:{port}/l/{code}"))
            for server in running:
                wait_listening(server.port, server.process)
            options = {"connections": args.connections, "threads": args.threads}
            for server in running:
                server.warmup_requests = run_wrk(server.url, seconds=args.warmup, **options)["requests"]
            # Rounds alternate between the servers, so that a change in the machine's other load during
            # the run weighs on each of them alike; each server's median round is reported.
            for number in range(1, args.rounds + 1):
                for server in running:
                    result = run_wrk(server.url, seconds=args.duration, **options)
                    server.rounds.append(result)
                    print(
                        f"  round {number} {server.name}: {result['rps']} req/s, p50 {result['p50_ms']} ms, "
                        f"p99 {result['p99_ms']} ms",
                        flush=True,
                    )
            ours_server = running[0]
            database = data_dir / "portevoix.sqlite3"
            stored_before = wait_for_writer(database)
        finally:
            for server in running:
                server.stop()
        results = {server.name: server.summary() for server in running}
        results["portevoix"]["clicks_sent"] = ours_server.warmup_requests + results["portevoix"]["requests"]
        results["portevoix"]["clicks_stored_before_restart"] = stored_before
        results["portevoix"]["clicks_stored"] = clicks(database)
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)

    ours = results["portevoix"]
    starlette, bare = results["peer_starlette"], results["peer_bare_asgi"]
    ratio = ours["rps"] / starlette["rps"] if starlette["rps"] else 0.0
    lost = max(0, ours["clicks_sent"] - ours["clicks_stored"])
    report = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "rps": ours["rps"],
        "p99_ms": ours["p99_ms"],
        "p50_ms": ours["p50_ms"],
        "clicks_sent": ours["clicks_sent"],
        "clicks_stored": ours["clicks_stored"],
        "clicks_stored_before_restart": ours["clicks_stored_before_restart"],
        "clicks_lost": lost,
        "ratio_to_starlette": round(ratio, 3),
        "ratio_to_bare_asgi": round(ours["rps"] / bare["rps"], 3) if bare["rps"] else 0.0,
        # The same ratios taken round by round (the servers measured one after the other within a round,
        # so under the closest conditions), and their median.
        "ratio_to_starlette_by_round": paired(ours, starlette),
        "ratio_to_bare_asgi_by_round": paired(ours, bare),
        "peer_starlette": starlette,
        "peer_bare_asgi": bare,
        "portevoix": ours,
        "targets": {"ratio_to_starlette": TARGET_RATIO, "p99_ms": TARGET_P99_MS, "clicks_lost": 0},
        "passed": {
            "ratio": ratio >= TARGET_RATIO,
            "p99": ours["p99_ms"] <= TARGET_P99_MS,
            "no_click_lost": lost == 0,
        },
        "load": {
            "duration_s": args.duration,
            "rounds": args.rounds,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "wrk_threads": args.threads,
            "server_core": 0,
            "wrk_core": 1,
            "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
            "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        },
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_before": [round(value, 2) for value in load_before],
            "loadavg_after": [round(value, 2) for value in load_after],
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps({key: report[key] for key in ("rps", "p99_ms", "clicks_sent", "clicks_stored")}))
    print(
        f"ratio to Starlette {report['ratio_to_starlette']} (median of rounds "
        f"{report['ratio_to_starlette_by_round']['median']}), to bare ASGI {report['ratio_to_bare_asgi']}"
    )
    print(f"targets met: {report['passed']}; written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
