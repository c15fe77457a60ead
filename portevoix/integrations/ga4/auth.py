"""A Google service account's access token: an RS256-signed JWT assertion (RFC 7523) exchanged at the token
endpoint, cached in the process until a minute before it expires.

The key is the JSON file Google gives for a service account (``client_email``, ``private_key``,
``private_key_id``, ``token_uri``...). Its ``token_uri`` is not followed: the token endpoint is a setting
(``PORTEVOIX_GA4_TOKEN_URL``), so a pasted file cannot send signed assertions elsewhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from django.utils.translation import gettext as _

from portevoix.integrations.common import ImportFailed, http_error, json_body, network_error, short

SCOPE = "https://www.googleapis.com/auth/analytics.readonly"
GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LIFETIME = 3600  # seconds: the longest Google accepts
MARGIN = 60  # a cached token is renewed this long before it expires
REQUIRED_KEYS = ("client_email", "private_key", "token_uri")
SERVICE = "Google OAuth"


@dataclass(frozen=True)
class ServiceAccountKey:
    client_email: str
    private_key: str
    private_key_id: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ServiceAccountKey:
        """Raises ValueError with a message fit for the form when a field is missing or wrong."""
        if not isinstance(data, Mapping):
            raise ValueError(_("The key file must be a JSON object."))
        missing = [
            name for name in REQUIRED_KEYS if not isinstance(data.get(name), str) or not data.get(name)
        ]
        if missing:
            raise ValueError(
                _("The key file lacks %(fields)s: download a JSON key of the service account.")
                % {"fields": ", ".join(missing)}
            )
        if data.get("type", "service_account") != "service_account":
            raise ValueError(_("This is not a service account key (its type is not service_account)."))
        if "@" not in data["client_email"]:
            raise ValueError(_("The key file's client_email is not an e-mail address."))
        if "PRIVATE KEY-----" not in data["private_key"]:
            raise ValueError(_("The key file's private_key is not a PEM private key."))
        key_id = data.get("private_key_id", "")
        return cls(
            client_email=data["client_email"].strip(),
            private_key=data["private_key"],
            private_key_id=key_id if isinstance(key_id, str) else "",
        )


def assertion(key: ServiceAccountKey, *, audience: str, now: float | None = None) -> str:
    """The signed JWT: iss = the service account, scope = Analytics read-only, aud = the token endpoint."""
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": key.client_email,
        "scope": SCOPE,
        "aud": audience,
        "iat": issued,
        "exp": issued + LIFETIME,
    }
    headers = {"kid": key.private_key_id} if key.private_key_id else None
    try:
        return jwt.encode(claims, key.private_key, algorithm="RS256", headers=headers)
    except (ValueError, TypeError, jwt.PyJWTError):
        # cryptography's message may quote parts of the key: never pass it on.
        raise ImportFailed(
            "config", _("The service account's private key could not be used to sign.")
        ) from None


class TokenCache:
    """Access tokens by (token endpoint, account, key id), kept until ``MARGIN`` seconds before expiry."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._tokens: dict[tuple[str, str, str], tuple[str, float]] = {}
        self._lock = threading.Lock()
        self.clock = clock

    def get(self, key: tuple[str, str, str]) -> str | None:
        with self._lock:
            found = self._tokens.get(key)
            if found is None or found[1] <= self.clock():
                self._tokens.pop(key, None)
                return None
            return found[0]

    def put(self, key: tuple[str, str, str], token: str, expires_in: float) -> None:
        with self._lock:
            self._tokens[key] = (token, self.clock() + max(0.0, expires_in - MARGIN))

    def forget(self, key: tuple[str, str, str]) -> None:
        with self._lock:
            self._tokens.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


cache = TokenCache()


def cache_key(key: ServiceAccountKey, token_url: str) -> tuple[str, str, str]:
    return (token_url, key.client_email, key.private_key_id)


def access_token(client: httpx.Client, key: ServiceAccountKey, *, token_url: str) -> str:
    """A valid access token for ``key``: from the cache, or exchanged for a fresh assertion."""
    ck = cache_key(key, token_url)
    cached = cache.get(ck)
    if cached is not None:
        return cached
    data = {"grant_type": GRANT_TYPE, "assertion": assertion(key, audience=token_url)}
    try:
        response = client.post(token_url, data=data, headers={"Accept": "application/json"})
    except httpx.HTTPError as error:
        raise network_error(SERVICE, error) from None
    if response.status_code != 200:
        detail = ""
        try:
            body = json_body(response)
            if isinstance(body, dict):
                detail = f"{body.get('error', '')}: {body.get('error_description', '')}".strip(": ")
        except ImportFailed:
            detail = _("the answer is not JSON")
        if response.status_code in {400, 401}:  # invalid_grant, invalid_client: the key is refused
            raise ImportFailed(
                "auth", _("Google refused the service account key: %(detail)s") % {"detail": short(detail)}
            )
        raise http_error(response.status_code, SERVICE, detail)
    body = json_body(response)
    token = body.get("access_token") if isinstance(body, dict) else None
    expires_in = body.get("expires_in", LIFETIME) if isinstance(body, dict) else None
    if (
        not isinstance(token, str)
        or not token
        or isinstance(expires_in, bool)
        or not isinstance(expires_in, int | float)
    ):
        raise ImportFailed("bad_answer", _("Google's token answer has no access token."))
    cache.put(ck, token, float(expires_in))
    return token
