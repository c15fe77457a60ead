"""Domain errors raised by services and turned into HTTP answers by the API and the views."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core import exceptions as django_exceptions
from django.http import Http404


class PortevoixError(Exception):
    """Base of the errors a service raises on purpose; ``code`` is stable and machine-readable."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: Mapping[str, Sequence[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields: dict[str, list[str]] = {key: list(value) for key, value in (fields or {}).items()}


class ValidationFailed(PortevoixError):
    code = "validation_failed"
    status = 422


class PermissionDenied(PortevoixError, django_exceptions.PermissionDenied):
    """Also Django's PermissionDenied, so an HTML view that lets it through answers 403."""

    code = "forbidden"
    status = 403


class NotFound(PortevoixError, Http404):
    """Also Http404, so an HTML view that lets it through answers 404."""

    code = "not_found"
    status = 404


class Conflict(PortevoixError):
    code = "conflict"
    status = 409
