"""The engine's settings, read in one place with their defaults (settings.py reads them from the
environment; see docs/operations.md and docs/decisions/0005-publishing-engine.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings


def _seconds(name: str, default: float) -> float:
    value = getattr(settings, name, default)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


@dataclass(frozen=True)
class Config:
    lateness_cutoff: timedelta  # a post not sent by due_at + this is not sent at all
    prefetch: timedelta  # targets due this soon are claimed ahead of their time
    lease: timedelta  # a worker that stops renewing its lease for this long is presumed dead
    concurrency: int  # network calls in flight per worker process
    batch: int  # targets claimed per claim
    max_held: int  # targets one worker holds at once (prefetched, armed and in flight)
    start_ahead: float  # seconds: attempt rows of a target are written up to this long before its time
    reconcile_delay: timedelta  # after a timeout, wait this long before looking the post up
    pending_check: timedelta  # first re-check of a post the network is still processing
    pending_max_age: timedelta  # give up checking (unconfirmed) after this long
    run_seconds: float  # one publish_due task stops claiming after this long
    claim_interval: float  # seconds between claims while a run is busy or waiting
    hold_for_rate: float  # wait in memory for a rate-limit token at most this long, else release
    email_cooldown: timedelta  # one e-mail per workspace, kind and channel in this window

    @classmethod
    def load(cls) -> Config:
        return cls(
            lateness_cutoff=timedelta(seconds=_seconds("PORTEVOIX_PUBLISH_LATENESS_CUTOFF", 3600)),
            prefetch=timedelta(seconds=_seconds("PORTEVOIX_PUBLISH_PREFETCH_SECONDS", 15)),
            lease=timedelta(seconds=_seconds("PORTEVOIX_PUBLISH_LEASE_SECONDS", 60)),
            concurrency=max(1, int(getattr(settings, "PORTEVOIX_PUBLISH_CONCURRENCY", 16))),
            batch=max(1, int(getattr(settings, "PORTEVOIX_PUBLISH_BATCH", 500))),
            max_held=max(1, int(getattr(settings, "PORTEVOIX_PUBLISH_MAX_HELD", 5000))),
            start_ahead=max(0.0, _seconds("PORTEVOIX_PUBLISH_START_AHEAD", 3.0)),
            reconcile_delay=timedelta(seconds=_seconds("PORTEVOIX_PUBLISH_RECONCILE_DELAY", 30)),
            pending_check=timedelta(seconds=_seconds("PORTEVOIX_PUBLISH_PENDING_CHECK", 30)),
            pending_max_age=timedelta(seconds=_seconds("PORTEVOIX_PUBLISH_PENDING_MAX_AGE", 86400)),
            run_seconds=_seconds("PORTEVOIX_PUBLISH_RUN_SECONDS", 60),
            claim_interval=_seconds("PORTEVOIX_PUBLISH_CLAIM_INTERVAL", 0.5),
            hold_for_rate=_seconds("PORTEVOIX_PUBLISH_HOLD_FOR_RATE", 5),
            email_cooldown=timedelta(seconds=_seconds("PORTEVOIX_ALERT_EMAIL_COOLDOWN", 600)),
        )
