"""``portevoix scheduler``: the scheduler role.

Every ``PORTEVOIX_SCHEDULER_TICK_SECONDS`` it writes the "scheduler" heartbeat and enqueues the periodic
jobs that are due (core/scheduling.py). Several schedulers may run at once: each run is claimed with a
conditional UPDATE, so it is enqueued once. Stops cleanly on SIGTERM/SIGINT.
"""

from __future__ import annotations

import logging
import time
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connections

from portevoix.core import health
from portevoix.core.management.processes import StopFlag, watch_supervisor
from portevoix.core.scheduling import PeriodicJob, load_periodic_jobs, run_due

logger = logging.getLogger("portevoix.scheduler")


def describe_period(every: timedelta) -> str:
    seconds = every.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def tick(jobs: list[PeriodicJob]) -> list[str]:
    """One beat of the scheduler: the heartbeat, then every due job."""
    close_old_connections()
    health.beat(health.SCHEDULER)
    return run_due(jobs=jobs)


class Command(BaseCommand):
    help = "Run the scheduler: heartbeat and periodic jobs. Stops cleanly on SIGTERM/SIGINT."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--tick",
            type=float,
            default=None,
            help="Seconds between ticks (default: PORTEVOIX_SCHEDULER_TICK_SECONDS).",
        )
        parser.add_argument("--once", action="store_true", help="Run one tick, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        interval: float = options["tick"] or settings.PORTEVOIX_SCHEDULER_TICK_SECONDS
        if interval <= 0:
            raise CommandError("The tick must be a positive number of seconds.")
        jobs = load_periodic_jobs()
        logger.info(
            "Scheduler started: tick %ss; jobs: %s.",
            interval,
            ", ".join(f"{job.name} every {describe_period(job.every)}" for job in jobs) or "none",
        )
        if options["once"]:
            tick(jobs)
            return
        stop = StopFlag().install()
        watch_supervisor()
        try:
            while not stop.requested:
                started = time.monotonic()
                try:
                    enqueued = tick(jobs)
                except DatabaseError:
                    logger.exception("Scheduler tick failed; trying again at the next tick.")
                else:
                    if enqueued:
                        logger.debug("Enqueued: %s", ", ".join(enqueued))
                stop.sleep(interval - (time.monotonic() - started))
        finally:
            connections.close_all()
        logger.info("Scheduler stopped.")
