"""Mastodon's answers: its error bodies mapped to typed errors, its rate-limit headers, its timestamps.

Every Mastodon error is ``{"error": "..."}`` (OAuth endpoints add ``error_description``); see
https://docs.joinmastodon.org/entities/Error/ and ``app/controllers/concerns/api/error_handling.rb``.
A rate-limited request answers 429 with ``X-RateLimit-Reset`` as an ISO 8601 time (``iso8601(6)`` in
``config/initializers/rack_attack.rb`` and ``app/lib/rate_limiter.rb``), not ``Retry-After``.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import httpx

from portevoix.connectors.base import retry_after_seconds
from portevoix.connectors.errors import (
    ContentRejected,
    RateLimited,
    ReauthRequired,
    Transient,
)

LABEL = "Mastodon"
# An X-RateLimit-Reset above this is a Unix time, below it a number of seconds (some proxies and
# Mastodon-compatible servers send either instead of Mastodon's ISO 8601 time).
_EPOCH_THRESHOLD = 1_000_000_000


def error_text(response: httpx.Response) -> str:
    """The instance's own error message (``error`` plus ``error_description``), or the start of the body."""
    try:
        body: Any = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        text: str = body["error"]
        description = body.get("error_description")
        if isinstance(description, str) and description:
            text = f"{text}: {description}"
        return text[:500]
    return response.text[:200].strip()


def rate_limit_reset(response: httpx.Response, *, now: datetime | None = None) -> float | None:
    """Seconds until the instance accepts requests again, rounded up; ``None`` when it does not say."""
    value = response.headers.get("X-RateLimit-Reset", "").strip()
    seconds: float | None = None
    if value:
        current = now or datetime.now(UTC)
        try:
            number = float(value)
        except ValueError:
            when = parse_time(value)
            if when is not None:
                seconds = (when - current).total_seconds()
        else:
            seconds = number - current.timestamp() if number > _EPOCH_THRESHOLD else number
    if seconds is None:
        return retry_after_seconds(response)
    return float(max(0, math.ceil(seconds)))


def classify(response: httpx.Response) -> None:
    """Raise the typed error for a Mastodon error answer; return for a success."""
    status = response.status_code
    if status < 400:
        return
    error = error_text(response)
    detail = f"HTTP {status}: {error}" if error else f"HTTP {status}"
    if status == 401:
        # Mastodon access tokens do not expire and come without a refresh token: a refused token was
        # revoked (or the app was removed), so a person must connect the account again.
        raise ReauthRequired(
            f"{LABEL} refused the access token (it was revoked or the app was removed): "
            "connect the account again.",
            detail=detail,
        )
    if status == 403:
        raise ReauthRequired(
            f"{LABEL} refused the request (403): the account may be suspended or disabled, or the "
            "connection lacks a permission. Check the account, then connect it again.",
            detail=detail,
        )
    if status == 429:
        raise RateLimited(
            f"{LABEL} asks us to slow down (rate limit reached).",
            detail=detail,
            retry_after=rate_limit_reset(response),
        )
    if status in {408, 425} or status >= 500:
        raise Transient(f"{LABEL} had a temporary problem ({status}).", detail=detail)
    if status == 404:
        raise ContentRejected(
            f"{LABEL} answered that this does not exist (404): the post may have been deleted, or the "
            "instance address is wrong.",
            detail=detail,
        )
    problems = _problems(error)
    raise ContentRejected(
        f"{LABEL} refused the post: {error or status}. Change the post before sending it again.",
        detail=detail,
        problems=problems,
    )


def _problems(error: str) -> tuple[str, ...]:
    """Stable codes for the validation errors the composer can point at."""
    lowered = error.lower()
    if "character limit" in lowered or "too long" in lowered:
        return ("too_long",)
    if "media" in lowered or "file" in lowered:
        return ("media",)
    if "blank" in lowered:
        return ("empty",)
    return ()


def parse_time(value: object) -> datetime | None:
    """A Mastodon timestamp (``2019-12-05T11:34:47.196Z``) as an aware datetime; ``None`` if unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def count(value: object) -> int | None:
    """A counter from a Mastodon entity, ``None`` when absent (never a made-up 0)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value
