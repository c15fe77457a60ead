"""Pages of the CSV import (upload, dry-run results, confirm, discard, progress) and the CSV export of a
calendar range. Thin: services and selectors do the work.

The upload refuses a file over the size cap before reading it: the declared Content-Length is checked
first, and the body is parsed with an upload handler that stops at the cap (a body without a length, or
one longer than it said). CSRF is checked after that handler is in place (Django's documented pattern:
``csrf_exempt`` outside, ``csrf_protect`` inside).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from portevoix.content.selectors import STATUS_LABELS, PostStatus
from portevoix.core.errors import PortevoixError
from portevoix.core.middleware import reads_own_body
from portevoix.planning import csvformat
from portevoix.planning.models import ImportStatus
from portevoix.planning.selectors import imports as selectors
from portevoix.planning.services import imports as services
from portevoix.workspaces.models import Membership
from portevoix.workspaces.web import workspace_view

# Room for the multipart envelope around the file (boundaries, headers, the CSRF field).
ENVELOPE_BYTES = 64 * 1024


def _membership(request: HttpRequest) -> Membership:
    return request.membership  # type: ignore[attr-defined,no-any-return]


class UploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("UTF-8 (or UTF-16 with a byte order mark), comma or semicolon separated."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class SizeCapHandler(FileUploadHandler):
    """Stops reading an upload once it passes ``cap`` bytes (whatever the request declared)."""

    def __init__(self, request: HttpRequest, cap: int) -> None:
        super().__init__(request)
        self.cap = cap
        self.received = 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.cap:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


def _page(request: HttpRequest, form: UploadForm, status: int = 200, error: str = "") -> HttpResponse:
    membership = _membership(request)
    context = {
        "form": form,
        "error": error,
        "jobs": selectors.import_list(by=membership),
        "max_mb": services.max_bytes() // 2**20,
        "max_rows": services.max_rows(),
        "columns": csvformat.BASE_COLUMNS,
        "export_url": _month_export_url(membership.workspace.slug, timezone.localdate()),
    }
    return render(request, "planning/imports.html", context, status=status)


@reads_own_body  # the size cap must act before the NUL check reads a 100 MB body
@csrf_exempt
@workspace_view("plan.import")
def imports(request: HttpRequest) -> HttpResponse:
    """The import page (GET), and the upload (POST)."""
    if request.method != "POST":
        return _page(request, UploadForm())
    if declared_length(request) > services.max_bytes() + ENVELOPE_BYTES:
        return _too_large(request)
    handler = SizeCapHandler(request, services.max_bytes())
    if not hasattr(request, "_files"):  # nothing has parsed the body yet
        request.upload_handlers = [handler, *request.upload_handlers]
    return _upload(request, handler)


def _too_large(request: HttpRequest) -> HttpResponse:
    return _page(request, UploadForm(), status=413, error=services.too_large().message)


@csrf_protect
def _upload(request: HttpRequest, handler: SizeCapHandler) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES)
    if handler.exceeded:
        return _too_large(request)
    if not form.is_valid():
        return _page(request, form, status=422)
    try:
        job = services.import_upload(by=_membership(request), file=form.cleaned_data["file"])
    except PortevoixError as error:
        form.add_error(None, error.message)
        return _page(request, form, status=error.status)
    messages.success(request, _("The file is being checked. Nothing is imported until you confirm."))
    return redirect("planning:import_detail", request.workspace.slug, job.pk)  # type: ignore[attr-defined]


def _job_context(request: HttpRequest, import_id: int) -> dict[str, Any]:
    job = selectors.import_get(by=_membership(request), job_id=import_id)
    return {
        "job": job,
        "percent": selectors.import_percent(job),
        "active": job.status in selectors.ACTIVE_STATUSES,
        "can_confirm": job.status == ImportStatus.CHECKED and not job.error_rows and job.total_rows > 0,
        "can_discard": job.status in (ImportStatus.CHECKING, ImportStatus.CHECKED, ImportStatus.FAILED),
        "shown_problems": len(job.problems),
    }


@require_GET
@workspace_view("plan.import")
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    return render(request, "planning/imports_detail.html", _job_context(request, import_id))


@require_GET
@workspace_view("plan.import")
def import_progress(request: HttpRequest, import_id: int) -> HttpResponse:
    """The htmx fragment polled while a job is checked or imported; once it is done the page reloads."""
    context = _job_context(request, import_id)
    response = render(request, "planning/imports_progress.html", context)
    if not context["active"] and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@require_POST
@workspace_view("plan.import")
def import_confirm(request: HttpRequest, import_id: int) -> HttpResponse:
    membership = _membership(request)
    job = selectors.import_get(by=membership, job_id=import_id)
    try:
        services.import_confirm(by=membership, job=job)
    except PortevoixError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Importing. The posts appear in the plan all at once when it is done."))
    return redirect("planning:import_detail", membership.workspace.slug, job.pk)


@require_POST
@workspace_view("plan.import")
def import_discard(request: HttpRequest, import_id: int) -> HttpResponse:
    membership = _membership(request)
    job = selectors.import_get(by=membership, job_id=import_id)
    try:
        services.import_discard(by=membership, job=job)
    except PortevoixError as error:
        messages.error(request, error.message)
        return redirect("planning:import_detail", membership.workspace.slug, job.pk)
    messages.success(request, _("The import was discarded and its file deleted."))
    return redirect("planning:imports", membership.workspace.slug)


def _csv_response(lines: Any, filename: str) -> HttpResponse:
    """A streamed CSV download (typed as HttpResponse for the workspace_view decorator)."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response  # type: ignore[return-value]


