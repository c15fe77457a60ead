"""Health of the install: database reachability and the background roles' last heartbeats.

The scheduler writes the "scheduler" heartbeat on every tick. The "worker" heartbeat is written by a task
(core/tasks.py ``heartbeat``) that the scheduler enqueues and a worker runs, so a fresh worker heartbeat
proves that work flows end to end: scheduler -> queue -> worker -> database. The "publishing" heartbeat is
written by each run of the publishing engine (its own queue, often its own worker: publishing/tasks.py).
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from portevoix.core.models import Heartbeat

WORKER = "worker"
SCHEDULER = "scheduler"
PUBLISHING = "publishing"


def beat(name: str, **details: Any) -> None:
    """Record that the role ``name`` is alive now, with the host and process id (kept in the database
    for operators; /healthz, which is public, shows only times)."""
    now = timezone.now()
    details = {"host": socket.gethostname(), "pid": os.getpid(), **details}
    # One UPDATE in the common case; the INSERT happens once per install and role.
    if not Heartbeat.objects.filter(name=name).update(beat_at=now, details=details):
        Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": now, "details": details})


def _role(beats: dict[str, datetime], name: str, stale_after: int, now: datetime) -> dict[str, Any]:
    at = beats.get(name)
    if at is None:
        return {"ok": False, "last_heartbeat": None, "age_seconds": None, "stale_after_seconds": stale_after}
    age = (now - at).total_seconds()
    return {
        "ok": age <= stale_after,
        "last_heartbeat": at.isoformat(),
        "age_seconds": round(age, 1),
        "stale_after_seconds": stale_after,
    }


def report() -> dict[str, Any]:
    """What /healthz answers: two cheap queries (``SELECT 1`` and the few heartbeat rows).

    ``status`` is "ok" when the database answers and every role is fresh, "degraded" when a role is
    stale or has never run, "error" when the database is unreachable.
    """
    now = timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beats = dict(
            Heartbeat.objects.filter(name__in=[WORKER, SCHEDULER, PUBLISHING]).values_list("name", "beat_at")
        )
    except DatabaseError as error:
        return {
            "status": "error",
            "database": {"ok": False, "vendor": connection.vendor, "error": error.__class__.__name__},
            "worker": {"ok": False},
            "publishing": {"ok": False},
            "scheduler": {"ok": False},
            "time": now.isoformat(),
        }
    worker = _role(beats, WORKER, settings.PORTEVOIX_WORKER_STALE_AFTER, now)
    publishing = _role(beats, PUBLISHING, settings.PORTEVOIX_WORKER_STALE_AFTER, now)
    scheduler = _role(beats, SCHEDULER, settings.PORTEVOIX_SCHEDULER_STALE_AFTER, now)
    status = "ok" if worker["ok"] and publishing["ok"] and scheduler["ok"] else "degraded"
    return {
        "status": status,
        "database": {"ok": True, "vendor": connection.vendor},
        "worker": worker,
        "publishing": publishing,
        "scheduler": scheduler,
        "time": now.isoformat(),
    }
