"""What the GA4 and Metrica clients share: the row they return, the one error they raise, and strict readers
of the values in an answer (a garbage answer is an ``ImportFailed``, never a half-read report).

The clients are plain Python: they take settings and secrets as arguments, never touch the database, and
never retry; the services decide what a failure means.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from django.utils.translation import gettext as _

MAX_LABEL = 255  # source, medium, campaign and content are cut to this length
MAX_MESSAGE = 300  # of a service's own error message, as kept in last_error
NOT_SET = "(not set)"
MAX_COUNT = 2**31 - 1  # sessions in one row: what an integer column holds everywhere


class ImportFailed(Exception):
    """A request to GA4 or Metrica failed, or its answer could not be read. ``code`` is one of ``auth``,
    ``forbidden``, ``rate_limited``, ``server``, ``bad_answer``, ``network``, ``config``; ``message`` is
    fit to show (it never holds a token or a key)."""

    def __init__(self, code: str, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class TrafficRow:
    """One day x source x medium x campaign x content of a report. ``None``: the service gave no value."""

    day: dt.date
    source: str
    medium: str
    campaign: str
    content: str
    sessions: int
    engaged_sessions: int | None
    bounce_rate: float | None  # percent, 0-100, in the service's own definition
    avg_duration: float | None  # seconds
    conversions: float | None
    revenue: Decimal | None

    @property
    def key(self) -> tuple[dt.date, str, str, str, str]:
        return (self.day, self.source, self.medium, self.campaign, self.content)


@dataclass(frozen=True)
class Report:
    rows: list[TrafficRow]
    currency: str  # ISO 4217 of ``revenue``; empty when unknown


def garbage(detail: str) -> ImportFailed:
    return ImportFailed("bad_answer", _("The answer could not be read: %(detail)s.") % {"detail": detail})


def label(value: Any) -> str:
    """A dimension value: ``None`` or empty is "(not set)"; text is cut to MAX_LABEL characters."""
    if value is None:
        return NOT_SET
    if not isinstance(value, str):
        raise garbage(_("a dimension value is not text"))
    value = value.replace("\x00", "").strip()
    return value[:MAX_LABEL] if value else NOT_SET


def number(value: Any, *, what: str) -> float | None:
    """A metric value given as a number or as a numeric string (GA4 sends strings); None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise garbage(_("%(what)s is not a number") % {"what": what})
    if isinstance(value, int | float):
        result = float(value)
    elif isinstance(value, str):
        try:
            result = float(value)
        except ValueError:
            raise garbage(_("%(what)s is not a number") % {"what": what}) from None
    else:
        raise garbage(_("%(what)s is not a number") % {"what": what})
    if not math.isfinite(result) or result < 0 or result > 1e15:
        raise garbage(_("%(what)s is out of range") % {"what": what})
    return result


def whole(value: Any, *, what: str) -> int:
    result = number(value, what=what)
    if result is None:
        return 0
    if result > MAX_COUNT:
        raise garbage(_("%(what)s is out of range") % {"what": what})
    return round(result)


def money(value: Any, *, what: str) -> Decimal | None:
    result = number(value, what=what)
    if result is None:
        return None
    try:
        return Decimal(repr(result)).quantize(Decimal("0.01"))
    except InvalidOperation:  # pragma: no cover - number() already bounds it
        raise garbage(_("%(what)s is not a number") % {"what": what}) from None


def json_body(response: httpx.Response) -> Any:
    """The answer's JSON; a non-JSON or truncated body is an ImportFailed."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        raise garbage(
            _("expected JSON, got %(type)s (HTTP %(status)s)")
            % {
                "type": response.headers.get("content-type", "?").split(";")[0] or "?",
                "status": response.status_code,
            }
        ) from None


def short(message: Any) -> str:
    text = str(message or "").replace("\x00", "").strip()
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def http_error(status: int, service: str, detail: str, *, retry_after: float | None = None) -> ImportFailed:
    """The ImportFailed for an HTTP error status of ``service`` ("GA4", "Yandex Metrica")."""
    values = {"service": service, "status": status, "detail": short(detail) or _("no details")}
    if status == 401:
        return ImportFailed("auth", _("%(service)s refused the credentials (HTTP 401): %(detail)s") % values)
    if status == 403:
        return ImportFailed("forbidden", _("%(service)s denied access (HTTP 403): %(detail)s") % values)
    if status == 429:
        return ImportFailed(
            "rate_limited",
            _("%(service)s quota exceeded (HTTP 429): %(detail)s. The next run will try again.") % values,
            retry_after=retry_after,
        )
    if status >= 500:
        return ImportFailed("server", _("%(service)s had an error (HTTP %(status)s): %(detail)s") % values)
    return ImportFailed(
        "bad_answer", _("%(service)s refused the request (HTTP %(status)s): %(detail)s") % values
    )


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def network_error(service: str, error: httpx.HTTPError) -> ImportFailed:
    # The exception's text names the host at most (never a header or a query).
    kind = type(error).__name__
    return ImportFailed(
        "network", _("Could not reach %(service)s (%(kind)s).") % {"service": service, "kind": kind}
    )
