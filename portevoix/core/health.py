"""Health of the install: database reachability and the background roles' last heartbeats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone

from portevoix.core.models import Heartbeat


def beat(name: str, **details: Any) -> None:
    now = timezone.now()
    Heartbeat.objects.update_or_create(name=name, defaults={"beat_at": now, "details": details})


def _role(beats: dict[str, datetime], name: str, stale_after: int, now: datetime) -> dict[str, Any]:
    at = beats.get(name)
    if at is None:
        return {"ok": False, "last_heartbeat": None, "age_seconds": None, "stale_after_seconds": stale_after}
    age = (now - at).total_seconds()
    return {"ok": age <= stale_after, "last_heartbeat": at.isoformat(), "age_seconds": round(age, 1),
            "stale_after_seconds": stale_after}


def report() -> dict[str, Any]:
    now = timezone.now()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beats = dict(Heartbeat.objects.values_list("name", "beat_at"))
    except DatabaseError as error:
        return {
            "status": "error",
            "database": {"ok": False, "vendor": connection.vendor, "error": error.__class__.__name__},
            "worker": {"ok": False}, "scheduler": {"ok": False}, "time": now.isoformat(),
        }
    worker = _role(beats, "worker", settings.PORTEVOIX_WORKER_STALE_AFTER, now)
    scheduler = _role(beats, "scheduler", settings.PORTEVOIX_SCHEDULER_STALE_AFTER, now)
    status = "ok" if worker["ok"] and scheduler["ok"] else "degraded"
    return {
        "status": status,
        "database": {"ok": True, "vendor": connection.vendor},
        "worker": worker,
        "scheduler": scheduler,
        "time": now.isoformat(),
    }
