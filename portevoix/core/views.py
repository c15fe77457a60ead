from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from portevoix.core import health


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and the worker and scheduler are fresh, else 503 (see health.py)."""
    report = health.report()
    response = JsonResponse(report, status=200 if report["status"] == "ok" else 503)
    # A monitor polls this every few seconds: a 503 here is the answer, not an error of the request, so it
    # must not add an ERROR line to the log at every poll (the failing role logs its own errors).
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response
