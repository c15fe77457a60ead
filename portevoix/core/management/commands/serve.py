"""``portevoix serve``: web, workers and scheduler together, as supervised child processes.

What ``make run`` starts: enough for one team on the embedded SQLite (they share the database file, in WAL
mode): the web server, a worker for publishing alone (the ``publishing`` queue), a worker for every other
task, and the scheduler. SIGINT/SIGTERM is forwarded to the children, which stop gracefully; a child that
is still running after ``--stop-timeout`` seconds is killed. A child that dies on its own is restarted with a
growing delay; after ``MAX_CRASHES`` crashes of one role within ``CRASH_WINDOW`` seconds everything
stops and the command exits with status 1.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from argparse import ArgumentParser
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portevoix.core.management.commands.web import check_port, default_port
from portevoix.core.management.processes import SUPERVISOR_PID_ENV, StopFlag

MAX_CRASHES = 5
CRASH_WINDOW = 60.0
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
POLL_SECONDS = 0.2


@dataclass
class Child:
    role: str  # the portevoix command it runs
    args: list[str]
    name: str = ""  # how messages call it (default: its role)
    process: subprocess.Popen[bytes] | None = None
    restart_at: float | None = None
    crashes: deque[float] = field(default_factory=deque)

    @property
    def label(self) -> str:
        return self.name or self.role

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


class Supervisor:
    """Starts the children, restarts crashed ones, and stops them all on request."""

    def __init__(
        self,
        children: list[Child],
        *,
        say: Callable[[str], None],
        stop_timeout: float,
        max_crashes: int = MAX_CRASHES,
        crash_window: float = CRASH_WINDOW,
    ) -> None:
        self.children = children
        self.say = say
        self.stop_timeout = stop_timeout
        self.max_crashes = max_crashes
        self.crash_window = crash_window
        self.env = {**os.environ, SUPERVISOR_PID_ENV: str(os.getpid()), "PYTHONUNBUFFERED": "1"}

    def start(self, child: Child) -> None:
        # Each child gets its own process group, so a Ctrl+C in the terminal reaches only this
        # supervisor, which forwards it once (a second SIGINT would force the children to quit).
        child.process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
            # The system checks already ran here, in the supervisor.
            [sys.executable, "-m", "portevoix", child.role, "--skip-checks", *child.args],
            env=self.env,
            process_group=0,
        )
        child.restart_at = None
        self.say(f"Started {child.label} (pid {child.process.pid}).")

    def run(self, stop: StopFlag) -> int:
        """Supervise until a stop is requested (return 0 when everything stopped in time, else 1) or
        until a role keeps crashing (return 1)."""
        for child in self.children:
            self.start(child)
        failed = False
        while not stop.requested and not failed:
            now = time.monotonic()
            for child in self.children:
                if child.process is not None and child.process.poll() is not None:
                    failed = self._crashed(child, now) or failed
                if child.process is None and child.restart_at is not None and now >= child.restart_at:
                    if stop.requested or failed:
                        break
                    self.start(child)
            stop.sleep(POLL_SECONDS)
        clean = self.stop_all(stop.signum or signal.SIGTERM)
        return 1 if failed or not clean else 0

    def _crashed(self, child: Child, now: float) -> bool:
        """Schedule the restart of a child that exited on its own; True when we should give up."""
        assert child.process is not None
        code = child.process.returncode
        child.process = None
        child.crashes.append(now)
        while child.crashes and child.crashes[0] < now - self.crash_window:
            child.crashes.popleft()
        how = f"was killed by {signal.Signals(-code).name}" if code < 0 else f"exited with status {code}"
        if len(child.crashes) >= self.max_crashes:
            self.say(
                f"The {child.label} {how}: {len(child.crashes)} crashes within {self.crash_window:.0f} s, "
                "giving up and stopping everything."
            )
            return True
        delay = min(FIRST_BACKOFF * 2 ** (len(child.crashes) - 1), MAX_BACKOFF)
        child.restart_at = now + delay
        self.say(f"The {child.label} {how}; restarting it in {delay:.0f} s.")
        return False

    def stop_all(self, signum: int) -> bool:
        """Send ``signum`` to every running child, wait for them, kill the ones that outlast the timeout.
        True when every child stopped by itself with status 0."""
        clean = True
        running = [child for child in self.children if child.running]
        for child in running:
            assert child.process is not None
            child.process.send_signal(signum)
        deadline = time.monotonic() + self.stop_timeout
        for child in running:
            assert child.process is not None
            try:
                code = child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"The {child.label} did not stop within {self.stop_timeout:.0f} s; killing it.")
                child.process.kill()
                child.process.wait()
                clean = False
                continue
            if code != 0:
                self.say(f"The {child.label} stopped with status {code}.")
                clean = False
        return clean


def listen_check(host: str, port: int) -> None:
    """Fail early, with a clear message, when the web server could not listen."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        raise CommandError(f"Cannot resolve the host {host!r}: {error}.") from None
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as error:
            raise CommandError(
                f"Cannot listen on {host}:{port} ({error.strerror}). Is Portevoix already running? "
                "Choose another port with --port."
            ) from None


def browser_url(host: str, port: int) -> str:
    shown = {"0.0.0.0": "127.0.0.1", "::": "[::1]", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    if ":" in shown and not shown.startswith("["):
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


class Command(BaseCommand):
    help = "Run the web server, the task workers and the scheduler together (what `make run` starts)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--host", default=os.environ.get("HOST", "127.0.0.1"), help="Address to listen on."
        )
        parser.add_argument("--port", type=int, default=default_port(), help="Port to listen on.")
        parser.add_argument(
            "--stop-timeout",
            type=float,
            default=30.0,
            help="Seconds to wait for the children to stop before killing them (default: 30).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host: str = options["host"]
        port: int = options["port"]
        check_port(port)
        listen_check(host, port)
        self.check_migrations()
        stop = StopFlag().install()
        supervisor = Supervisor(
            [
                Child("web", ["--host", host, "--port", str(port)]),
                # Two workers: publishing alone in one, so that a long task never holds a post up.
                Child("worker", ["--queue-name", "publishing"], name="publisher"),
                Child("worker", ["--queue-name", "default"]),
                Child("scheduler", []),
            ],
            say=self.say,
            stop_timeout=options["stop_timeout"],
        )
        self.say(f"Portevoix is starting: open {browser_url(host, port)} (press Ctrl+C to stop).")
        code = supervisor.run(stop)
        if code:
            raise CommandError("Portevoix stopped after an error; see the messages above.", returncode=code)
        self.say("Portevoix stopped.")

    def say(self, message: str) -> None:
        self.stdout.write(message)
        self.stdout.flush()
