"""``portevoix worker``: the task worker role (django-tasks-db's worker loop).

Each worker process runs one task at a time; run more processes (on more machines) for more throughput.
On SIGTERM/SIGINT the worker finishes the task it is running, then exits 0; a second signal aborts the
task (it is recorded as failed) and exits.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django_tasks import task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker

from portevoix.core.management.processes import STOP_SIGNALS, watch_supervisor

logger = logging.getLogger("portevoix.worker")


class GracefulWorker(Worker):
    """The first signal lets the running task finish (the upstream worker exits at once when idle, even
    between claiming a task and starting it); the loop then ends at its next check."""

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            super().shutdown(signum, frame)
            return
        logger.info("Received a stop signal: finishing the current task, then stopping.")
        self.running = False


def default_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"[-64:]


class Command(BaseCommand):
    help = "Run a background task worker (database task backend). Stops cleanly on SIGTERM/SIGINT."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--queue-name",
            default="*",
            help="Queues to process, comma-separated; '*' for all (default).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait before looking again when no task is ready (default: 1).",
        )
        parser.add_argument("--batch", action="store_true", help="Run the ready tasks, then exit.")
        parser.add_argument("--worker-id", default=None, help="Unique id of this worker (default: host-pid).")
        parser.add_argument("--backend", default="default", help="Task backend alias (default: 'default').")

    def handle(self, *args: Any, **options: Any) -> None:
        backend = task_backends[options["backend"]]
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                f"The task backend {type(backend).__module__}.{type(backend).__name__} is not the database "
                "backend; run that backend's own worker instead."
            )
        interval: float = options["interval"]
        if interval < 0:
            raise CommandError("--interval must be zero or more.")
        worker_id: str = options["worker_id"] or default_worker_id()
        worker = GracefulWorker(
            queue_names=options["queue_name"].split(","),
            interval=interval,
            batch=options["batch"],
            backend_name=options["backend"],
            startup_delay=not options["batch"],
            max_tasks=None,
            worker_id=worker_id[:64],
            excluded_queue_names=[],
        )
        watch_supervisor()
        previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
        worker.configure_signals()
        logger.info("Worker %s started (queues: %s).", worker_id, options["queue_name"])
        try:
            worker.run()
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            connections.close_all()
        logger.info("Worker %s stopped.", worker_id)
