"""Periodic jobs: a small registry the scheduler reads, and the claim that makes each run exactly-once.

An app declares a job next to its task, in its ``tasks.py`` (imported by ``load_periodic_jobs``)::

    @task()
    def prune_things() -> int: ...

    register_periodic("things.prune", every=timedelta(days=1), task=prune_things)

On every tick each scheduler process calls ``run_due``. A job is enqueued only by the process whose
conditional UPDATE moves ``PeriodicJobState.last_run_at`` forward (the row's old value must be at least
``every`` ago), so one, two or ten schedulers never enqueue the same run twice. The claim and the enqueue
share one transaction: with the database task backend a failed enqueue also undoes the claim.

Nothing scheduled is kept in a broker: the database row is the schedule.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tasks.base import Task

from portevoix.core.models import PeriodicJobState

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    task: Task[[], Any]  # a django-tasks task taking no arguments

    @property
    def task_path(self) -> str:
        return self.task.module_path


class PeriodicRegistry:
    def __init__(self) -> None:
        self._jobs: dict[str, PeriodicJob] = {}

    def register(self, name: str, *, every: timedelta, task: Task[[], Any]) -> PeriodicJob:
        if not name or len(name) > 128:
            raise ValueError("A periodic job needs a name of 1 to 128 characters.")
        if every <= timedelta(0):
            raise ValueError(f"Periodic job {name!r}: 'every' must be positive.")
        if not isinstance(task, Task):
            raise TypeError(f"Periodic job {name!r}: pass a task defined with @task(), not {task!r}.")
        job = PeriodicJob(name=name, every=every, task=task)
        existing = self._jobs.get(name)
        if existing is not None and existing.task_path != job.task_path:
            raise ValueError(f"Periodic job {name!r} is already registered for {existing.task_path}.")
        self._jobs[name] = job
        return job

    def unregister(self, name: str) -> None:
        self._jobs.pop(name, None)

    def jobs(self) -> list[PeriodicJob]:
        return sorted(self._jobs.values(), key=lambda job: job.name)

    def get(self, name: str) -> PeriodicJob | None:
        return self._jobs.get(name)


registry = PeriodicRegistry()


def register_periodic(name: str, every: timedelta, task: Task[[], Any]) -> PeriodicJob:
    """Run ``task`` (no arguments) every ``every``, once per period across all scheduler processes."""
    return registry.register(name, every=every, task=task)


def load_periodic_jobs() -> list[PeriodicJob]:
    """Import every installed app's ``tasks`` module (where jobs register) and return the jobs."""
    autodiscover_modules("tasks")
    return registry.jobs()


def claim(job: PeriodicJob, *, now: datetime | None = None) -> bool:
    """Take the run of ``job`` that is due at ``now``; True for exactly one caller per period."""
    now = now or timezone.now()
    due = Q(last_run_at__isnull=True) | Q(last_run_at__lte=now - job.every)
    if PeriodicJobState.objects.filter(due, name=job.name).update(last_run_at=now):
        return True
    if PeriodicJobState.objects.filter(name=job.name).exists():
        return False
    # The job's first run ever: the INSERT is the claim; a concurrent scheduler's INSERT loses.
    try:
        with transaction.atomic():
            PeriodicJobState.objects.create(name=job.name, last_run_at=now)
    except IntegrityError:
        return False
    return True


def run_due(*, now: datetime | None = None, jobs: Iterable[PeriodicJob] | None = None) -> list[str]:
    """Enqueue every due job this process manages to claim; return their names.

    A job whose claim or enqueue fails is logged and retried on a later tick; the others still run.
    """
    now = now or timezone.now()
    enqueued: list[str] = []
    # A plain read first, so that a tick with nothing due takes no write lock.
    last_runs = dict(PeriodicJobState.objects.values_list("name", "last_run_at"))
    for job in registry.jobs() if jobs is None else jobs:
        last_run_at = last_runs.get(job.name)
        if last_run_at is not None and last_run_at > now - job.every:
            continue
        try:
            with transaction.atomic():
                if not claim(job, now=now):
                    continue
                job.task.enqueue()
        except Exception:
            logger.exception("Could not enqueue periodic job %s; it will be retried.", job.name)
            continue
        logger.debug("Enqueued periodic job %s", job.name)
        enqueued.append(job.name)
    return enqueued
