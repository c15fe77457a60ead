"""Metrics' periodic job: ``metrics.collect`` pulls post metrics and follower counts from the connectors
(services/collect.py; the ageing schedule is in schedule.py and docs/metrics.md)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django_tasks import task

from portevoix.core.scheduling import register_periodic
from portevoix.metrics.services import collect


@task()
def collect_metrics() -> dict[str, Any]:
    return collect.collect_due().as_dict()


register_periodic(
    "metrics.collect",
    every=timedelta(minutes=float(getattr(settings, "PORTEVOIX_METRICS_COLLECT_MINUTES", 10))),
    task=collect_metrics,
)
