"""Shared pieces of the REST API: the NinjaAPI subclass, JSON errors, pagination and safe input types.

Every failure answers ``{"error": {"code": ..., "message": ..., "fields": {...}}}``, including unknown
paths under the API and methods a path does not allow. Apps build their routers with the types here so
that no input (huge numbers, NUL bytes, dates out of range) can reach the database and fail there.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from django.core import exceptions as django_exceptions
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.operation import Operation
from pydantic import AfterValidator, ConfigDict

from portevoix.core.context import current_origin, set_origin
from portevoix.core.errors import PermissionDenied, PortevoixError

logger = logging.getLogger(__name__)

# Largest value a BIGINT column holds: larger ids and filters are refused before any query.
MAX_ID = 2**63 - 1
MAX_OFFSET = 10**9
DEFAULT_LIMIT = 50
MAX_LIMIT = 200

STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "validation_failed",
    429: "throttled",
    500: "server_error",
}


# --- Errors -------------------------------------------------------------------------------------


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"


class TwoFactorRequired(PermissionDenied):
    code = "two_factor_required"


class ErrorDetail(Schema):
    code: str = Field(description="Stable, machine-readable error code.")
    message: str = Field(description="Human-readable explanation, in the caller's language.")
    fields: dict[str, list[str]] = Field(
        default_factory=dict, description="Per-field messages; the key is the field or parameter name."
    )


class ErrorOut(Schema):
    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """``response={200: Out, **error_responses(403, 404)}``; 401, 422 and 429 apply to every operation."""
    return dict.fromkeys(sorted({401, 422, 429, *statuses}), ErrorOut)


def error_body(code: str, message: str, fields: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    return {
        "error": {"code": code, "message": message, "fields": {k: list(v) for k, v in (fields or {}).items()}}
    }


def error_response(
    status: int, message: str, *, code: str | None = None, fields: Mapping[str, Sequence[str]] | None = None
) -> JsonResponse:
    return JsonResponse(error_body(code or STATUS_CODES.get(status, "error"), message, fields), status=status)


_DATETIME_HINT = gettext_noop("Enter an ISO 8601 date and time, e.g. 2025-01-31T09:00:00Z.")

# pydantic error type -> our translatable message (``ctx`` holds the limits); others keep pydantic's text.
_PYDANTIC_MESSAGES: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "missing": lambda ctx: _("This field is required."),
    "extra_forbidden": lambda ctx: _("This field is not accepted here."),
    "int_parsing": lambda ctx: _("Enter a whole number."),
    "int_type": lambda ctx: _("Enter a whole number."),
    "int_from_float": lambda ctx: _("Enter a whole number."),
    "int_parsing_size": lambda ctx: _("This number is too large."),
    "bool_parsing": lambda ctx: _("Enter true or false."),
    "bool_type": lambda ctx: _("Enter true or false."),
    "string_type": lambda ctx: _("Enter a text value."),
    "string_too_long": lambda ctx: _("Use at most %(max)s characters.") % {"max": ctx.get("max_length")},
    "less_than_equal": lambda ctx: _("Enter a number no greater than %(max)s.") % {"max": ctx.get("le")},
    "greater_than_equal": lambda ctx: _("Enter a number no less than %(min)s.") % {"min": ctx.get("ge")},
    "enum": lambda ctx: _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")},
    "datetime_parsing": lambda ctx: _(_DATETIME_HINT),
    "datetime_from_date_parsing": lambda ctx: _(_DATETIME_HINT),
    "datetime_type": lambda ctx: _(_DATETIME_HINT),
    "model_type": lambda ctx: _("Send a JSON object."),
    "model_attributes_type": lambda ctx: _("Send a JSON object."),
    "dict_type": lambda ctx: _("Send a JSON object."),
}


def _field_name(loc: Sequence[Any]) -> str:
    """``("body", "payload", "name")`` -> ``name``; ``("query", "limit")`` -> ``limit``."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        source, parts = parts[0], parts[1:]
        if source == "body" and parts:
            parts = parts[1:]  # the name of the view's body argument means nothing to a client
        if not parts:
            return source
    return ".".join(parts) or "body"


def _validation_message(error: Mapping[str, Any]) -> str:
    translate = _PYDANTIC_MESSAGES.get(str(error.get("type", "")))
    if translate is not None:
        return translate(error.get("ctx") or {})
    message = str(error.get("msg", ""))
    return message.removeprefix("Value error, ") or _("This value is not valid.")


