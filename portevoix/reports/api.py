"""The reports API: PDF and CSV downloads (analytics.view), schedules and the logo (analytics.manage for
writes). Thin: selectors and services do the work; docs/reports.md."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from portevoix.core.api import ObjectId, error_responses
from portevoix.core.errors import ValidationFailed
from portevoix.reports import csv_export, pdf, selectors, services
from portevoix.reports.models import ReportSchedule
from portevoix.reports.schemas import (
    LogoOut,
    ReportParams,
    ScheduleIn,
    ScheduleList,
    ScheduleOut,
    SchedulePatch,
)
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH, tags=["reports"])

FILE_RESPONSES = {200: None, **error_responses(403)}


def _filename(request: HttpRequest, start: Any, end: Any, extension: str) -> str:
    return f"report-{member(request).workspace.slug}-{start.isoformat()}-{end.isoformat()}.{extension}"


@router.get(
    "/reports/pdf",
    response=FILE_RESPONSES,
    summary="The report of a period as PDF",
    description="Key figures with the previous period, per-network table, funnel, charts, best and weakest "
    "posts; the workspace's logo on top; in the caller's language. `start`/`end` (at most 366 days, the "
    "workspace's time zone) or `preset`.",
    openapi_extra={"responses": {200: {"content": {"application/pdf": {}}}}},
)
def reports_pdf(request: HttpRequest, params: Query[ReportParams]) -> HttpResponse:
    by = member(request)
    permissions.require(by, "analytics.view")
    start, end = selectors.period(by.workspace, params.start, params.end, params.preset)
    report = selectors.report_for(by=by, start=start, end=end)
    logo = selectors.branding_logo(by.workspace)
    content = pdf.render_pdf(report, logo=logo.content if logo else None)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(request, start, end, "pdf")}"'
    return response


@router.get(
    "/reports/csv",
    response=FILE_RESPONSES,
    summary="The report of a period as CSV",
    description="UTF-8 with BOM: key figures, funnel and per-network rows, then one row per post x channel. "
    "An empty cell is not available (never 0). Cells that would start a formula begin with '.",
    openapi_extra={"responses": {200: {"content": {"text/csv": {}}}}},
)
def reports_csv(request: HttpRequest, params: Query[ReportParams]) -> StreamingHttpResponse:
    by = member(request)
    permissions.require(by, "analytics.view")
    start, end = selectors.period(by.workspace, params.start, params.end, params.preset)
    report = selectors.report_for(by=by, start=start, end=end)
    response = StreamingHttpResponse(csv_export.stream(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(request, start, end, "csv")}"'
    return response


def _out(item: ReportSchedule) -> dict[str, Any]:
    return {
        "id": item.pk,
        "name": item.name,
        "frequency": item.frequency,
        "weekday": item.weekday,
        "day_of_month": item.day_of_month,
        "time": item.time_of_day,
        "format": item.report_format,
        "language": item.language,
        "member_ids": sorted(membership.pk for membership in item.members.all()),
        "emails": list(item.emails or []),
        "active": item.active,
        "next_run_at": item.next_run_at,
        "last_sent_at": item.last_sent_at,
        "last_error": item.last_error,
    }


@router.get(
    "/reports/schedules", response={200: ScheduleList, **error_responses(403)}, summary="Report schedules"
)
def schedules_list(request: HttpRequest) -> dict[str, Any]:
    by = member(request)
    return {
        "timezone": by.workspace.timezone,
        "items": [_out(item) for item in selectors.schedule_list(by=by)],
    }


def _input(payload: ScheduleIn | SchedulePatch, base: ReportSchedule | None = None) -> services.ScheduleInput:
    data = payload.model_dump(exclude_unset=base is not None)

    def pick(name: str, current: Any) -> Any:
        value = data.get(name)
        return current if value is None else value

    return services.ScheduleInput(
        name=pick("name", base.name if base else ""),
        frequency=pick("frequency", base.frequency if base else ""),
        weekday=pick("weekday", base.weekday if base else 0),
        day_of_month=pick("day_of_month", base.day_of_month if base else 1),
        time_of_day=pick("time", base.time_of_day if base else None),
        report_format=pick("format", base.report_format if base else "pdf"),
        language=pick("language", base.language if base else ""),
        member_ids=pick("member_ids", [m.pk for m in base.members.all()] if base else []),
        emails=pick("emails", list(base.emails or []) if base else []),
        active=pick("active", base.active if base else True),
    )


@router.post(
    "/reports/schedules",
    response={201: ScheduleOut, **error_responses(403)},
    summary="Schedule a report by e-mail",
    description="Weekly (the previous Monday–Sunday) or monthly (the previous month), sent at `time` "
    "(the workspace's local time) to members and/or e-mail addresses.",
)
def schedules_create(request: HttpRequest, payload: ScheduleIn) -> Status[Any]:
    by = member(request)
    item = services.schedule_create(by=by, data=_input(payload))
    return Status(201, _out(item))


@router.patch(
    "/reports/schedules/{id}",
    response={200: ScheduleOut, **error_responses(403, 404)},
    summary="Change a report schedule",
)
def schedules_update(request: HttpRequest, id: ObjectId, payload: SchedulePatch) -> dict[str, Any]:
    by = member(request)
    item = selectors.schedule_get(by=by, schedule_id=id)
    permissions.require(by, "analytics.manage")
    item = services.schedule_update(by=by, schedule_obj=item, data=_input(payload, item))
    return _out(item)


@router.delete(
    "/reports/schedules/{id}",
    response={204: None, **error_responses(403, 404)},
    summary="Delete a report schedule",
)
def schedules_delete(request: HttpRequest, id: ObjectId) -> Status[None]:
    by = member(request)
    item = selectors.schedule_get(by=by, schedule_id=id)
    services.schedule_delete(by=by, schedule_obj=item)
    return Status(204, None)


def _put_file(request: HttpRequest) -> Any:
    """The image of a PUT: the ``file`` part of a multipart body (Django parses multipart bodies of POST
    only), or ``{"content_base64": "..."}`` in JSON for clients that cannot send multipart with PUT."""
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
            encoded = body["content_base64"] if isinstance(body, dict) else None
            data = base64.b64decode(encoded, validate=True) if isinstance(encoded, str) else None
        except (ValueError, KeyError, binascii.Error):
            data = None
        if data is None:
            message = _("Send the image as base64 in “content_base64”.")
            raise ValidationFailed(message, fields={"content_base64": [message]})
        return SimpleUploadedFile("logo", data)
    if request.content_type != "multipart/form-data":
        message = _("Send the logo as multipart/form-data in the “file” part.")
        raise ValidationFailed(message, fields={"file": [message]})
    method = request.method
    request.method = "POST"
    request.META["REQUEST_METHOD"] = "POST"
    try:
        request._load_post_and_files()  # type: ignore[attr-defined]
    finally:
        request.META["REQUEST_METHOD"] = method
        request.method = method
    upload = request.FILES.get("file")
    if upload is None:
        message = _("Send the logo in the “file” part.")
        raise ValidationFailed(message, fields={"file": [message]})
    return upload


@router.put(
    "/reports/logo",
    response={200: LogoOut, **error_responses(403, 413)},
    summary="Set the logo printed on reports",
    description='`multipart/form-data` with the image in `file` (or JSON `{"content_base64": ...}`): '
    "PNG or JPEG (read from the file's bytes; SVG is refused), at most 1 MB and 4 megapixels.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {"content_base64": {"type": "string", "format": "byte"}},
                        "required": ["content_base64"],
                    }
                },
            },
        }
    },
)
def reports_logo(request: HttpRequest) -> dict[str, Any]:
    by = member(request)
    permissions.require(by, "analytics.manage")
    branding = services.branding_set_logo(by=by, file=_put_file(request))
    return {
        "content_type": branding.logo_type,
        "width": branding.logo_width or 0,
        "height": branding.logo_height or 0,
    }
