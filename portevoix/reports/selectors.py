"""Reads for reports, scoped to the caller's workspace: the period asked for (presets or custom), the
report itself, the workspace's branding and its schedules."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portevoix.core.errors import NotFound, ValidationFailed
from portevoix.metrics import selectors as metrics
from portevoix.reports.data import Report, report_build
from portevoix.reports.models import ReportBranding, ReportSchedule
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership, Workspace

MAX_RANGE_DAYS = metrics.MAX_RANGE_DAYS  # 366

PRESETS = {
    "last_7": gettext_lazy("Last 7 days"),
    "last_30": gettext_lazy("Last 30 days"),
    "last_90": gettext_lazy("Last 90 days"),
    "previous_week": gettext_lazy("Previous week"),
    "this_month": gettext_lazy("This month"),
    "previous_month": gettext_lazy("Previous month"),
}


def today(workspace: Workspace) -> dt.date:
    return timezone.localtime(timezone.now(), workspace.tzinfo).date()


def preset_period(preset: str, today: dt.date) -> tuple[dt.date, dt.date]:
    if preset == "last_7":
        return today - dt.timedelta(days=6), today
    if preset == "last_90":
        return today - dt.timedelta(days=89), today
    if preset == "previous_week":
        monday = today - dt.timedelta(days=today.weekday())
        return monday - dt.timedelta(days=7), monday - dt.timedelta(days=1)
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "previous_month":
        last = today.replace(day=1) - dt.timedelta(days=1)
        return last.replace(day=1), last
    if preset == "last_30":
        return today - dt.timedelta(days=29), today
    message = _("Unknown period.")
    raise ValidationFailed(message, fields={"preset": [message]})


def period(
    workspace: Workspace, start: dt.date | None, end: dt.date | None, preset: str | None = None
) -> tuple[dt.date, dt.date]:
    """A preset, else ``start`` .. ``end`` (default: the last 30 days); at most 366 days, not reversed."""
    if preset:
        return preset_period(preset, today(workspace))
    return metrics.period(workspace, start, end)


def report_for(*, by: Membership, start: dt.date, end: dt.date, language: str | None = None) -> Report:
    permissions.require(by, "analytics.view")
    workspace = by.workspace
    language = language or translation.get_language() or workspace.language
    with translation.override(language):
        return report_build(workspace, start, end, language=language)


@dataclass(frozen=True)
class Logo:
    content: bytes
    content_type: str
    width: int
    height: int

    @property
    def data_uri(self) -> str:
        """For an <img> of the page: the logo is small (at most 1 MB) and was checked on upload."""
        return f"data:{self.content_type};base64,{base64.b64encode(self.content).decode('ascii')}"


def branding_logo(workspace: Workspace) -> Logo | None:
    branding = ReportBranding.objects.filter(workspace=workspace).first()
    if branding is None or not branding.logo:
        return None
    return Logo(
        content=bytes(branding.logo),
        content_type=branding.logo_type,
        width=branding.logo_width or 0,
        height=branding.logo_height or 0,
    )


def schedule_list(*, by: Membership) -> QuerySet[ReportSchedule]:
    permissions.require(by, "analytics.view")
    return (
        ReportSchedule.objects.filter(workspace=by.workspace)
        .prefetch_related("members__user")
        .order_by("name", "pk")
    )


def schedule_get(*, by: Membership, schedule_id: int) -> ReportSchedule:
    """NotFound first (foreign ids are not disclosed), then the role check."""
    schedule = ReportSchedule.objects.filter(workspace=by.workspace, pk=schedule_id).first()
    if schedule is None:
        raise NotFound(_("No such report schedule."))
    permissions.require(by, "analytics.view")
    return schedule


def member_choices(workspace: Workspace) -> list[tuple[int, str]]:
    return [
        (membership.pk, f"{membership.user.full_name or membership.user.email} <{membership.user.email}>")
        for membership in Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    ]
