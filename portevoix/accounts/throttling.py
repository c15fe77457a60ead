"""How django-axes names the account a sign-in attempt is for."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

# AccessAttempt.username is a varchar(255); an e-mail address is at most 254 characters.
MAX_USERNAME = 254


def attempt_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The e-mail address, trimmed, lower-cased and bounded, so that spellings of one address share one
    failure count and hostile input cannot overflow axes' column (a 500 on PostgreSQL)."""
    if credentials and credentials.get("username") is not None:
        raw = credentials.get("username")
    else:
        raw = getattr(request, "data", request.POST).get("username")
    if raw is None:
        return None
    return str(raw).strip().lower()[:MAX_USERNAME]
