"""Request hygiene that every view relies on."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _

View = Callable[..., HttpResponse]


def reads_own_body(view: View) -> View:
    """Mark a view that caps and parses its own upload (its size limit must act before anything reads the
    body): the NUL check below leaves its body alone; the view's forms refuse NUL characters themselves
    (Django's form fields do)."""
    view.reads_own_body = True  # type: ignore[attr-defined]
    return view


class RejectNulBytesMiddleware:
    """Answer 400 to a query string or form field holding a NUL byte.

    No legitimate input contains one, PostgreSQL cannot store or even compare it (it raises a DataError,
    which would be a 500), and third-party code (login throttling, OTP lookups) queries with raw input
    before our forms validate it. Checking once here protects every HTML view; the API validates its own
    parameters and answers 422 naming the field. The body is checked once the view is known
    (``process_view``), so that an upload view marked ``reads_own_body`` can refuse a huge file before it is
    read.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") and _has_nul_in_url(request):
            return _refuse()
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: View, view_args: object, view_kwargs: object
    ) -> HttpResponse | None:
        if request.path.startswith("/api/") or getattr(view_func, "reads_own_body", False):
            return None
        return _refuse() if _has_nul_in_body(request) else None


def _refuse() -> HttpResponse:
    message = _("The request contains a NUL character, which is never valid.")
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def _has_nul_in_url(request: HttpRequest) -> bool:
    if "\x00" in request.path:
        return True
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in request.GET.lists())


def _has_nul_in_body(request: HttpRequest) -> bool:
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
