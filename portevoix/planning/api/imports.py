"""The CSV import's API (upload, dry-run status and problems, confirm, discard, the template) and the CSV
export of a calendar range. Thin: services and selectors check the role and the workspace."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema, Status

from portevoix.content import localtime
from portevoix.content.selectors import PostStatus
from portevoix.core.api import MAX_ID, error_responses
from portevoix.core.errors import ValidationFailed
from portevoix.planning import csvformat
from portevoix.planning.models import ImportJob, ImportStatus
from portevoix.planning.selectors import imports as selectors
from portevoix.planning.services import imports as services
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(tags=["plan"], auth=API_AUTH)

ID = Path(..., ge=1, le=MAX_ID, description="The import's id.")
ENVELOPE_BYTES = 64 * 1024

CSV_RESPONSE = {
    200: {
        "description": "CSV (UTF-8 with a byte order mark, comma-separated, CRLF line ends).",
        "content": {"text/csv": {"schema": {"type": "string"}}},
    }
}


class ImportProblemOut(Schema):
    row: int = Field(description="The row as a spreadsheet numbers it (the header is row 1; 0: the file).")
    column: str
    message: str


class ImportOut(Schema):
    id: int
    filename: str
    status: ImportStatus = Field(
        description="checking (the dry run), checked, importing, done, failed or discarded."
    )
    total_rows: int
    processed_rows: int = Field(description="Rows checked so far (the dry run, then the import's re-check).")
    percent: int
    error_rows: int = Field(
        description="Rows with at least one problem (all of them, not only those listed)."
    )
    created_posts: int
    message: str = Field(description="Why the file was refused or the import failed; empty otherwise.")
    problems: list[ImportProblemOut] = Field(description="Problems per row, at most 200.")
    can_confirm: bool
    created_at: Any
    updated_at: Any


class ImportList(Schema):
    items: list[ImportOut]


def _out(job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "filename": job.filename,
        "status": job.status,
        "total_rows": job.total_rows,
        "processed_rows": job.processed_rows,
        "percent": selectors.import_percent(job),
        "error_rows": job.error_rows,
        "created_posts": job.created_posts,
        "message": job.message,
        "problems": job.problems,
        "can_confirm": job.status == ImportStatus.CHECKED and not job.error_rows and job.total_rows > 0,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
    }


class _Cap(FileUploadHandler):
    def __init__(self, request: HttpRequest, cap: int) -> None:
        super().__init__(request)
        self.cap, self.received, self.exceeded = cap, 0, False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > self.cap:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@router.post(
    "/imports",
    response={202: ImportOut, **error_responses(403, 404, 413)},
    summary="Upload a CSV file of posts: starts its dry run",
    description="Send the file as `multipart/form-data` in the `file` part. Nothing is written but the "
    "import: its dry run checks every row in the background; poll `GET /imports/{id}` until `status` is "
    "`checked` (or `failed`), then read `problems` and confirm. Larger than the cap (10 MB by default): 413 "
    "before the body is read. Columns and rules: docs/planning/import-export.md.",
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
                }
            },
        }
    },
)
def import_upload(request: HttpRequest) -> Status[Any]:
    membership = member(request)
    permissions.require(membership, "plan.import")  # the role first: a refused role learns no caps
    if _declared_length(request) > services.max_bytes() + ENVELOPE_BYTES:
        raise services.too_large()
    handler = _Cap(request, services.max_bytes())
    if not hasattr(request, "_files"):  # token auth: nothing has read the body yet
        request.upload_handlers = [handler, *request.upload_handlers]
    files = request.FILES
    if handler.exceeded:
        raise services.too_large()
    upload = files.get("file")
    if upload is None:
        message = _("Send the CSV file in the “file” part of a multipart/form-data body.")
        raise ValidationFailed(message, fields={"file": [message]})
    job = services.import_upload(by=membership, file=upload)
    return Status(202, _out(job))


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


@router.get(
    "/imports",
    response={200: ImportList, **error_responses(403, 404)},
    summary="The workspace's recent imports (the last 20, discarded ones left out)",
)
def import_list(request: HttpRequest) -> dict[str, Any]:
    return {"items": [_out(job) for job in selectors.import_list(by=member(request))]}


@router.get(
    "/imports/template",
    response={200: None, **error_responses(403, 404)},
    summary="The CSV template: the header and two example rows",
    openapi_extra={"responses": CSV_RESPONSE},
)
def import_template(request: HttpRequest) -> HttpResponse:
    rows = selectors.template_rows(by=member(request), today=timezone.localdate())
    lines = list(csvformat.csv_lines([[csvformat.safe_cell(cell) for cell in row] for row in rows]))
    lines[0] = "\ufeff" + lines[0]
    response = HttpResponse("".join(lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="portevoix-import-template.csv"'
    return response


@router.get(
    "/imports/{id}",
    response={200: ImportOut, **error_responses(403, 404)},
    summary="An import: its status, progress, counts and problems per row",
)
def import_get(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    return _out(selectors.import_get(by=member(request), job_id=id))


@router.post(
    "/imports/{id}/confirm",
    response={202: ImportOut, **error_responses(403, 404, 409)},
    summary="Import the rows of a checked import (in the background)",
    description="Only an import whose dry run found no problem (409 otherwise). Every row is checked again, "
    "then every post is written in one transaction: all of them, or none (`status` `failed` with "
    "`message` and `problems` saying why). Needs `plan.import`, `post.edit` and `post.publish`.",
)
def import_confirm(request: HttpRequest, id: int = ID) -> Status[Any]:
    membership = member(request)
    job = selectors.import_get(by=membership, job_id=id)
    return Status(202, _out(services.import_confirm(by=membership, job=job)))


@router.post(
    "/imports/{id}/discard",
    response={200: ImportOut, **error_responses(403, 404, 409)},
    summary="Discard an import that was not imported, and delete its file",
)
def import_discard(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    job = selectors.import_get(by=membership, job_id=id)
    return _out(services.import_discard(by=membership, job=job))


class ExportParams(Schema):
    start: date | None = Field(
        None,
        description="First local day (YYYY-MM-DD), in the caller's time zone; default: the month's first.",
    )
    end: date | None = Field(
        None,
        description="Last local day, included, at most 400 days after `start`; default: the month's last.",
    )
    channel: int | None = Field(None, ge=1, le=MAX_ID, description="Only posts going to this channel.")
    rubric: str | None = Field(
        None, max_length=20, pattern=r"^(none|[1-9][0-9]{0,18})$", description="A rubric id, or `none`."
    )
    status: PostStatus | None = None


@router.get(
    "/posts/export",
    response={200: None, **error_responses(403, 404)},
    tags=["posts"],
    summary="The posts planned in a range of days, as CSV (the import's columns)",
    description="Streamed; UTF-8 with a byte order mark; cells that a spreadsheet would run as a formula "
    "are prefixed with `'`. The same columns as the import, so the file re-imports.",
    openapi_extra={"responses": CSV_RESPONSE},
)
def post_export(request: HttpRequest, params: Query[ExportParams]) -> StreamingHttpResponse:
    membership = member(request)
    zone = localtime.parse_zone(membership.user.timezone or None, membership.workspace.timezone)
    month = selectors.current_month(datetime.now(zone).date())
    start, end = params.start or month[0], params.end or month[1]
    period = selectors.export_range(start, end, zone)
    rubric: int | str | None = None
    if params.rubric:
        rubric = params.rubric if params.rubric == selectors.NO_RUBRIC else int(params.rubric)
    result = selectors.export_posts(
        by=membership, period=period, channel_id=params.channel, rubric=rubric, status=params.status
    )
    response = StreamingHttpResponse(result.lines(), content_type="text/csv; charset=utf-8")
    name = f"portevoix-{membership.workspace.slug}-{start:%Y%m%d}-{end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'

    return response
