"""Pages of planning_imports rendered in every language (see tests/pages/__init__.py): the import page,
an import's dry-run results, its confirmation and its discarding."""

from __future__ import annotations

from collections.abc import Iterator

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from portevoix.planning.models import ImportJob, ImportStatus
from portevoix.workspaces.roles import Role
from tests.test_pages_render import SKIPPED, Visit, World, page

SKIPPED["planning:import_template"] = "the CSV template, a file (planning/tests/test_imports.py)"
SKIPPED["planning:export"] = "the CSV export, a file (planning/tests/test_imports.py)"
SKIPPED["planning:import_progress"] = (
    "an htmx fragment polled by planning:import_detail, rendered inside it here and on its own in "
    "planning/tests/test_imports.py"
)


def _url(name: str, world: World, *args: object) -> str:
    return reverse(f"planning:{name}", args=[world.slug(), *args])


def _job(world: World, **fields: object) -> ImportJob:
    values: dict[str, object] = {"filename": "plan.csv", "status": ImportStatus.CHECKED, "total_rows": 3}
    values.update(fields)
    return ImportJob.objects.create(
        workspace=world.workspace, created_by=world.team.user(Role.OWNER), **values
    )


@page("planning:imports")
def _imports(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    yield Visit("empty", client.get(_url("imports", world)))
    _job(world, status=ImportStatus.DONE, created_posts=3, processed_rows=3)
    file = SimpleUploadedFile("plan.csv", b"date,time,channels\n2030-01-02,09:30,Acme\n", "text/csv")
    yield Visit("uploaded", client.post(_url("imports", world), {"file": file}, follow=True))
    yield Visit("no file", client.post(_url("imports", world), {}), 422)


@page("planning:import_detail")
def _import_detail(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    checking = _job(world, status=ImportStatus.CHECKING, processed_rows=1)
    yield Visit("checking", client.get(_url("import_detail", world, checking.pk)))
    clean = _job(world, processed_rows=3)
    yield Visit("checked, no problem", client.get(_url("import_detail", world, clean.pk)))
    # Problems and failures are stored as text, written in the uploader's language (here the reader's).
    with translation.override(world.language):
        problems = [
            {"row": 0, "column": "", "message": gettext("The file has a header but no rows.")},
            {
                "row": 3,
                "column": "date",
                "message": gettext("Enter the date as YYYY-MM-DD, e.g. 2026-03-29."),
            },
        ]
        nothing = gettext("Nothing was imported.")
    bad = _job(world, processed_rows=3, error_rows=250, problems=problems)
    yield Visit("checked, with problems", client.get(_url("import_detail", world, bad.pk)))
    importing = _job(world, status=ImportStatus.IMPORTING, processed_rows=3)
    yield Visit("importing, writing", client.get(_url("import_detail", world, importing.pk)))
    failed = _job(world, status=ImportStatus.FAILED, message=nothing)
    yield Visit("failed", client.get(_url("import_detail", world, failed.pk)))
    done = _job(world, status=ImportStatus.DONE, processed_rows=3, created_posts=3)
    yield Visit("done", client.get(_url("import_detail", world, done.pk)))


@page("planning:import_confirm")
def _import_confirm(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    job = _job(world, processed_rows=3)
    yield Visit("confirmed", client.post(_url("import_confirm", world, job.pk), follow=True))
    yield Visit("confirmed again", client.post(_url("import_confirm", world, job.pk), follow=True))


@page("planning:import_discard")
def _import_discard(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    job = _job(world, processed_rows=3)
    yield Visit("discarded", client.post(_url("import_discard", world, job.pk), follow=True))
    done = _job(world, status=ImportStatus.DONE)
    yield Visit("too late", client.post(_url("import_discard", world, done.pk), follow=True))
