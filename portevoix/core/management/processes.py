"""What the process roles (``web``, ``worker``, ``scheduler``, ``serve``) share: a graceful stop on
SIGINT/SIGTERM and, under ``portevoix serve``, stopping when the supervising process disappears."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from types import FrameType

logger = logging.getLogger("portevoix.processes")

# Set by ``portevoix serve`` in its children's environment: the supervisor's process id.
SUPERVISOR_PID_ENV = "PORTEVOIX_SUPERVISOR_PID"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopFlag:
    """SIGINT/SIGTERM ask for a graceful stop (``requested`` becomes true); a second signal forces an
    immediate exit with status 1."""

    def __init__(self, *, quiet: bool = False) -> None:
        self.requested = False
        self.signum: int | None = None
        self.quiet = quiet

    def install(self) -> StopFlag:
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._handle)
        return self

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            logger.warning("Received %s again: stopping now.", signal.strsignal(signum))
            os._exit(1)
        self.requested = True
        self.signum = signum
        if not self.quiet:
            logger.info("Received %s: stopping.", signal.strsignal(signum))

    def sleep(self, seconds: float) -> None:
        """Sleep up to ``seconds``, returning early once a stop is requested."""
        deadline = time.monotonic() + seconds
        while not self.requested:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(remaining, 0.1))


def watch_supervisor(poll_seconds: float = 1.0, *, again_after: float | None = None) -> None:
    """Under ``portevoix serve``: send ourselves SIGTERM (a graceful stop) if the supervisor is gone,
    so that killing it with SIGKILL leaves no orphan behind. Does nothing when run on its own.
    ``again_after``: send it again every so many seconds while the process lives (the web server: a
    signal that arrives while uvicorn is still starting can be lost; a worker must not get a second one,
    which would abort its task)."""
    value = os.environ.get(SUPERVISOR_PID_ENV, "")
    if not value.isdigit():
        return
    supervisor = int(value)

    def watch() -> None:
        while os.getppid() == supervisor:
            time.sleep(poll_seconds)
        logger.warning("The supervising process %s is gone: stopping.", supervisor)
        os.kill(os.getpid(), signal.SIGTERM)
        while again_after is not None:
            time.sleep(again_after)
            os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="portevoix-supervisor-watch", daemon=True).start()
