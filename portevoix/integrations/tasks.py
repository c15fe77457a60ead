"""The integrations' tasks: one import run per integration, and the hourly job that queues the due ones
(each integration is imported once a day; a failed run is tried again two hours later)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django_tasks import task

from portevoix.core.scheduling import register_periodic
from portevoix.integrations import services


@task()
def import_integration(integration_id: int) -> dict[str, Any]:
    """Import the recent days of one integration (see services.integration_import)."""
    result = services.integration_import(integration_id=integration_id)
    return {"ok": result.ok, "rows": result.rows, "message": result.message}


@task()
def import_due() -> int:
    """Queue an import for every active integration whose daily run is due."""
    return len(services.integrations_import_due())


register_periodic("integrations.import_due", every=timedelta(hours=1), task=import_due)
