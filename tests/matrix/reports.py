"""Access-matrix entries for reports (see tests/matrix/__init__.py): downloading and seeing schedules needs
analytics.view (every role but the client); scheduling and setting the logo needs analytics.manage (owner,
manager, analyst)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from portevoix.reports import urls as reports_urls
from portevoix.reports.models import ReportSchedule
from portevoix.workspaces.roles import Role

STAFF = frozenset(Role) - {Role.CLIENT}
MANAGERS = frozenset({Role.OWNER, Role.MANAGER, Role.ANALYST})

URLCONFS: dict[str, Any] = {"reports": reports_urls}


def _png() -> bytes:
    from portevoix.media.tests.helpers import image_bytes

    return image_bytes("PNG")


def _png_upload() -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("logo.png", _png(), "image/png")


def _schedule(workspace: Any, name: str) -> ReportSchedule:
    return ReportSchedule.objects.create(
        workspace=workspace,
        name=name,
        frequency="weekly",
        time_of_day=dt.time(9, 0),
        report_format="pdf",
        language="en",
        emails=["matrix@example.org"],
    )


def own_schedule(world: Any, role: Role) -> int:
    """A fresh schedule per request (deleting it must not affect the next role)."""
    return _schedule(world.team.workspace, "own").pk


def foreign_schedule(world: Any) -> ReportSchedule:
    return _schedule(world.other.workspace, "foreign")


class _Png(dict):  # type: ignore[type-arg]
    """The JSON form of the logo PUT (the test client cannot send a multipart PUT)."""

    def values(self):  # type: ignore[no-untyped-def,override]
        self["content_base64"] = base64.b64encode(_png()).decode()
        return super().values()


API_EXPECTED = {
    ("GET", "/api/v1/reports/pdf"): STAFF,
    ("GET", "/api/v1/reports/csv"): STAFF,
    ("GET", "/api/v1/reports/schedules"): STAFF,
    ("POST", "/api/v1/reports/schedules"): MANAGERS,
    ("PATCH", "/api/v1/reports/schedules/{id}"): MANAGERS,
    ("DELETE", "/api/v1/reports/schedules/{id}"): MANAGERS,
    ("PUT", "/api/v1/reports/logo"): MANAGERS,
}

API_IDS = {"/api/v1/reports/schedules/{id}": (own_schedule, foreign_schedule)}

API_BODIES = {
    ("POST", "/api/v1/reports/schedules"): {
        "name": "Matrix",
        "frequency": "weekly",
        "time": "09:00",
        "emails": ["matrix@example.org"],
    },
    ("PATCH", "/api/v1/reports/schedules/{id}"): {"name": "Renamed"},
    ("PUT", "/api/v1/reports/logo"): _Png(),
}

HTML_EXPECTED = {
    ("reports:page", "GET"): STAFF,
    ("reports:pdf", "GET"): STAFF,
    ("reports:csv", "GET"): STAFF,
    ("reports:logo_upload", "POST"): MANAGERS,
    ("reports:logo_clear", "POST"): MANAGERS,
    ("reports:schedule_create", "POST"): MANAGERS,
    ("reports:schedule_edit", "GET"): MANAGERS,
    ("reports:schedule_edit", "POST"): MANAGERS,
    ("reports:schedule_delete", "POST"): MANAGERS,
}

HTML_IDS = {"schedule_id": (own_schedule, foreign_schedule)}

HTML_POST_DATA = {
    "reports:logo_upload": {"file": _png_upload},
    "reports:schedule_create": {
        "name": "Matrix",
        "frequency": "weekly",
        "weekday": "0",
        "day_of_month": "1",
        "time_of_day": "09:00",
        "report_format": "pdf",
        "language": "en",
        "emails": "matrix@example.org",
        "active": "on",
    },
    "reports:schedule_edit": {
        "name": "Matrix 2",
        "frequency": "monthly",
        "weekday": "0",
        "day_of_month": "31",
        "time_of_day": "09:00",
        "report_format": "csv",
        "language": "en",
        "emails": "matrix@example.org",
    },
}
