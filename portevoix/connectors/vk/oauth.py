"""VK ID (OAuth 2.1 with PKCE): the authorization link, the code exchange and the token refresh.

Plain functions, so the channels app can drive the connect flow without a connector instance:

1. ``verifier = new_code_verifier()``; keep it (and ``state``) in the person's session.
2. Redirect to ``authorization_url(client_id=..., redirect_uri=..., state=..., code_verifier=verifier)``.
3. VK ID redirects back with ``code``, ``state`` and ``device_id``: ``read_callback(query, state=...)``.
4. ``exchange_code(http, ...)`` returns a ``TokenSet`` whose ``extra`` holds ``user_id`` and ``device_id``;
   store both with the tokens: every refresh needs the same ``device_id``.

VK ID access tokens live one hour; each refresh returns a new refresh token and the old one stops working.
Reference: https://id.vk.com/about/business/go/docs/ru/vkid/latest/vk-id/connection/api-integration/api-description
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx

from portevoix.connectors.errors import RateLimited, ReauthRequired, Transient
from portevoix.connectors.types import TokenSet

AUTHORIZE_URL = "https://id.vk.com/authorize"
TOKEN_URL = "https://id.vk.com/oauth2/auth"

# VK ID scope names, space-separated in the request. "vkid.personal_info" is the default every app gets;
# wall, photos, groups and stats are VK API rights that VK grants an app only on request (see
# docs/networks/vk.md). VK ID has no "offline" right: long-lived access is the refresh token.
SCOPES: tuple[str, ...] = ("vkid.personal_info", "wall", "photos", "groups", "stats")

# RFC 7636 allows "." and "~" too; VK ID documents only these characters, 43 to 128 of them.
_VERIFIER = re.compile(r"[A-Za-z0-9_-]{43,128}")


@dataclass(frozen=True)
class AuthorizationCode:
    """What VK ID sends back to the redirect URI after the person allowed access."""

    code: str
    device_id: str
    state: str


def new_code_verifier() -> str:
    """A fresh PKCE code verifier: 64 random URL-safe characters."""
    return secrets.token_urlsafe(48)


def new_state() -> str:
    return secrets.token_urlsafe(24)


def check_code_verifier(verifier: str) -> str:
    if not _VERIFIER.fullmatch(verifier):
        raise ValueError("A VK ID code verifier is 43 to 128 characters among a-z, A-Z, 0-9, '_' and '-'.")
    return verifier


def code_challenge(verifier: str) -> str:
    """The S256 challenge: BASE64URL(SHA-256(verifier)) without padding (RFC 7636, section 4.2)."""
    digest = hashlib.sha256(check_code_verifier(verifier).encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorization_url(
    *,
    client_id: str,
    redirect_uri: str,
    state: str,
    code_verifier: str,
    scopes: tuple[str, ...] = SCOPES,
    authorize_url: str = AUTHORIZE_URL,
) -> str:
    """The VK ID page where the person allows access. Only the challenge leaves; keep the verifier."""
    if not state:
        raise ValueError("state must not be empty (it protects the redirect against forgery).")
    query = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": code_challenge(code_verifier),
        "code_challenge_method": "S256",
        "scope": " ".join(scopes),
    }
    return f"{authorize_url}?{urlencode(query)}"


def read_callback(query: Mapping[str, str], *, state: str) -> AuthorizationCode:
    """Check the redirect's query parameters; raise ``ReauthRequired`` when access was not granted."""
    if not state:
        raise ValueError("state must not be empty: pass the one sent with the authorization link.")
    if query.get("error"):
        raise ReauthRequired(
            "VK ID did not grant access; connect the channel again and allow every requested permission.",
            detail=str(query.get("error_description") or query["error"])[:200],
        )
    if not _same(str(query.get("state", "")), state):
        raise ReauthRequired("The VK ID answer does not belong to this connection attempt; start again.")
    code, device_id = query.get("code", ""), query.get("device_id", "")
    if not code or not device_id:
        raise ReauthRequired("VK ID answered without a code or device id; start the connection again.")
    return AuthorizationCode(code=code, device_id=device_id, state=state)


