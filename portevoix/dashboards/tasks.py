"""The dashboards' periodic job: ``dashboards.refresh`` adds new clicks, conversions and visits to the
roll-ups every minute (services.rollups_refresh; docs/dashboards.md, "Freshness")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django_tasks import task

from portevoix.core.scheduling import register_periodic
from portevoix.dashboards import services


@task()
def refresh_rollups() -> dict[str, Any]:
    return services.rollups_refresh().as_dict()


register_periodic(
    "dashboards.refresh",
    every=timedelta(seconds=float(getattr(settings, "PORTEVOIX_DASHBOARDS_REFRESH_SECONDS", 60))),
    task=refresh_rollups,
)
