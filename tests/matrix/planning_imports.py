"""Access-matrix entries for planning_imports (see tests/matrix/__init__.py): the CSV import (plan.import,
owners and managers) and the CSV export (post.view, everyone)."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from portevoix.planning.models import ImportJob, ImportStatus
from portevoix.workspaces.roles import Role

EVERYONE = frozenset(Role)
LEADS = frozenset({Role.OWNER, Role.MANAGER})


def csv_upload() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "plan.csv", b"date,time,channels,text\n2030-01-02,09:30,Acme,Hello\n", "text/csv"
    )


def _job(workspace: Any) -> ImportJob:
    """A checked import without problems: it can be confirmed or discarded (a new one per request)."""
    return ImportJob.objects.create(
        workspace=workspace, filename="plan.csv", status=ImportStatus.CHECKED, total_rows=1, processed_rows=1
    )


def own_job(world: Any, role: Role) -> int:
    return _job(world.team.workspace).pk


def foreign_job(world: Any) -> ImportJob:
    return _job(world.other.workspace)


API_EXPECTED: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/imports"): LEADS,  # plan.import
    ("GET", "/api/v1/imports"): LEADS,
    ("GET", "/api/v1/imports/template"): LEADS,
    ("GET", "/api/v1/imports/{id}"): LEADS,
    ("POST", "/api/v1/imports/{id}/confirm"): LEADS,  # also post.edit and post.publish (leads have both)
    ("POST", "/api/v1/imports/{id}/discard"): LEADS,
    ("GET", "/api/v1/posts/export"): EVERYONE,  # post.view (the current month without start and end)
}

API_IDS: dict[str, Any] = {
    "/api/v1/imports/{id}": (own_job, foreign_job),
    "/api/v1/imports/{id}/confirm": (own_job, foreign_job),
    "/api/v1/imports/{id}/discard": (own_job, foreign_job),
}

API_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/imports"): {"file": csv_upload},  # a callable: sent multipart, a new file each time
}

HTML_EXPECTED: dict[tuple[str, str], Any] = {
    ("planning:imports", "GET"): LEADS,  # plan.import
    ("planning:imports", "POST"): LEADS,  # the upload
    ("planning:import_template", "GET"): LEADS,
    ("planning:import_detail", "GET"): LEADS,
    ("planning:import_progress", "GET"): LEADS,
    ("planning:import_confirm", "POST"): LEADS,
    ("planning:import_discard", "POST"): LEADS,
    ("planning:export", "GET"): EVERYONE,  # post.view
}

HTML_IDS: dict[str, Any] = {
    "import_id": (own_job, foreign_job),
}

HTML_POST_DATA: dict[str, dict[str, Any]] = {
    "planning:imports": {"file": csv_upload},
}
