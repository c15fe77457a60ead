"""Connecting a Mastodon account: per-instance app registration and the OAuth 2 authorization-code flow.

Plain functions, so the channels app can drive the connect flow without a connector instance:

1. ``base_url = instance_url(value_typed_by_the_person)``.
2. ``client_id, client_secret = register_app(http, base_url, redirect_uri)`` once per instance (keep them;
   every account on that instance reuses them).
3. Redirect the person to ``authorization_url(base_url, client_id, redirect_uri, state, SCOPES)``.
4. The instance redirects back with ``code`` and ``state``: check ``state``, then
   ``exchange_code(http, base_url, client_id, client_secret, code, redirect_uri)`` returns a ``TokenSet``.

Mastodon access tokens do not expire and come without a refresh token. References:
https://docs.joinmastodon.org/methods/apps/#create, https://docs.joinmastodon.org/methods/oauth/ and
https://docs.joinmastodon.org/api/oauth-scopes/.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from portevoix.connectors.errors import RateLimited, ReauthRequired, Transient
from portevoix.connectors.mastodon.responses import error_text, rate_limit_reset
from portevoix.connectors.types import TokenSet

CLIENT_NAME = "Portevoix"
# Granular scopes (Mastodon >= 2.4.3): read the profile and statuses, write statuses and media. Nothing
# else (no follows, no notifications, no direct messages).
SCOPES: tuple[str, ...] = ("read:accounts", "read:statuses", "write:statuses", "write:media")
AUTHORIZE_PATH = "/oauth/authorize"
TOKEN_PATH = "/oauth/token"
APPS_PATH = "/api/v1/apps"


def instance_url(value: str) -> str:
    """The instance's base URL from what a person typed: ``mastodon.social``, ``https://mastodon.social/``.

    Raises ``ValueError`` for anything that is not a plain http(s) origin.
    """
    text = value.strip()
    if not text:
        raise ValueError("Enter the address of the Mastodon instance, for example mastodon.social.")
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("The instance address must be an http(s) address such as https://mastodon.social.")
    if parts.path.strip("/") or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError("Enter only the instance address (such as https://mastodon.social), without a path.")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def register_app(
    http: httpx.Client,
    base_url: str,
    redirect_uri: str,
    *,
    scopes: tuple[str, ...] = SCOPES,
    website: str | None = None,
) -> tuple[str, str]:
    """Register Portevoix on the instance; returns ``(client_id, client_secret)``.

    ``website``: this installation's public address, shown to the person on the authorization page.
    """
    data = {"client_name": CLIENT_NAME, "redirect_uris": redirect_uri, "scopes": " ".join(scopes)}
    if website:
        data["website"] = website
    body = _post(http, base_url, APPS_PATH, data)
    client_id, client_secret = body.get("client_id"), body.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(client_secret, str) or not client_id:
        raise Transient("Mastodon registered the app but sent no client credentials.")
    return client_id, client_secret


def authorization_url(
    base_url: str,
    client_id: str,
    redirect_uri: str,
    state: str,
    scopes: tuple[str, ...] = SCOPES,
) -> str:
    """Where to send the person to allow Portevoix to post for their account."""
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
            "state": state,
        }
    )
    return f"{base_url.rstrip('/')}{AUTHORIZE_PATH}?{query}"


def exchange_code(
    http: httpx.Client,
    base_url: str,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    *,
    scopes: tuple[str, ...] = SCOPES,
) -> TokenSet:
    """Trade the authorization code for an access token."""
    body = _post(
        http,
        base_url,
        TOKEN_PATH,
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id,
            "client_secret": client_secret,
            "redirect_uri": redirect_uri,
            "scope": " ".join(scopes),
        },
    )
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise Transient("Mastodon answered the code exchange without an access token.")
    scope = body.get("scope")
    return TokenSet(access_token=access_token, scope=scope if isinstance(scope, str) else "")


def _post(http: httpx.Client, base_url: str, path: str, data: dict[str, str]) -> dict[str, Any]:
    url = f"{base_url.rstrip('/')}{path}"
    try:
        response = http.post(url, data=data, headers={"Accept": "application/json"})
    except httpx.HTTPError as error:
        raise Transient("Could not reach the Mastodon instance.", detail=type(error).__name__) from None
    _classify(response)
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Transient("The Mastodon instance answered something that is not JSON.", detail=url)
    return body


def _classify(response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    detail = f"HTTP {status}: {error_text(response)}"
    if status == 429:
        raise RateLimited(
            "The Mastodon instance asks us to slow down.",
            detail=detail,
            retry_after=rate_limit_reset(response),
        )
    if status in {408, 425} or status >= 500:
        raise Transient(f"The Mastodon instance had a temporary problem ({status}).", detail=detail)
    if status == 404:
        raise ReauthRequired(
            "This address does not answer like a Mastodon instance (404): check the instance address.",
            detail=detail,
        )
    # 400 invalid_grant (code used, expired or for another redirect URI), 401 invalid_client (the app
    # registration was removed), 422 (redirect URI or scopes refused): start the connection again.
    raise ReauthRequired(
        f"The Mastodon instance refused the connection ({status}): start connecting the account again.",
        detail=detail,
    )
