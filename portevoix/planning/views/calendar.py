"""The calendar page (day, week, month and year views of the workspace's posts, with filters and the
rubric mix of the period) and the endpoint its drag and drop calls to move a post (JSON).

Thin: the period, the posts and the grids come from planning.selectors.calendar, the move from
planning.services.calendar. The chips of the posts are written here in Python rather than with one
template include per chip: a month of 1,000 posts stays fast (bench/calendar.py).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from portevoix.content import selectors as content_selectors
from portevoix.content.validation import network_label
from portevoix.core.errors import PortevoixError
from portevoix.planning.selectors import calendar as selectors
from portevoix.planning.selectors.calendar import CalendarItem, Filters, View
from portevoix.planning.selectors.rubrics import NO_RUBRIC_COLOUR, rubric_mix
from portevoix.planning.services import calendar as services
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view

MONTH_CHIPS_PER_DAY = 4  # the rest of a busy day is behind "+N more" (its day view)
NEW_POST_HOUR = 9  # a post created from an empty day of the month starts at 09:00
COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
MIN_YEAR, MAX_YEAR = 1970, 2999
VIEW_LABELS = {
    View.DAY: gettext_lazy("Day"),
    View.WEEK: gettext_lazy("Week"),
    View.MONTH: gettext_lazy("Month"),
    View.YEAR: gettext_lazy("Year"),
}


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


class CalendarQuery(forms.Form):
    """The query string of the page. A value that is not valid is ignored (the page shows the default)."""

    view = forms.ChoiceField(choices=[(v.value, v.value) for v in View], required=False)
    date = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    channel = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    network = forms.RegexField(regex=r"^[a-z0-9_-]{1,32}$", required=False)
    rubric = forms.RegexField(regex=rf"^(\d{{1,18}}|{selectors.NO_RUBRIC})$", required=False)
    status = forms.ChoiceField(
        choices=[(s.value, s.value) for s in content_selectors.PostStatus], required=False
    )
    author = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)

    def value(self, name: str) -> Any:
        if not self.is_bound:
            return None
        self.is_valid()
        if name in self.errors:
            return None
        return self.cleaned_data.get(name) or None

    def filters(self) -> Filters:
        rubric = self.value("rubric")
        status = self.value("status")
        return Filters(
            channel_id=self.value("channel"),
            network=self.value("network"),
            rubric=int(rubric) if rubric and rubric != selectors.NO_RUBRIC else rubric,
            status=content_selectors.PostStatus(status) if status else None,
            author_id=self.value("author"),
        )


def _filter_params(filters: Filters) -> dict[str, str]:
    values = {
        "channel": filters.channel_id,
        "network": filters.network,
        "rubric": filters.rubric,
        "status": filters.status,
        "author": filters.author_id,
    }
    return {key: str(value) for key, value in values.items() if value not in (None, "")}


# --- Chips ----------------------------------------------------------------------------------------


class Chips:
    """Writes the chip of a post (one link coloured by its rubric, with its time, title, networks and
    status). Labels, URLs and the draggable flag are worked out once per page."""

    def __init__(self, *, slug: str, can_move: bool) -> None:
        self.detail = reverse("content:detail", args=[slug, 1]).removesuffix("1/")
        self.can_move = can_move
        self.status_labels = {
            status: escape(str(label)) for status, label in content_selectors.STATUS_LABELS.items()
        }
        self.networks: dict[str, str] = {}
        self.move_hint = escape(_("Drag to another day or time to move it."))

    def _network(self, key: str) -> str:
        if key not in self.networks:
            self.networks[key] = escape(network_label(key))
        return self.networks[key]

    def chip(self, item: CalendarItem) -> str:
        colour = item.colour if COLOUR.match(item.colour or "") else NO_RUBRIC_COLOUR
        time_text = item.local.strftime("%H:%M")
        movable = self.can_move and item.movable
        networks = " ".join(f'<span class="pv-net">{self._network(key)}</span>' for key in item.networks)
        title = escape(item.title)
        rubric = escape(item.rubric_name)
        tooltip = f"{time_text} · {title}" + (f" · {rubric}" if rubric else "")
        if movable:
            tooltip += f" — {self.move_hint}"
        return (
            f'<a class="pv-chip pv-chip-{item.status}" href="{self.detail}{item.id}/" '
            f'style="--pv-rubric:{colour}" data-testid="calendar-chip" data-post="{item.id}" '
            f'data-time="{time_text}" data-status="{item.status}" title="{tooltip}"'
            + (' draggable="true" data-movable="1"' if movable else ' draggable="false"')
            + f'><span class="pv-chip-time">{time_text}</span> <span class="pv-chip-title">{title}</span>'
            f'<span class="pv-chip-meta">{networks} '
            f'<span class="pv-status pv-status-{item.status}">{self.status_labels[item.status]}</span>'
            "</span></a>"
        )

    def many(self, items: list[CalendarItem], limit: int | None = None) -> SafeString:
        shown = items if limit is None else items[:limit]
        return mark_safe("".join(self.chip(item) for item in shown))  # noqa: S308  (escaped above)


# --- The page -------------------------------------------------------------------------------------


@workspace_view("post.view")
def calendar(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    slug = membership.workspace.slug
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    query = CalendarQuery(request.GET)
    view = View(query.value("view") or View.MONTH)
    anchor = query.value("date") or today
    if not MIN_YEAR <= anchor.year <= MAX_YEAR:
        anchor = today
    filters = query.filters()
    period = selectors.calendar_period(view, anchor)
    start = selectors.local_midnight(period.start, zone)
    end = selectors.local_midnight(period.end, zone)
    can_move = permissions.can(membership, "post.publish")
    can_create = permissions.can(membership, "post.edit")
    chips = Chips(slug=slug, can_move=can_move)
    base = reverse("planning:calendar", args=[slug])
    kept = _filter_params(filters)

    def link(view_: View, day: date) -> str:
        return f"{base}?{urlencode({'view': view_.value, 'date': day.isoformat(), **kept})}"

    new_url = reverse("content:new", args=[slug]) if can_create else ""
    context: dict[str, Any] = {
        "period": period,
        "view": view.value,
        "views": [(v.value, VIEW_LABELS[v], link(v, anchor)) for v in View],
        "previous_url": link(view, period.previous),
        "next_url": link(view, period.next),
        "today_url": link(view, today),
        "filters": filters,
        "filter_params": kept,
        "choices": selectors.calendar_filter_choices(by=membership),
        "can_move": can_move,
        "can_create": can_create,
        "new_url": new_url,
        "zone_name": timezone.get_current_timezone_name(),
        "reschedule_url": reverse("planning:calendar_reschedule", args=[slug, 0]).removesuffix(
            "0/reschedule/"
        ),
        "mix": rubric_mix(
            workspace=membership.workspace,
            start=selectors.local_midnight(period.focus_start, zone),
            end=selectors.local_midnight(period.focus_end, zone),
        ),
        "title": _period_title(period),
    }
    if view == View.YEAR:
        counts = selectors.calendar_day_counts(
            by=membership, start=start, end=end, filters=filters, zone=zone
        )
        context["months"] = selectors.year_grid(anchor.year, counts)
        context["year_total"] = sum(counts.values())
        context["day_url"] = f"{base}?{urlencode({'view': View.DAY.value, **kept})}&date="
        context["month_url"] = f"{base}?{urlencode({'view': View.MONTH.value, **kept})}&date="
        context["today"] = today
    else:
        items = selectors.calendar_items(by=membership, start=start, end=end, filters=filters, zone=zone)
        by_day = selectors.group_by_day(items)
        context["total"] = len(items)
        if view == View.MONTH:
            context["weeks"] = _month_rows(period, by_day, today, chips, link, new_url)
            context["weekdays"] = [date_format(day, "D") for day in period.days()[:7]]
        else:
            context["columns"] = [
                {"day": day, "today": day == today, "url": link(View.DAY, day)} for day in period.days()
            ]
            context["hours"] = _hour_rows(period, by_day, chips, new_url)
    return render(request, "planning/calendar.html", context)


def _period_title(period: selectors.Period) -> str:
    if period.view == View.DAY:
        return date_format(period.anchor, "DATE_FORMAT")
    if period.view == View.WEEK:
        last = period.end - timedelta(days=1)
        return _("%(first)s – %(last)s") % {
            "first": date_format(period.start, "DATE_FORMAT"),
            "last": date_format(last, "DATE_FORMAT"),
        }
    if period.view == View.YEAR:
        return str(period.anchor.year)
    return date_format(period.focus_start, "YEAR_MONTH_FORMAT")


def _month_rows(
    period: selectors.Period,
    by_day: dict[date, list[CalendarItem]],
    today: date,
    chips: Chips,
    link: Any,
    new_url: str,
) -> list[list[dict[str, Any]]]:
    rows = []
    for week in selectors.month_grid(period, by_day, today):
        row = []
        for cell in week:
            more = max(0, len(cell.items) - MONTH_CHIPS_PER_DAY)
            row.append(
                {
                    "day": cell.day,
                    "iso": cell.day.isoformat(),
                    "in_focus": cell.in_focus,
                    "today": cell.today,
                    "chips": chips.many(cell.items, MONTH_CHIPS_PER_DAY),
                    "count": len(cell.items),
                    "more": more,
                    "more_label": ngettext("+%(count)s more", "+%(count)s more", more) % {"count": more}
                    if more
                    else "",
                    "day_url": link(View.DAY, cell.day),
                    "new_url": f"{new_url}?at={cell.day.isoformat()}T{NEW_POST_HOUR:02d}:00"
                    if new_url
                    else "",
                }
            )
        rows.append(row)
    return rows


def _hour_rows(
    period: selectors.Period, by_day: dict[date, list[CalendarItem]], chips: Chips, new_url: str
) -> list[dict[str, Any]]:
    slots: dict[tuple[date, int], list[CalendarItem]] = {}
    for day, items in by_day.items():
        for item in items:
            slots.setdefault((day, item.local.hour), []).append(item)
    rows = []
    for hour in range(24):
        cells = []
        for day in period.days():
            items = slots.get((day, hour), [])
            iso = day.isoformat()
            cells.append(
                {
                    "iso": iso,
                    "chips": chips.many(items),
                    "count": len(items),
                    "new_url": f"{new_url}?at={iso}T{hour:02d}:00" if new_url else "",
                }
            )
        rows.append({"hour": hour, "label": f"{hour:02d}:00", "cells": cells})
    return rows


# --- Moving a post --------------------------------------------------------------------------------


class MoveForm(forms.Form):
    at = forms.CharField(max_length=40)
    timezone = forms.CharField(max_length=64, required=False)


def _error(status: int, code: str, message: str, fields: dict[str, list[str]] | None = None) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "message": message, "fields": fields or {}}}, status=status)


@require_POST
@workspace_view("post.publish")
def calendar_reschedule(request: HttpRequest, post_id: int) -> HttpResponse:
    """Move a post to the wall time ``at`` in the viewer's zone (or ``timezone``). Answers JSON: the new
    time, the previous one (to undo) and a message; errors as ``{"error": {"code", "message"}}``."""
    membership = _membership(request)
    form = MoveForm(request.POST)
    if not form.is_valid() or "\x00" in "".join(str(v) for v in form.cleaned_data.values()):
        message = _("Enter a date and time such as 2026-03-29T09:30.")
        return _error(422, "validation_failed", message, {"at": [message]})
    zone_name = form.cleaned_data["timezone"] or timezone.get_current_timezone_name()
    try:
        post = content_selectors.post_get(by=membership, post_id=post_id)
        moved = services.post_reschedule(
            by=membership, post=post, at=form.cleaned_data["at"], zone_name=zone_name
        )
    except PortevoixError as error:
        details = [m for messages in error.fields.values() for m in messages if m != error.message]
        return _error(error.status, error.code, " ".join([error.message, *details][:3]), error.fields)
    zone = timezone.get_current_timezone()
    local = moved.scheduled.astimezone(zone)
    previous = moved.previous.astimezone(zone) if moved.previous else None
    message = _("Moved to %(when)s.") % {"when": date_format(local, "DATETIME_FORMAT")}
    return JsonResponse(
        {
            "post": moved.post.pk,
            "scheduled_at": moved.scheduled.isoformat(),
            "local": local.isoformat(),
            "timezone": moved.zone,
            "previous": {"at": previous.isoformat(), "scheduled_at": _utc(moved.previous)}
            if previous
            else None,
            "message": message,
            "note": moved.note,
        }
    )


def _utc(instant: datetime | None) -> str | None:
    return instant.isoformat() if instant else None