@require_GET
@workspace_view("plan.import")
def import_template(request: HttpRequest) -> HttpResponse:
    rows = selectors.template_rows(by=_membership(request), today=timezone.localdate())
    lines = list(csvformat.csv_lines([[csvformat.safe_cell(cell) for cell in row] for row in rows]))
    lines[0] = "\ufeff" + lines[0]
    return _csv_response(lines, "portevoix-import-template.csv")


# --- Export ---------------------------------------------------------------------------------------


class ExportForm(forms.Form):
    start = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    end = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    channel = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    rubric = forms.CharField(required=False, max_length=20)
    status = forms.ChoiceField(required=False, choices=[("", "")] + [(str(s), str(s)) for s in STATUS_LABELS])

    def clean_rubric(self) -> int | str | None:
        value = (self.cleaned_data.get("rubric") or "").strip()
        if not value:
            return None
        if value == selectors.NO_RUBRIC:
            return value
        if value.isdigit() and 0 < int(value) < 2**63:
            return int(value)
        raise forms.ValidationError(_("Choose a rubric."))


@require_GET
@workspace_view("post.view")
def export(request: HttpRequest) -> HttpResponse:
    """The posts planned between two local dates (viewer's zone; by default the current month), as CSV;
    the calendar's filters apply."""
    form = ExportForm(request.GET)
    if not form.is_valid():
        problems = "; ".join(
            f"{name}: {' '.join(str(error) for error in errors)}" for name, errors in form.errors.items()
        )
        message = _("Give start and end dates as YYYY-MM-DD (at most %(max)s days).") % {
            "max": selectors.MAX_EXPORT_DAYS
        }
        return HttpResponse(f"{message}\n{problems}\n", status=400, content_type="text/plain; charset=utf-8")
    data = form.cleaned_data
    month = selectors.current_month(timezone.localdate())
    data["start"] = data["start"] or month[0]
    data["end"] = data["end"] or month[1]
    try:
        period = selectors.export_range(data["start"], data["end"], timezone.get_current_timezone())
        result = selectors.export_posts(
            by=_membership(request),
            period=period,
            channel_id=data["channel"],
            rubric=data["rubric"],
            status=PostStatus(data["status"]) if data["status"] else None,
        )
    except PortevoixError as error:
        return HttpResponse(
            f"{error.message}\n", status=error.status, content_type="text/plain; charset=utf-8"
        )
    name = f"portevoix-{request.workspace.slug}-{data['start']:%Y%m%d}-{data['end']:%Y%m%d}.csv"  # type: ignore[attr-defined]
    return _csv_response(result.lines(), name)


def _month_export_url(slug: str, today: date) -> str:
    start, end = selectors.current_month(today)
    return f"{reverse('planning:export', args=[slug])}?start={start:%Y-%m-%d}&end={end:%Y-%m-%d}"
