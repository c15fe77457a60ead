"""Publishing's tasks: ``publish_due`` (claims and publishes what is due), alert e-mails, a clean-up.

No scheduled post is ever kept as a broker ETA: the scheduler enqueues ``publish_due`` every few seconds
and the task finds due targets in the database (docs/decisions/0005-publishing-engine.md). A person's
"publish now" or "retry" enqueues one at once (``kick``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from portevoix.core import health
from portevoix.core.scheduling import register_periodic
from portevoix.publishing import buckets, dispatch, notifications

# Ahead of other queued work (thumbnails, reports): a worker picks publishing first when both wait.
PRIORITY = 50
# Its own queue: `portevoix serve` runs a worker for it alone, so that other tasks never delay a post.
QUEUE = "publishing"
DISPATCH_RESULTS_KEEP = timedelta(hours=1)


@task(priority=PRIORITY, queue_name=QUEUE)
def publish_due() -> dict[str, Any]:
    """Claim and publish due targets until nothing is due within the prefetch window."""
    health.beat(health.PUBLISHING)  # /healthz: publishing runs (a run starts every few seconds)
    stats = dispatch.run(on_full_batch=_another_run)
    return stats.as_dict()


def _another_run() -> None:
    publish_due.enqueue()


@task()
def send_alert_email_task(notification_id: int, items: list[dict[str, Any]]) -> int:
    """E-mail an alert to the workspace's owners and managers (see notifications.py)."""
    return notifications.send_alert_email(notification_id, [notifications.Item(**item) for item in items])


@task()
def alert_expiring_channels() -> int:
    """Warn the team about channels whose access expires within a week and cannot be renewed."""
    return notifications.alert_expiring_channels()


@task()
def prune_publishing() -> int:
    """Forget idle rate buckets, and the results of ``publish_due`` runs older than an hour (they run
    every few seconds and only say "it ran")."""
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    pruned = buckets.prune(now)
    if isinstance(publish_due.get_backend(), DatabaseBackend):
        deleted, _rows = (
            DBTaskResult.objects.finished()
            .filter(task_path=publish_due.module_path, finished_at__lte=now - DISPATCH_RESULTS_KEEP)
            .delete()
        )
        pruned += deleted
    return pruned


def kick() -> None:
    """Have a worker look for due targets now (after the current transaction commits)."""
    transaction.on_commit(lambda: publish_due.enqueue(), robust=True)


register_periodic(
    "publishing.dispatch",
    every=timedelta(
        seconds=float(
            getattr(settings, "PORTEVOIX_PUBLISH_DISPATCH_SECONDS", settings.PORTEVOIX_SCHEDULER_TICK_SECONDS)
        )
    ),
    task=publish_due,
)
register_periodic("publishing.prune", every=timedelta(hours=1), task=prune_publishing)
register_periodic("publishing.expiring_channels", every=timedelta(hours=6), task=alert_expiring_channels)
