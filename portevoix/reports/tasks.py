"""Reports' periodic job: ``reports.send_due`` e-mails the reports whose schedule is due
(services.schedules_run_due; each run is claimed once across scheduler processes)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django_tasks import task

from portevoix.core.scheduling import register_periodic
from portevoix.reports import services


@task()
def send_due_reports() -> dict[str, Any]:
    return asdict(services.schedules_run_due())


register_periodic(
    "reports.send_due",
    every=timedelta(minutes=float(getattr(settings, "PORTEVOIX_REPORTS_CHECK_MINUTES", 5))),
    task=send_due_reports,
)
