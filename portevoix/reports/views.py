"""The reports page: pick a period, see its key figures, download the PDF or the CSV; (analytics.manage)
set the logo and schedule reports by e-mail. Thin: selectors and services do the work."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from portevoix.core.errors import ValidationFailed
from portevoix.core.forms import add_service_errors
from portevoix.reports import csv_export, pdf, selectors, services
from portevoix.reports.forms import LogoForm, PeriodForm, ScheduleForm
from portevoix.reports.models import ReportSchedule
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


def _period(request: HttpRequest) -> tuple[PeriodForm, dt.date, dt.date, bool]:
    """The period form and the period it gives (the last 30 days when it has problems)."""
    workspace = _membership(request).workspace
    form = PeriodForm(request.GET or None)
    start = end = preset = None
    valid = True
    if form.is_bound:
        if form.is_valid():
            preset = form.cleaned_data["preset"] or None
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        else:
            valid = False
    try:
        first, last = selectors.period(workspace, start, end, preset)
    except ValidationFailed as error:
        add_service_errors(form, error)
        valid = False
        first, last = selectors.period(workspace, None, None)
    return form, first, last, valid


def _schedule_form(
    membership: Membership, data: Any = None, item: ReportSchedule | None = None
) -> ScheduleForm:
    members = selectors.member_choices(membership.workspace)
    if item is not None and data is None:
        initial = {
            "name": item.name,
            "frequency": item.frequency,
            "weekday": item.weekday,
            "day_of_month": item.day_of_month,
            "time_of_day": item.time_of_day,
            "report_format": item.report_format,
            "language": item.language,
            "members": [m.pk for m in item.members.all()],
            "emails": "\n".join(item.emails or []),
            "active": item.active,
        }
        return ScheduleForm(initial=initial, members=members)
    initial = {"language": membership.workspace.language, "members": [membership.pk]}
    return ScheduleForm(data, initial=initial, members=members)


def _page(
    request: HttpRequest,
    *,
    logo_form: LogoForm | None = None,
    schedule_form: ScheduleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    membership = _membership(request)
    period_form, start, end, valid = _period(request)
    report = selectors.report_for(by=membership, start=start, end=end)
    can_manage = permissions.can(membership, "analytics.manage")
    logo = selectors.branding_logo(membership.workspace)
    context = {
        "period_form": period_form,
        "period_valid": valid,
        "start": start,
        "end": end,
        "query": f"start={start.isoformat()}&end={end.isoformat()}",
        "report": report,
        "logo": logo,
        "can_manage": can_manage,
        "logo_form": logo_form or (LogoForm() if can_manage else None),
        "schedules": list(selectors.schedule_list(by=membership)),
        "schedule_form": schedule_form or (_schedule_form(membership) if can_manage else None),
        "timezone_name": membership.workspace.timezone,
    }
    return render(request, "reports/page.html", context, status=status if valid else 422)


@require_GET
@workspace_view("analytics.view")
def reports_page(request: HttpRequest) -> HttpResponse:
    return _page(request)


def _filename(membership: Membership, start: dt.date, end: dt.date, extension: str) -> str:
    return f"report-{membership.workspace.slug}-{start.isoformat()}-{end.isoformat()}.{extension}"


@require_GET
@workspace_view("analytics.view")
def reports_pdf(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    _form, start, end, valid = _period(request)
    if not valid:
        return _page(request)
    report = selectors.report_for(by=membership, start=start, end=end)
    logo = selectors.branding_logo(membership.workspace)
    response = HttpResponse(
        pdf.render_pdf(report, logo=logo.content if logo else None), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(membership, start, end, "pdf")}"'
    return response


@require_GET
@workspace_view("analytics.view")
def reports_csv(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    _form, start, end, valid = _period(request)
    if not valid:
        return _page(request)
    report = selectors.report_for(by=membership, start=start, end=end)
    response = StreamingHttpResponse(csv_export.stream(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(membership, start, end, "csv")}"'
    return response  # type: ignore[return-value]  # a streamed response: a file, not a page


@require_POST
@workspace_view("analytics.manage")
def reports_logo_upload(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = LogoForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, logo_form=form, status=422)
    try:
        services.branding_set_logo(by=membership, file=form.cleaned_data["file"])
    except ValidationFailed as error:
        add_service_errors(form, error)
        return _page(request, logo_form=form, status=422)
    messages.success(request, _("Logo saved: it appears on every report."))
    return redirect("reports:page", membership.workspace.slug)


@require_POST
@workspace_view("analytics.manage")
def reports_logo_clear(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    services.branding_clear_logo(by=membership)
    messages.success(request, _("Logo removed."))
    return redirect("reports:page", membership.workspace.slug)


def _schedule_input(form: ScheduleForm) -> services.ScheduleInput:
    data = form.cleaned_data
    return services.ScheduleInput(
        name=data["name"],
        frequency=data["frequency"],
        weekday=data["weekday"],
        day_of_month=data["day_of_month"],
        time_of_day=data["time_of_day"],
        report_format=data["report_format"],
        language=data["language"],
        member_ids=data["members"],
        emails=data["emails"],
        active=data["active"],
    )


@require_POST
@workspace_view("analytics.manage")
def schedule_create(request: HttpRequest) -> HttpResponse:
    membership = _membership(request)
    form = _schedule_form(membership, request.POST)
    if not form.is_valid():
        return _page(request, schedule_form=form, status=422)
    try:
        services.schedule_create(by=membership, data=_schedule_input(form))
    except ValidationFailed as error:
        add_service_errors(form, error)
        return _page(request, schedule_form=form, status=422)
    messages.success(request, _("Report schedule saved."))
    return redirect("reports:page", membership.workspace.slug)


@workspace_view("analytics.manage")
def schedule_edit(request: HttpRequest, schedule_id: int) -> HttpResponse:
    membership = _membership(request)
    item = selectors.schedule_get(by=membership, schedule_id=schedule_id)
    status = 200
    if request.method == "POST":
        form = _schedule_form(membership, request.POST)
        if form.is_valid():
            try:
                services.schedule_update(by=membership, schedule_obj=item, data=_schedule_input(form))
            except ValidationFailed as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Report schedule saved."))
                return redirect("reports:page", membership.workspace.slug)
        status = 422
    else:
        form = _schedule_form(membership, item=item)
    context = {"form": form, "schedule": item, "timezone_name": membership.workspace.timezone}
    return render(request, "reports/schedule_edit.html", context, status=status)


@require_POST
@workspace_view("analytics.manage")
def schedule_delete(request: HttpRequest, schedule_id: int) -> HttpResponse:
    membership = _membership(request)
    item = selectors.schedule_get(by=membership, schedule_id=schedule_id)
    services.schedule_delete(by=membership, schedule_obj=item)
    messages.success(request, _("Report schedule deleted."))
    return redirect("reports:page", membership.workspace.slug)
