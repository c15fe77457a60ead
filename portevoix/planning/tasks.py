"""Background work of the content plan. Thin: each task calls a service. Each area keeps its tasks in its
own marked block below."""

from __future__ import annotations

from typing import Any

from django_tasks import task

# --- CSV imports (planning/services/imports.py) --------------------------------------------------


@task()
def import_check_task(job_id: int) -> dict[str, Any]:
    """The dry run of an uploaded CSV import: checks every row, writes nothing but the job."""
    from portevoix.planning.services import imports

    job = imports.import_check(job_id=job_id)
    return {"job": job_id, "status": job.status if job else None}


@task()
def import_run_task(job_id: int, membership_id: int) -> dict[str, Any]:
    """A confirmed CSV import: checks every row again, then writes every post in one transaction."""
    from portevoix.planning.services import imports

    job = imports.import_run(job_id=job_id, membership_id=membership_id)
    return {"job": job_id, "status": job.status if job else None, "posts": job.created_posts if job else 0}


# --- end of CSV imports ----------------------------------------------------------------------------


# --- Evergreen recycling (planning/services/evergreen.py) ------------------------------------------


@task()
def evergreen_recycle_task() -> dict[str, Any]:
    """Fill the free queue slots of the next days with copies of evergreen posts (every workspace whose
    recycling is on)."""
    from portevoix.planning.services import evergreen

    return evergreen.evergreen_recycle().as_dict()


def _register_evergreen() -> None:
    from datetime import timedelta

    from portevoix.core.scheduling import register_periodic

    register_periodic("planning.evergreen", every=timedelta(hours=1), task=evergreen_recycle_task)


_register_evergreen()

# --- end of evergreen recycling --------------------------------------------------------------------


# --- Recurring series (planning/services/series.py) ------------------------------------------------


@task()
def series_extend_task() -> dict[str, int]:
    """Plan the next occurrences of every active recurring series up to its horizon (idempotent: an
    occurrence never gets two posts)."""
    from portevoix.planning.services import series

    return series.series_extend_all()


def _register_series() -> None:
    from datetime import timedelta

    from portevoix.core.scheduling import register_periodic

    register_periodic("planning.series_extend", every=timedelta(hours=1), task=series_extend_task)


_register_series()

# --- end of recurring series -----------------------------------------------------------------------