def exchange_code(
    http: httpx.Client,
    *,
    client_id: str,
    code: str,
    code_verifier: str,
    device_id: str,
    redirect_uri: str,
    state: str,
    token_url: str = TOKEN_URL,
    now: datetime | None = None,
) -> TokenSet:
    """Trade the authorization code for tokens (POST, form-encoded: nothing secret in the URL)."""
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": check_code_verifier(code_verifier),
        "client_id": client_id,
        "device_id": device_id,
        "redirect_uri": redirect_uri,
        "state": state,
    }
    body = _token_request(http, token_url, data)
    return _token_set(body, device_id=device_id, state=state, now=now)


def refresh(
    http: httpx.Client,
    *,
    client_id: str,
    refresh_token: str,
    device_id: str,
    state: str | None = None,
    token_url: str = TOKEN_URL,
    now: datetime | None = None,
) -> TokenSet:
    """New tokens for the refresh token. Store the returned refresh token: the old one is now spent."""
    state = state or new_state()
    data = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        "device_id": device_id,
        "state": state,
    }
    body = _token_request(http, token_url, data)
    return _token_set(body, device_id=device_id, state=state, now=now)


# --- Internals ----------------------------------------------------------------------------------------

# OAuth 2.0 error codes (RFC 6749, section 5.2) that a retry may cure; every other one needs a person.
_TEMPORARY_ERRORS = {"server_error", "temporarily_unavailable"}
_SLOW_DOWN_ERRORS = {"slow_down"}


def _same(given: str, expected: str) -> bool:
    """Constant-time comparison that also accepts non-ASCII input (``compare_digest`` on str does not)."""
    return secrets.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _token_request(http: httpx.Client, url: str, data: Mapping[str, str]) -> dict[str, Any]:
    try:
        response = http.post(url, data=dict(data))
    except httpx.TimeoutException as error:
        raise Transient("VK ID did not answer in time.", detail=type(error).__name__) from None
    except httpx.HTTPError as error:
        raise Transient("Could not reach VK ID.", detail=type(error).__name__) from None
    if response.status_code >= 500:
        raise Transient(f"VK ID had a temporary problem ({response.status_code}).")
    if response.status_code == 429:
        raise RateLimited("VK ID asks us to slow down.")
    try:
        body = response.json()
    except ValueError:
        raise Transient("VK ID answered something that is not JSON.") from None
    if not isinstance(body, dict):
        raise Transient("VK ID answered something unexpected.")
    if body.get("error"):
        # Error bodies: {"error": "invalid_grant", "error_description": "...", "state": "..."}.
        code = str(body["error"])
        detail = f"{code}: {body.get('error_description', '')}"[:300]
        if code in _TEMPORARY_ERRORS:
            raise Transient("VK ID had a temporary problem.", detail=detail)
        if code in _SLOW_DOWN_ERRORS:
            raise RateLimited("VK ID asks us to slow down.", detail=detail)
        raise ReauthRequired(
            "VK ID refused the authorization (expired or already used code or refresh token, or a wrong "
            "app id); connect the channel again.",
            detail=detail,
        )
    if response.status_code >= 400:
        raise ReauthRequired(
            f"VK ID refused the request ({response.status_code}); connect the channel again."
        )
    return body


def _token_set(body: Mapping[str, Any], *, device_id: str, state: str, now: datetime | None) -> TokenSet:
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise Transient("VK ID answered without an access token.")
    answered_state = body.get("state")
    if answered_state is not None and not _same(str(answered_state), state):
        raise ReauthRequired("The VK ID answer does not match this request (state differs); start again.")
    expires_at = None
    expires_in = body.get("expires_in")
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in > 0:
        expires_at = (now or datetime.now(UTC)) + timedelta(seconds=expires_in)
    refresh_token = body.get("refresh_token")
    extra = {"device_id": device_id}
    if body.get("user_id") is not None:
        extra["user_id"] = str(body["user_id"])
    return TokenSet(
        access_token=access_token,
        refresh_token=refresh_token if isinstance(refresh_token, str) and refresh_token else None,
        expires_at=expires_at,
        scope=str(body.get("scope") or ""),
        extra=extra,
    )
