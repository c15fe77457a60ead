"""The sign-in flow's state between the password step and the second-factor step, and its throttling.

After a correct password, a person with two-factor authentication is *not* signed in: the session only
holds who they are, which backend accepted them and when, for at most ``PENDING_MAX_AGE`` seconds.
Wrong second-factor codes count as failed sign-ins for django-axes (per e-mail address and IP address),
on top of django-otp's per-device throttling, so a stolen password does not give unlimited guesses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, load_backend
from django.contrib.auth.signals import user_login_failed
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

from portevoix.accounts.models import User

PENDING_SESSION_KEY = "accounts_pending_2fa"
PENDING_MAX_AGE = 5 * 60


@dataclass(frozen=True)
class Pending:
    user: User
    backend: str
    next_url: str


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """``candidate`` when it points inside this site, the default landing page otherwise."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def pending_start(request: HttpRequest, *, user: User, next_url: str) -> None:
    backend = getattr(user, "backend", None) or request.session.get(BACKEND_SESSION_KEY) or ""
    request.session[PENDING_SESSION_KEY] = {
        "user_id": str(user.pk),
        "backend": backend,
        "started": int(time.time()),
        "next": next_url,
    }


def pending_get(request: HttpRequest) -> Pending | None:
    """The person half-way through signing in, or None (never started, expired, or no longer valid)."""
    data = request.session.get(PENDING_SESSION_KEY)
    if not isinstance(data, dict):
        return None
    try:
        started = int(data["started"])
        user_id = str(data["user_id"])
        backend = str(data["backend"])
    except (KeyError, TypeError, ValueError):
        pending_clear(request)
        return None
    if not 0 <= time.time() - started <= PENDING_MAX_AGE or backend not in settings.AUTHENTICATION_BACKENDS:
        pending_clear(request)
        return None
    get_user = getattr(load_backend(backend), "get_user", None)
    user = get_user(user_id) if get_user is not None else None
    if user is None or not user.is_active:
        pending_clear(request)
        return None
    return Pending(user=user, backend=backend, next_url=str(data.get("next") or ""))


def pending_clear(request: HttpRequest) -> None:
    request.session.pop(PENDING_SESSION_KEY, None)


def lockout_response(request: HttpRequest, *, user: User) -> HttpResponse | None:
    """django-axes' 429 page when this address is locked out for this account, else None."""
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_allowed(request, credentials):
        return None
    pending_clear(request)
    return get_lockout_response(request, None, credentials)


def second_factor_failed(request: HttpRequest, *, user: User) -> None:
    """Count a wrong second-factor code as a failed sign-in (django-axes listens to this signal).

    When that reaches the limit, axes flags the request and its middleware answers with the lockout page;
    the half-finished sign-in is dropped so the password has to be entered again.
    """
    user_login_failed.send(sender=__name__, credentials={"username": user.get_username()}, request=request)
    if getattr(request, "axes_locked_out", False):
        pending_clear(request)
