"""Request hygiene that every view relies on."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _


class RejectNulBytesMiddleware:
    """Answer 400 to a query string or form field holding a NUL byte.

    No legitimate input contains one, PostgreSQL cannot store or even compare it (it raises a DataError,
    which would be a 500), and third-party code (login throttling, OTP lookups) queries with raw input
    before our forms validate it. Checking once here protects every HTML view; the API validates its own
    parameters and answers 422 naming the field.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") and _has_nul(request):
            message = _("The request contains a NUL character, which is never valid.")
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    if any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists()):
        return True
    if request.method in {"POST", "PUT", "PATCH"} and request.content_type in {
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }:
        try:
            form = request.POST
        except (MultiPartParserError, ValueError):
            return False  # malformed bodies are the view's (or Django's) to reject
        return any("\x00" in key or any("\x00" in v for v in values) for key, values in form.lists())
    return False
