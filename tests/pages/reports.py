"""Pages of reports rendered in every language (see tests/pages/__init__.py): the page with figures, a
logo and a schedule; the forms' success and problem answers. The PDF and CSV are files, tested apart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portevoix.media.tests.helpers import image_bytes
from portevoix.metrics.services.record import Reading, Values, followers_write, snapshots_write
from portevoix.reports import services
from portevoix.reports.models import ReportSchedule
from portevoix.workspaces.roles import Role
from tests.pages.metrics import _published
from tests.test_pages_render import SKIPPED, Visit, World, page

SKIPPED["reports:pdf"] = "the PDF report, a file (reports/tests/test_exports.py, test_api_views.py)"
SKIPPED["reports:csv"] = "the CSV report, a file (reports/tests/test_exports.py, test_api_views.py)"


def rp(name: str, world: World, *args: object) -> str:
    return reverse(f"reports:{name}", args=[world.slug(), *args])


def _schedule(world: World) -> ReportSchedule:
    return services.schedule_create(
        by=world.member(Role.OWNER),
        data=services.ScheduleInput(
            name="Lundi",
            frequency="weekly",
            time_of_day=dt.time(9, 0),
            report_format="both",
            member_ids=[world.member(Role.MANAGER).pk],
            emails=["agence@example.org"],
        ),
    )


def _schedule_data(world: World, **extra: str) -> dict[str, object]:
    return {
        "name": "Mensuel",
        "frequency": "monthly",
        "weekday": "0",
        "day_of_month": "31",
        "time_of_day": "07:30",
        "report_format": "pdf",
        "language": world.language,
        "members": [str(world.member(Role.OWNER).pk)],
        "emails": "",
        "active": "on",
        **extra,
    }


def _logo() -> SimpleUploadedFile:
    return SimpleUploadedFile("logo.png", image_bytes("PNG", (80, 30)), "image/png")


@page("reports:page")
def _reports_page(world: World) -> Iterator[Visit]:
    yield Visit("empty", world.signed_in().get(rp("page", world)))
    target = _published(world)
    now = timezone.now()
    snapshots_write(readings=[Reading(target, Values(views=300, likes=12, comments=2), now)], source="manual")
    followers_write(channel=target.channel, followers=410, collected_at=now - dt.timedelta(days=1))
    services.branding_set_logo(by=world.member(Role.OWNER), file=_logo())
    _schedule(world)
    yield Visit("with figures, logo and a schedule", world.signed_in().get(rp("page", world)))
    yield Visit(
        "designer: read only", world.signed_in(Role.DESIGNER).get(rp("page", world) + "?preset=last_7")
    )
    yield Visit(
        "reversed period", world.signed_in().get(rp("page", world) + "?start=2026-03-09&end=2026-03-01"), 422
    )


@page("reports:logo_upload")
def _reports_logo_upload(world: World) -> Iterator[Visit]:
    client = world.signed_in(Role.ANALYST)
    yield Visit("saved", client.post(rp("logo_upload", world), {"file": _logo()}, follow=True))
    svg = SimpleUploadedFile("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml")
    yield Visit("SVG refused", client.post(rp("logo_upload", world), {"file": svg}), 422)


@page("reports:logo_clear")
def _reports_logo_clear(world: World) -> Iterator[Visit]:
    services.branding_set_logo(by=world.member(Role.OWNER), file=_logo())
    yield Visit("removed", world.signed_in().post(rp("logo_clear", world), follow=True))


@page("reports:schedule_create")
def _reports_schedule_create(world: World) -> Iterator[Visit]:
    client = world.signed_in(Role.MANAGER)
    yield Visit("saved", client.post(rp("schedule_create", world), _schedule_data(world), follow=True))
    bad = _schedule_data(world, emails="not-an-address", members=[])
    yield Visit("bad address", client.post(rp("schedule_create", world), bad), 422)


@page("reports:schedule_edit")
def _reports_schedule_edit(world: World) -> Iterator[Visit]:
    item = _schedule(world)
    client = world.signed_in()
    yield Visit("form", client.get(rp("schedule_edit", world, item.pk)))
    yield Visit(
        "problem", client.post(rp("schedule_edit", world, item.pk), _schedule_data(world, name="")), 422
    )
    yield Visit("saved", client.post(rp("schedule_edit", world, item.pk), _schedule_data(world), follow=True))


@page("reports:schedule_delete")
def _reports_schedule_delete(world: World) -> Iterator[Visit]:
    item = _schedule(world)
    yield Visit("deleted", world.signed_in().post(rp("schedule_delete", world, item.pk), follow=True))
