"""Schedules: next run in local wall time across DST, the claim that sends once, the e-mail with its
attachments, failures kept without losing the schedule; and the logo's checks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile

from portevoix.core.errors import PermissionDenied, ValidationFailed
from portevoix.media.tests.helpers import image_bytes
from portevoix.reports import schedule, services
from portevoix.reports.models import ReportBranding, ReportSchedule
from portevoix.workspaces.roles import Role

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)


# --- Next run --------------------------------------------------------------------------------------


def weekly(after: dt.datetime, weekday: int = 6, at: dt.time = dt.time(2, 30)) -> dt.datetime:
    return schedule.next_run(
        frequency="weekly", weekday=weekday, day_of_month=1, at=at, tz=PARIS, after=after
    )


def test_weekly_runs_keep_local_time_across_dst():
    # Monday 09:00 local, before and after the spring change (2026-03-29) and the autumn one (10-25).
    first = weekly(paris(2026, 3, 25, 12), weekday=0, at=dt.time(9, 0))
    assert first == dt.datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST
    before = weekly(paris(2026, 3, 20, 12), weekday=0, at=dt.time(9, 0))
    assert before == dt.datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # 09:00 CET
    autumn = weekly(paris(2026, 10, 20, 12), weekday=0, at=dt.time(9, 0))
    assert autumn == dt.datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # 09:00 CET again
    assert autumn.astimezone(PARIS).time() == dt.time(9, 0)


def test_a_time_skipped_in_spring_runs_an_hour_later_and_a_repeated_one_runs_once():
    skipped = weekly(paris(2026, 3, 28, 12))  # Sunday 2026-03-29 02:30 does not exist in Paris
    assert skipped == dt.datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert skipped.astimezone(PARIS).time() == dt.time(3, 30)
    repeated = weekly(paris(2026, 10, 24, 12))  # Sunday 2026-10-25 02:30 happens twice: the first one
    assert repeated == dt.datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    following = weekly(repeated)  # strictly after: the next Sunday, not the second 02:30
    assert following == dt.datetime(2026, 11, 1, 1, 30, tzinfo=UTC)


def test_monthly_runs_use_the_last_day_of_short_months():
    def monthly(after: dt.datetime, day: int) -> dt.datetime:
        return schedule.next_run(
            frequency="monthly", weekday=0, day_of_month=day, at=dt.time(8, 0), tz=PARIS, after=after
        )

    assert monthly(paris(2026, 4, 2), 31) == paris(2026, 4, 30, 8).astimezone(UTC)
    assert monthly(paris(2026, 4, 30, 9), 31) == paris(2026, 5, 31, 8).astimezone(UTC)
    assert monthly(paris(2026, 12, 5), 1) == paris(2027, 1, 1, 8).astimezone(UTC)


def test_reported_periods():
    assert schedule.reported_period(frequency="weekly", run_day=dt.date(2026, 3, 30)) == (
        dt.date(2026, 3, 23),
        dt.date(2026, 3, 29),
    )
    assert schedule.reported_period(frequency="monthly", run_day=dt.date(2026, 3, 1)) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
    )


# --- Creating, claiming, sending -----------------------------------------------------------------


def make(team, **extra) -> ReportSchedule:
    data = services.ScheduleInput(
        name=extra.pop("name", "Hebdo"),
        frequency=extra.pop("frequency", "weekly"),
        time_of_day=extra.pop("time_of_day", dt.time(9, 0)),
        report_format=extra.pop("report_format", "both"),
        weekday=extra.pop("weekday", 0),
        member_ids=extra.pop("member_ids", [team.member(Role.MANAGER).pk]),
        emails=extra.pop("emails", ["client@example.org"]),
        **extra,
    )
    return services.schedule_create(by=team.member(Role.ANALYST), data=data)


@pytest.mark.django_db
def test_create_validates_recipients_and_roles(team, other_team):
    with pytest.raises(ValidationFailed) as error:
        make(team, emails=["not an address", "ok@example.org"])
    assert "emails" in error.value.fields
    with pytest.raises(ValidationFailed) as error:
        make(team, member_ids=[other_team.member(Role.OWNER).pk])
    assert "member_ids" in error.value.fields
    with pytest.raises(ValidationFailed) as error:
        make(team, member_ids=[], emails=[])
    assert "emails" in error.value.fields
    with pytest.raises(PermissionDenied):
        services.schedule_create(
            by=team.member(Role.COPYWRITER),
            data=services.ScheduleInput(
                name="x", frequency="weekly", time_of_day=dt.time(9), report_format="pdf"
            ),
        )
    item = make(team, emails=["Client@Example.org", "client@example.org", " "])
    assert item.emails == ["Client@Example.org"]
    assert item.language == team.workspace.language
    assert item.next_run_at is not None
    assert item.next_run_at.astimezone(PARIS).time() == dt.time(9, 0)
    assert item.next_run_at.astimezone(PARIS).weekday() == 0


@pytest.mark.django_db
def test_due_schedule_is_sent_once_with_attachments(team, fixture):
    item = make(team)
    due = item.next_run_at
    now = due + dt.timedelta(minutes=2)
    first = services.schedules_run_due(now=now)
    second = services.schedules_run_due(now=now)  # a second scheduler, same tick
    assert (first.sent, second.sent, second.due) == (1, 0, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([team.user(Role.MANAGER).email, "client@example.org"])
    names = [name for name, _content, _type in message.attachments]
    assert names[0].endswith(".pdf")
    assert names[1].endswith(".csv")
    assert message.attachments[0][1].startswith(b"%PDF-")
    run_day = now.astimezone(PARIS).date()
    start, end = schedule.reported_period(frequency="weekly", run_day=run_day)
    assert start.isoformat() in message.subject
    assert end.isoformat() in message.subject
    item.refresh_from_db()
    assert item.next_run_at == due + dt.timedelta(days=7)
    assert item.last_sent_at == now
    assert item.last_error == ""


@pytest.mark.django_db
def test_the_claim_is_won_by_one_caller_only(team):
    item = make(team)
    due = item.next_run_at
    now = due + dt.timedelta(minutes=1)
    assert services.claim(item.pk, due, now=now) is not None
    assert services.claim(item.pk, due, now=now) is None  # the row moved on: the loser sends nothing


@pytest.mark.django_db
def test_a_failure_is_kept_and_the_schedule_goes_on(team, monkeypatch):
    item = make(team, report_format="pdf")
    due = item.next_run_at

    def broken(*args, **kwargs):
        raise OSError("SMTP server unreachable")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    result = services.schedules_run_due(now=due + dt.timedelta(minutes=1))
    assert (result.sent, result.failed) == (0, 1)
    item.refresh_from_db()
    assert item.active
    assert "SMTP server unreachable" in item.last_error
    assert item.next_run_at == due + dt.timedelta(days=7)
    assert mail.outbox == []


@pytest.mark.django_db
def test_inactive_schedules_are_not_sent(team):
    item = make(team, active=False)
    assert item.next_run_at is None
    assert services.schedules_run_due(now=dt.datetime(2030, 1, 1, tzinfo=UTC)).due == 0


# --- Logo ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_logo_accepts_png_and_jpeg_only(team):
    owner = team.member(Role.OWNER)
    branding = services.branding_set_logo(
        by=owner, file=SimpleUploadedFile("logo.png", image_bytes("PNG", (120, 40)), "image/png")
    )
    assert (branding.logo_type, branding.logo_width, branding.logo_height) == ("image/png", 120, 40)
    jpeg = services.branding_set_logo(
        by=owner, file=SimpleUploadedFile("l.jpg", image_bytes("JPEG"), "image/jpeg")
    )
    assert jpeg.logo_type == "image/jpeg"
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(ValidationFailed) as error:
        services.branding_set_logo(by=owner, file=SimpleUploadedFile("logo.png", svg, "image/png"))
    assert "SVG" in error.value.fields["file"][0]
    with pytest.raises(ValidationFailed) as error:
        services.branding_set_logo(
            by=owner, file=SimpleUploadedFile("l.gif", image_bytes("GIF"), "image/gif")
        )
    assert "PNG or JPEG" in error.value.fields["file"][0]
    with pytest.raises(ValidationFailed):
        services.branding_set_logo(
            by=owner, file=SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (1024 * 1024 + 1))
        )
    huge = image_bytes("PNG", (2500, 2000))  # 5 megapixels, small file
    with pytest.raises(ValidationFailed) as error:
        services.branding_set_logo(by=owner, file=SimpleUploadedFile("huge.png", huge, "image/png"))
    assert "megapixels" in error.value.fields["file"][0]
    with pytest.raises(PermissionDenied):
        services.branding_set_logo(
            by=team.member(Role.DESIGNER), file=SimpleUploadedFile("l.png", image_bytes("PNG"), "image/png")
        )
    assert ReportBranding.objects.get(workspace=team.workspace).logo_type == "image/jpeg"
    services.branding_clear_logo(by=owner)
    assert not ReportBranding.objects.get(workspace=team.workspace).has_logo


@pytest.mark.django_db
def test_the_periodic_job_is_registered_and_sends_due_reports(team, monkeypatch):
    from portevoix.core.scheduling import load_periodic_jobs
    from portevoix.reports.tasks import send_due_reports

    jobs = {job.name: job for job in load_periodic_jobs()}
    assert jobs["reports.send_due"].task_path == send_due_reports.module_path
    item = make(team, report_format="csv")
    ReportSchedule.objects.filter(pk=item.pk).update(next_run_at=dt.datetime(2026, 1, 5, 8, 0, tzinfo=UTC))
    assert send_due_reports.call() == {"due": 1, "sent": 1, "failed": 0}
    assert [name.endswith(".csv") for name, _c, _t in mail.outbox[0].attachments] == [True]
    assert send_due_reports.call() == {"due": 0, "sent": 0, "failed": 0}
