"""The rubrics page: each rubric with its actual vs target share over a chosen period (default: the current
month in the workspace's zone), and the forms to create, change, reorder, archive and delete rubrics.
Thin: services and selectors do the work."""

from __future__ import annotations

import calendar
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portevoix.core.errors import PortevoixError
from portevoix.core.forms import add_service_errors
from portevoix.planning.models import Rubric
from portevoix.planning.selectors import rubrics as selectors
from portevoix.planning.services import rubrics as services
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view

MAX_PERIOD = timedelta(days=400)


class RubricForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=services.MAX_NAME)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        max_length=services.MAX_DESCRIPTION,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    colour = forms.CharField(
        label=gettext_lazy("Colour"),
        max_length=7,
        initial=services.DEFAULT_COLOUR,
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    target_share = forms.IntegerField(
        label=gettext_lazy("Target share (%)"),
        required=False,
        min_value=0,
        max_value=100,
        help_text=gettext_lazy("The targets of the active rubrics add up to at most 100%."),
    )


class PeriodForm(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and (end < start or end - start > MAX_PERIOD):
            raise forms.ValidationError(_("Choose an end on or after the start, at most 400 days later."))
        return data


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _month(today: date) -> tuple[date, date]:
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


def _bounds(start: date, end: date, zone: Any) -> tuple[datetime, datetime]:
    """[local midnight of ``start``, local midnight after ``end``) as instants."""
    return (
        datetime.combine(start, time(), tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time(), tzinfo=zone),
    )


@workspace_view("post.view")
def rubric_list(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    workspace = membership.workspace
    zone = workspace.tzinfo
    start, end = _month(timezone.now().astimezone(zone).date())
    period = PeriodForm(request.GET or None, initial={"start": start, "end": end})
    if request.GET and period.is_valid():
        start, end = period.cleaned_data["start"], period.cleaned_data["end"]
    if request.GET and not period.is_valid():
        messages.error(request, _("That period is not valid; the current month is shown."))
        period = PeriodForm(initial={"start": start, "end": end})
    begin, finish = _bounds(start, end, zone)
    mix = selectors.rubric_mix(workspace=workspace, start=begin, end=finish)
    rubrics = selectors.rubric_list(workspace=workspace, include_archived=True)
    targets = sum(r.target_share or 0 for r in rubrics if not r.archived)
    context = {
        "mix": mix,
        "rubrics": rubrics,
        "period": period,
        "start": start,
        "end": end,
        "total_posts": sum(share.count for share in mix),
        "targets_total": targets,
        "form": RubricForm(),
        "can_manage": permissions.can(membership, "rubric.manage"),
    }
    return render(request, "planning/rubrics.html", context)


def _done(request: HttpRequest) -> HttpResponse:
    return redirect("planning:rubrics", _membership(request).workspace.slug)


def _error(request: HttpRequest, error: PortevoixError) -> None:
    details = [m for field in error.fields.values() for m in field if m != error.message]
    messages.error(request, " ".join([error.message, *details]))


@require_POST
@workspace_view("rubric.manage")
def rubric_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = RubricForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return _done(request)
    try:
        rubric = services.rubric_create(by=membership, **form.cleaned_data)
    except PortevoixError as error:
        _error(request, error)
    else:
        messages.success(request, _("Rubric “%(name)s” created.") % {"name": rubric.name})
    return _done(request)


def _rubric(request: HttpRequest, rubric_id: int) -> Rubric:
    return selectors.rubric_get(workspace=_membership(request).workspace, rubric_id=rubric_id)


@workspace_view("rubric.manage")
def rubric_edit(request: HttpRequest, rubric_id: int) -> HttpResponse:
    membership = _membership(request)
    rubric = _rubric(request, rubric_id)
    if request.method != "POST":
        form = RubricForm(
            initial={
                "name": rubric.name,
                "description": rubric.description,
                "colour": rubric.colour,
                "target_share": rubric.target_share,
            }
        )
        return render(request, "planning/rubrics_edit.html", {"form": form, "rubric": rubric})
    form = RubricForm(request.POST)
    if form.is_valid():
        try:
            services.rubric_update(by=membership, rubric=rubric, **form.cleaned_data)
        except PortevoixError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Rubric saved."))
            return _done(request)
    return render(request, "planning/rubrics_edit.html", {"form": form, "rubric": rubric}, status=422)


@require_POST
@workspace_view("rubric.manage")
def rubric_move(request: HttpRequest, rubric_id: int) -> HttpResponse:
    membership = _membership(request)
    rubric = _rubric(request, rubric_id)
    order = [r.pk for r in selectors.rubric_list(workspace=membership.workspace, include_archived=True)]
    index = order.index(rubric.pk)
    step = -1 if request.POST.get("direction") == "up" else 1
    try:
        services.rubric_move(by=membership, rubric=rubric, position=max(0, index + step))
    except PortevoixError as error:
        _error(request, error)
    return _done(request)


@require_POST
@workspace_view("rubric.manage")
def rubric_archive(request: HttpRequest, rubric_id: int) -> HttpResponse:
    membership = _membership(request)
    rubric = _rubric(request, rubric_id)
    archived = request.POST.get("archived", "1") != "0"
    try:
        services.rubric_update(by=membership, rubric=rubric, archived=archived)
    except PortevoixError as error:
        _error(request, error)
    else:
        messages.success(
            request,
            (
                _("Rubric “%(name)s” archived; its posts keep it.")
                if archived
                else _("Rubric “%(name)s” restored.")
            )
            % {"name": rubric.name},
        )
    return _done(request)


@require_POST
@workspace_view("rubric.manage")
def rubric_delete(request: HttpRequest, rubric_id: int) -> HttpResponse:
    membership = _membership(request)
    rubric = _rubric(request, rubric_id)
    try:
        services.rubric_delete(by=membership, rubric=rubric)
    except PortevoixError as error:
        _error(request, error)
    else:
        messages.success(request, _("Rubric deleted."))
    return _done(request)
