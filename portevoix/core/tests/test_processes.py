"""The process roles for real: ``portevoix serve`` and ``portevoix scheduler`` run as subprocesses on a
temporary SQLite data directory (never on the suite's database, even when DATABASE_URL is set)."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from django_tasks_db.models import DBTaskResult

from portevoix.core.tasks import heartbeat

pytestmark = pytest.mark.process

STARTED = re.compile(r"Started (web|publisher|worker|scheduler) \(pid (\d+)\)\.")
# Fast clocks so that a whole scenario takes seconds: a tick of 0.2 s, a heartbeat task every second,
# and a worker reported stale after 4 s without one.
FAST_ENV = {
    "PORTEVOIX_SCHEDULER_TICK_SECONDS": "0.2",
    "PORTEVOIX_HEARTBEAT_SECONDS": "1",
    "PORTEVOIX_WORKER_STALE_AFTER": "4",
    "PORTEVOIX_SCHEDULER_STALE_AFTER": "4",
    "PORTEVOIX_LOG_LEVEL": "INFO",
}


def child_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "PORTEVOIX_TASKS_BACKEND", "HOST", "PORT", "WEB_CONCURRENCY"}
    }
    env.update(FAST_ENV, PORTEVOIX_DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1", **extra)
    return env


def portevoix(*args: str) -> list[str]:
    return [sys.executable, "-m", "portevoix", *args]


@pytest.fixture(scope="module")
def migrated_data_dir(tmp_path_factory) -> Path:
    """One migrated data directory per module; each test works on a copy."""
    data_dir = tmp_path_factory.mktemp("migrated")
    subprocess.run(
        portevoix("migrate", "--noinput", "-v", "0"), env=child_env(data_dir), check=True, timeout=120
    )
    return data_dir


@pytest.fixture
def data_dir(migrated_data_dir, tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(migrated_data_dir, target)
    return target


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Serve:
    """``portevoix serve`` on a free port, its output in a file, its children read from that output."""

    def __init__(self, data_dir: Path) -> None:
        self.port = free_port()
        self.log_path = data_dir / "serve.log"
        self.log_file = self.log_path.open("wb")
        self.process = subprocess.Popen(
            portevoix("serve", "--port", str(self.port), "--stop-timeout", "10"),
            env=child_env(data_dir),
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=2, trust_env=False)

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def children(self) -> dict[str, int]:
        """The latest pid of each role."""
        return {role: int(pid) for role, pid in STARTED.findall(self.log)}

    def every_child_pid(self) -> set[int]:
        return {int(pid) for _role, pid in STARTED.findall(self.log)}

    def health(self) -> dict | None:
        try:
            return self.http.get("/healthz").json()
        except (httpx.HTTPError, ValueError):
            return None

    def wait_for(self, condition, timeout: float, what: str):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"serve exited early ({self.process.returncode}):\n{self.log}"
            value = condition()
            if value:
                return value
            time.sleep(0.2)
        pytest.fail(f"Timed out after {timeout} s waiting for {what}.\n{self.log}")

    def wait_healthy(self, timeout: float = 60) -> dict:
        return self.wait_for(lambda: (h := self.health()) and h["status"] == "ok" and h, timeout, "status ok")

    def stop(self, signum: int = signal.SIGTERM, timeout: float = 15) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"serve did not stop within {timeout} s.\n{self.log}")

    def close(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in self.every_child_pid():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        self.log_file.close()


@pytest.fixture
def serve(data_dir):
    running = Serve(data_dir)
    yield running
    running.close()


def test_serve_runs_every_role_and_stops_cleanly_on_sigterm(serve):
    report = serve.wait_healthy()
    assert report["worker"]["ok"]
    assert report["scheduler"]["ok"]
    assert report["database"]["ok"]
    assert f"open http://127.0.0.1:{serve.port}/" in serve.log
    children = serve.children()
    assert set(children) == {"web", "publisher", "worker", "scheduler"}
    assert all(alive(pid) for pid in children.values())
    # Publishing has a worker of its own: a long task in the other one never holds a post up.
    assert re.search(r"Worker \S+ started \(queues: publishing\)", serve.log), serve.log
    assert re.search(r"Worker \S+ started \(queues: default\)", serve.log), serve.log

    started = time.monotonic()
    assert serve.stop(signal.SIGTERM) == 0, serve.log
    assert time.monotonic() - started < 15  # the stop timeout given to serve is 10 s
    assert not [pid for pid in serve.every_child_pid() if alive(pid)]
    assert "Portevoix stopped." in serve.log


def test_serve_stops_cleanly_on_sigint(serve):
    serve.wait_healthy()
    assert serve.stop(signal.SIGINT) == 0, serve.log
    assert not [pid for pid in serve.every_child_pid() if alive(pid)]


def test_children_stop_by_themselves_when_serve_is_killed(serve):
    children = serve.wait_for(lambda: len(c := serve.children()) == 4 and c, 60, "four children")
    serve.wait_for(lambda: "Scheduler started" in serve.log, 60, "the scheduler to start")
    os.kill(serve.process.pid, signal.SIGKILL)
    serve.process.wait(timeout=5)
    deadline = time.monotonic() + 15
    while [pid for pid in children.values() if alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in children.values() if alive(pid)], serve.log


def test_serve_restarts_a_killed_child_which_then_runs_tasks_again(serve):
    serve.wait_healthy()
    old_worker = serve.children()["worker"]
    os.kill(old_worker, signal.SIGKILL)
    killed_at = datetime.now().astimezone()

    new_worker = serve.wait_for(
        lambda: (pid := serve.children()["worker"]) != old_worker and pid, 30, "a new worker"
    )
    assert alive(new_worker)
    assert "The worker was killed by SIGKILL; restarting it in 1 s." in serve.log
    # The worker heartbeat is written by a task: a beat after the kill proves the new worker runs tasks.
    serve.wait_for(
        lambda: (
            (h := serve.health())
            and h["worker"]["last_heartbeat"]
            and datetime.fromisoformat(h["worker"]["last_heartbeat"]) > killed_at
        ),
        40,
        "a worker heartbeat from the restarted worker",
    )
    assert set(serve.children()) == {"web", "publisher", "worker", "scheduler"}

    assert serve.stop(signal.SIGTERM) == 0, serve.log
    assert not [pid for pid in serve.every_child_pid() if alive(pid)]


def test_two_schedulers_enqueue_each_periodic_run_once(data_dir):
    env = child_env(data_dir, PORTEVOIX_SCHEDULER_TICK_SECONDS="0.05")
    logs = [data_dir / f"scheduler-{n}.log" for n in (1, 2)]
    schedulers = [
        subprocess.Popen(portevoix("scheduler"), env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        for log in logs
    ]
    try:
        deadline = time.monotonic() + 60
        while not all("Scheduler started" in log.read_text() for log in logs):
            assert time.monotonic() < deadline, [log.read_text() for log in logs]
            assert all(process.poll() is None for process in schedulers), [log.read_text() for log in logs]
            time.sleep(0.1)
        time.sleep(3.5)  # both running: three and a half heartbeat periods
    finally:
        for process in schedulers:
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=10) for process in schedulers]
    assert codes == [0, 0], [log.read_text() for log in logs]

    with sqlite3.connect(data_dir / "portevoix.sqlite3") as db:
        rows = db.execute(
            f"SELECT enqueued_at FROM {DBTaskResult._meta.db_table} WHERE task_path = ? ORDER BY 1",
            [heartbeat.module_path],
        ).fetchall()
    times = [datetime.fromisoformat(value) for (value,) in rows]
    # Several runs, and never two runs of the same period (duplicates would be milliseconds apart).
    assert len(times) >= 2
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(times)]
    assert min(gaps) > 0.5, gaps
