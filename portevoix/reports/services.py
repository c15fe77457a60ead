"""Writes for reports: the workspace's logo, report schedules, and sending the reports that are due.

Sending (``schedules_run_due``, called by the periodic job in tasks.py): each due schedule is claimed by a
conditional UPDATE that moves ``next_run_at`` from the value read to the next run; the process whose UPDATE
changed the row sends, any other finds nothing to claim. A failure to render or send is logged and kept in
``last_error``; the schedule stays active with its next run (nothing is sent twice, nothing is lost).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portevoix.core.errors import ValidationFailed
from portevoix.media import formats, images
from portevoix.reports import csv_export, pdf, schedule
from portevoix.reports.data import report_build
from portevoix.reports.models import Frequency, ReportBranding, ReportFormat, ReportSchedule
from portevoix.reports.selectors import branding_logo
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

logger = logging.getLogger(__name__)

MAX_LOGO_BYTES = 1024 * 1024
MAX_LOGO_PIXELS = 4_000_000
MAX_RECIPIENTS = 50
MAX_NAME = 120
LOGO_FORMATS = (formats.PNG, formats.JPEG)


# --- Logo ----------------------------------------------------------------------------------------------


def _read_logo(file: UploadedFile) -> bytes:
    size = file.size
    if size is None or size > MAX_LOGO_BYTES:
        message = _("The logo is larger than 1 MB: make it smaller.")
        raise ValidationFailed(message, fields={"file": [message]})
    data = file.read(MAX_LOGO_BYTES + 1)
    if len(data) > MAX_LOGO_BYTES:
        message = _("The logo is larger than 1 MB: make it smaller.")
        raise ValidationFailed(message, fields={"file": [message]})
    return data


def branding_set_logo(*, by: Membership, file: UploadedFile) -> ReportBranding:
    """Store a new logo: the file's type is read from its first bytes (PNG or JPEG only: SVG and the
    rest are refused), at most 1 MB and 4 megapixels, opened and cleaned like a media upload."""
    permissions.require(by, "analytics.manage")
    data = _read_logo(file)
    fmt = formats.sniff(data[: formats.SNIFF_BYTES])
    if fmt not in LOGO_FORMATS:
        message = _("The logo must be a PNG or JPEG image.")
        raise ValidationFailed(message, fields={"file": [message]})
    clean = images.clean_image(data, fmt, max_pixels=MAX_LOGO_PIXELS)
    with transaction.atomic():
        branding, _created = ReportBranding.objects.select_for_update().get_or_create(workspace=by.workspace)
        branding.logo = clean.content
        branding.logo_type = fmt.content_type
        branding.logo_width, branding.logo_height = clean.width, clean.height
        branding.updated_by = by.user
        branding.save()
        audit.record(actor=by.user, action="report.logo_set", workspace=by.workspace, obj=branding)
    return branding


def branding_clear_logo(*, by: Membership) -> None:
    permissions.require(by, "analytics.manage")
    with transaction.atomic():
        updated = ReportBranding.objects.filter(workspace=by.workspace).update(
            logo=None, logo_type="", logo_width=None, logo_height=None, updated_by=by.user
        )
        if updated:
            audit.record(actor=by.user, action="report.logo_clear", workspace=by.workspace)


# --- Schedules -----------------------------------------------------------------------------------------


@dataclass
class ScheduleInput:
    name: str
    frequency: str
    time_of_day: dt.time
    report_format: str
    weekday: int = 0
    day_of_month: int = 1
    language: str = ""
    member_ids: Sequence[int] = field(default_factory=list)
    emails: Sequence[str] = field(default_factory=list)
    active: bool = True


def _problems(
    by: Membership, data: ScheduleInput
) -> tuple[dict[str, list[str]], list[Membership], list[str]]:
    from django.conf import settings

    problems: dict[str, list[str]] = {}
    name = (data.name or "").strip()
    if not name or len(name) > MAX_NAME:
        problems["name"] = [_("Give a name of 1 to %(n)s characters.") % {"n": MAX_NAME}]
    if data.frequency not in Frequency.values:
        problems["frequency"] = [_("Choose weekly or monthly.")]
    if data.report_format not in ReportFormat.values:
        problems["report_format"] = [_("Choose PDF, CSV or both.")]
    if not 0 <= data.weekday <= 6:
        problems["weekday"] = [_("Choose a day from Monday (0) to Sunday (6).")]
    if not 1 <= data.day_of_month <= 31:
        problems["day_of_month"] = [_("Choose a day from 1 to 31.")]
    if data.language and data.language not in dict(settings.LANGUAGES):
        problems["language"] = [_("Choose one of the interface languages.")]
    ids = list(dict.fromkeys(data.member_ids))
    members = list(Membership.objects.filter(workspace=by.workspace, pk__in=ids).select_related("user"))
    if len(members) != len(ids):
        problems["member_ids"] = [_("Choose members of this workspace.")]
    emails: list[str] = []
    bad = []
    for raw in data.emails:
        value = (raw or "").strip()
        if not value:
            continue
        try:
            validate_email(value)
        except DjangoValidationError:
            bad.append(value[:100])
            continue
        if value.lower() not in {email.lower() for email in emails}:
            emails.append(value)
    if bad:
        problems["emails"] = [_("Not an e-mail address: %(list)s") % {"list": ", ".join(bad)}]
    if not members and not emails and "member_ids" not in problems and "emails" not in problems:
        problems["emails"] = [_("Choose at least one recipient.")]
    if len(members) + len(emails) > MAX_RECIPIENTS:
        problems["emails"] = [_("At most %(n)s recipients.") % {"n": MAX_RECIPIENTS}]
    return problems, members, emails


def _apply(item: ReportSchedule, data: ScheduleInput, *, now: dt.datetime) -> None:
    item.name = data.name.strip()
    item.frequency = data.frequency
    item.weekday = data.weekday
    item.day_of_month = data.day_of_month
    item.time_of_day = data.time_of_day.replace(second=0, microsecond=0, tzinfo=None)
    item.report_format = data.report_format
    item.language = data.language or item.workspace.language
    item.emails = list(data.emails)
    item.active = data.active
    item.next_run_at = schedule_next(item, now) if data.active else None


def schedule_next(item: ReportSchedule, after: dt.datetime) -> dt.datetime:
    return schedule.next_run(
        frequency=item.frequency,
        weekday=item.weekday,
        day_of_month=item.day_of_month,
        at=item.time_of_day,
        tz=item.workspace.tzinfo,
        after=after,
    )


def schedule_create(*, by: Membership, data: ScheduleInput) -> ReportSchedule:
    permissions.require(by, "analytics.manage")
    problems, members, emails = _problems(by, data)
    if problems:
        raise ValidationFailed(_("The schedule has problems."), fields=problems)
    data.emails = emails
    with transaction.atomic():
        item = ReportSchedule(workspace=by.workspace, created_by=by.user)
        _apply(item, data, now=timezone.now())
        item.save()
        item.members.set(members)
        audit.record(actor=by.user, action="report.schedule_create", workspace=by.workspace, obj=item)
    return item


def schedule_update(*, by: Membership, schedule_obj: ReportSchedule, data: ScheduleInput) -> ReportSchedule:
    permissions.require(by, "analytics.manage")
    if schedule_obj.workspace_id != by.workspace_id:
        raise ValidationFailed(_("No such report schedule."))
    problems, members, emails = _problems(by, data)
    if problems:
        raise ValidationFailed(_("The schedule has problems."), fields=problems)
    data.emails = emails
    with transaction.atomic():
        _apply(schedule_obj, data, now=timezone.now())
        schedule_obj.save()
        schedule_obj.members.set(members)
        audit.record(actor=by.user, action="report.schedule_update", workspace=by.workspace, obj=schedule_obj)
    return schedule_obj


def schedule_delete(*, by: Membership, schedule_obj: ReportSchedule) -> None:
    permissions.require(by, "analytics.manage")
    with transaction.atomic():
        audit.record(actor=by.user, action="report.schedule_delete", workspace=by.workspace, obj=schedule_obj)
        schedule_obj.delete()


# --- Sending -------------------------------------------------------------------------------------------


def recipients(item: ReportSchedule) -> list[str]:
    found: list[str] = []
    for membership in item.members.select_related("user"):
        if membership.user.is_active and membership.user.email:
            found.append(membership.user.email)
    for email in item.emails or []:
        if isinstance(email, str) and email.lower() not in {value.lower() for value in found}:
            found.append(email)
    return found


def claim(item_id: int, expected: dt.datetime, *, now: dt.datetime) -> ReportSchedule | None:
    """Move the schedule's next run from ``expected`` to the one after ``now``; the schedule when this
    call won the run, None when another process claimed it first (or it changed meanwhile)."""
    item = ReportSchedule.objects.select_related("workspace").filter(pk=item_id).first()
    if item is None:
        return None
    following = schedule_next(item, max(now, expected))
    won = ReportSchedule.objects.filter(pk=item_id, active=True, next_run_at=expected).update(
        next_run_at=following, last_run_at=now
    )
    if not won:
        return None
    item.next_run_at, item.last_run_at = following, now
    return item


def attachments(item: ReportSchedule, start: dt.date, end: dt.date) -> list[tuple[str, bytes, str]]:
    workspace = item.workspace
    language = item.language or workspace.language
    with translation.override(language):
        report = report_build(workspace, start, end, language=language)
        stem = f"report-{workspace.slug}-{start.isoformat()}-{end.isoformat()}"
        files: list[tuple[str, bytes, str]] = []
        if item.report_format in (ReportFormat.PDF, ReportFormat.BOTH):
            logo = branding_logo(workspace)
            files.append(
                (
                    f"{stem}.pdf",
                    pdf.render_pdf(report, logo=logo.content if logo else None),
                    "application/pdf",
                )
            )
        if item.report_format in (ReportFormat.CSV, ReportFormat.BOTH):
            files.append((f"{stem}.csv", csv_export.render_csv(report), "text/csv"))
    return files


def schedule_send(item: ReportSchedule, *, now: dt.datetime) -> bool:
    """Render and e-mail one claimed schedule's report; False (logged, kept in last_error) on failure."""
    workspace = item.workspace
    run_day = timezone.localtime(now, workspace.tzinfo).date()
    start, end = schedule.reported_period(frequency=item.frequency, run_day=run_day)
    try:
        to = recipients(item)
        if not to:
            raise ValueError("no recipients left")
        files = attachments(item, start, end)
        with translation.override(item.language or workspace.language):
            subject = _("%(workspace)s: report %(start)s – %(end)s") % {
                "workspace": workspace.name,
                "start": start.isoformat(),
                "end": end.isoformat(),
            }
            body = _(
                "Hello,\n\nAttached is the report “%(name)s” of %(workspace)s for %(start)s – %(end)s "
                "(time zone %(tz)s).\n\n— Portevoix"
            ) % {
                "name": item.name,
                "workspace": workspace.name,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "tz": workspace.timezone,
            }
        message = EmailMessage(subject=subject, body=body, to=to)
        for name, content, mimetype in files:
            message.attach(name, content, mimetype)
        message.send(fail_silently=False)
    except Exception as error:  # the schedule must survive whatever went wrong: log and keep the error
        logger.exception("Report schedule %s could not be sent", item.pk)
        ReportSchedule.objects.filter(pk=item.pk).update(last_error=f"{type(error).__name__}: {error}"[:1000])
        return False
    ReportSchedule.objects.filter(pk=item.pk).update(last_sent_at=now, last_error="")
    return True


@dataclass
class RunResult:
    due: int = 0
    sent: int = 0
    failed: int = 0


def schedules_run_due(*, now: dt.datetime | None = None, limit: int = 100) -> RunResult:
    now = now or timezone.now()
    result = RunResult()
    due = (
        ReportSchedule.objects.filter(active=True, next_run_at__lte=now)
        .order_by("next_run_at")
        .values_list("pk", "next_run_at")[:limit]
    )
    for item_id, expected in list(due):
        if expected is None:
            continue
        result.due += 1
        item = claim(item_id, expected, now=now)
        if item is None:
            continue
        if schedule_send(item, now=now):
            result.sent += 1
        else:
            result.failed += 1
    return result