def validation_fields(errors: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        fields.setdefault(_field_name(error.get("loc", ())), []).append(_validation_message(error))
    return fields


def install_error_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default handlers so that every failure has the same JSON shape."""

    def respond(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
        return api.create_response(request, body, status=status)

    def on_domain_error(request: HttpRequest, exc: PortevoixError) -> HttpResponse:
        return respond(request, exc.status, error_body(exc.code, exc.message, exc.fields))

    def on_validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        message = _("Please correct the highlighted fields.")
        return respond(request, 422, error_body("validation_failed", message, validation_fields(exc.errors)))

    def on_django_validation(request: HttpRequest, exc: django_exceptions.ValidationError) -> HttpResponse:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"body": exc.messages}
        message = _("Please correct the highlighted fields.")
        return respond(request, 422, error_body("validation_failed", message, fields))

    def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        message = (
            exc.message
            if exc.message != "Unauthorized"
            else _("Authentication required: send an API token (Authorization: Bearer pvx_…) or sign in.")
        )
        response = respond(request, 401, error_body("unauthenticated", message))
        response["WWW-Authenticate"] = 'Bearer realm="portevoix"'
        return response

    def on_throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return respond(
            request, 429, error_body("throttled", _("Too many requests; slow down and retry later."))
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        status = exc.status_code
        message = str(exc.message)
        if status == 400 and message.startswith("Cannot parse request body"):
            message = _("The request body is not valid JSON.")
        return respond(request, status, error_body(STATUS_CODES.get(status, "error"), message))

    def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, 404, error_body("not_found", _("Not found.")))

    def on_forbidden(request: HttpRequest, exc: django_exceptions.PermissionDenied) -> HttpResponse:
        return respond(request, 403, error_body("forbidden", _("You are not allowed to do this.")))

    def on_too_large(request: HttpRequest, exc: django_exceptions.RequestDataTooBig) -> HttpResponse:
        return respond(request, 413, error_body("too_large", _("The request body is too large.")))

    def on_suspicious(request: HttpRequest, exc: django_exceptions.SuspiciousOperation) -> HttpResponse:
        return respond(request, 400, error_body("bad_request", _("The request could not be understood.")))

    def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.error("Unhandled error in %s %s", request.method, request.path, exc_info=exc)
        return respond(request, 500, error_body("server_error", _("Something went wrong on our side.")))

    handlers: list[tuple[type[Exception], Callable[[HttpRequest, Any], HttpResponse]]] = [
        (PortevoixError, on_domain_error),
        (NinjaValidationError, on_validation),
        (django_exceptions.ValidationError, on_django_validation),
        (AuthenticationError, on_unauthenticated),
        (Throttled, on_throttled),
        (HttpError, on_http_error),
        (Http404, on_not_found),
        (django_exceptions.PermissionDenied, on_forbidden),
        (django_exceptions.RequestDataTooBig, on_too_large),
        (django_exceptions.SuspiciousOperation, on_suspicious),
        (Exception, on_unexpected),
    ]
    for exc_class, handler in handlers:
        api.add_exception_handler(exc_class, handler)


# --- The API object -----------------------------------------------------------------------------


def _json_errors_outside_operations(view: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap one of ninja's URL views: answer 405 in JSON, and restore the audit origin and the language
    that authentication sets ("api", the caller's language) so they do not outlive the request."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        origin, language = current_origin(), translation.get_language()
        try:
            response = view(request, *args, **kwargs)
        finally:
            set_origin(origin.via, origin.ip_address)
            if language:
                translation.activate(language)
            else:
                translation.deactivate()
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allow = response.get("Allow", "")
            response = error_response(405, _("This method is not allowed here."))
            if allow:
                response["Allow"] = allow
        return response

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]  # ninja's views check CSRF in their auth
    return wrapper


def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return error_response(404, _("There is no such API endpoint. See /api/docs."))


class PortevoixAPI(NinjaAPI):
    """NinjaAPI with JSON errors everywhere, readable operation ids, and a JSON 404 for unknown paths
    under ``not_found_prefix``."""

    not_found_prefix = "v1/"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        install_error_handlers(self)

    def get_openapi_operation_id(self, operation: Operation) -> str:
        # Stable and readable: the view's name (``member_list``), unique across the API (a test checks).
        return operation.view_func.__name__

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_errors_outside_operations(pattern.callback)
        urls.append(re_path(rf"^{self.not_found_prefix}", api_not_found, name="not_found"))
        return urls


@dataclass(frozen=True)
class ApiOperation:
    method: str
    path: str  # as in the OpenAPI document, e.g. /api/v1/members/{id}
    operation: Operation


def iter_operations(api: NinjaAPI, *, root: str = "/api/") -> Iterator[ApiOperation]:
    """Every (method, path) the API serves, read from the API object (not from its schema)."""
    for bound in api._get_bound_routers():
        for path, path_view in bound.path_operations.items():
            full = "/".join(part.strip("/") for part in (root, bound.prefix, path) if part.strip("/"))
            for operation in path_view.operations:
                for method in operation.methods:
                    yield ApiOperation(method=method.upper(), path=f"/{full}", operation=operation)


# --- Safe input types ---------------------------------------------------------------------------


def no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError(_("Text cannot contain NUL characters."))
    return value


def _utc_safe(value: dt.datetime) -> dt.datetime:
    """Naive values are read as UTC; values that cannot be expressed in UTC are refused."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        raise ValueError(_("This date is out of range.")) from None


Text = Annotated[str, AfterValidator(no_nul)]
# Bounded text: ``Annotated[str, StringConstraints(max_length=n), AfterValidator(no_nul)]`` (the length
# constraint must come before the validator, or pydantic reports a generic "too_long").
Instant = Annotated[dt.datetime, AfterValidator(_utc_safe)]
ObjectId = Annotated[int, Field(ge=1, le=MAX_ID)]


class InputSchema(Schema):
    """Base of request bodies: unknown keys are refused, so a typo is an error and not a no-op."""

    model_config = ConfigDict(extra="forbid")


# --- Pagination ---------------------------------------------------------------------------------


class PageParams(Schema):
    limit: int = Field(
        DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT})."
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Number of items to skip.")


class Page(Schema):
    count: int = Field(description="Number of items matching the request, on every page.")
    limit: int
    offset: int


def paginate(queryset: QuerySet[Any], params: PageParams) -> dict[str, Any]:
    """A page of ``queryset`` in the shape of ``Page`` subclasses: items, count, limit, offset."""
    return {
        "items": list(queryset[params.offset : params.offset + params.limit]),
        "count": queryset.count(),
        "limit": params.limit,
        "offset": params.offset,
    }
