"""Operational tasks run by ``portevoix worker`` and the periodic jobs that enqueue them."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from django_tasks import task

from portevoix.core import health
from portevoix.core.scheduling import register_periodic

TASK_RESULTS_KEEP_DAYS = 14
# Heartbeat results only say "the worker was alive"; an hour of them is plenty.
HEARTBEAT_RESULTS_KEEP = timedelta(hours=1)


@task()
def heartbeat() -> None:
    """Written by whichever worker runs it: proves that enqueued work is being done."""
    health.beat(health.WORKER)


@task()
def prune_task_results() -> None:
    """Delete finished task results older than 14 days (and heartbeat results older than an hour)."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(prune_task_results.get_backend(), DatabaseBackend):
        return  # a broker backend keeps (and expires) its own results
    call_command("prune_db_task_results", queue_name="*", min_age_days=TASK_RESULTS_KEEP_DAYS, verbosity=0)
    DBTaskResult.objects.finished().filter(
        task_path=heartbeat.module_path, finished_at__lte=timezone.now() - HEARTBEAT_RESULTS_KEEP
    ).delete()


register_periodic(
    "core.heartbeat", every=timedelta(seconds=settings.PORTEVOIX_HEARTBEAT_SECONDS), task=heartbeat
)
register_periodic("core.prune_task_results", every=timedelta(days=1), task=prune_task_results)
