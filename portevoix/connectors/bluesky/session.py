"""A Bluesky session (``com.atproto.server.createSession``) as data, so the caller can keep it in the vault.

A session is an access JWT (about two hours on Bluesky's PDS), a refresh JWT (about 90 days) and the
account's DID and handle. It is read from the channel's credentials and handed back as a ``TokenSet``;
the connector itself keeps nothing between calls.

Credential keys: ``access_jwt``, ``refresh_jwt``, ``did`` and ``handle``. The channels app stores a
``TokenSet`` as ``access_token``/``refresh_token`` plus its ``extra`` values, so ``extra`` repeats the JWTs
under their own names too: whichever way the tokens were stored, both names agree.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from portevoix.connectors.types import TokenSet


@dataclass(frozen=True)
class Session:
    access_jwt: str
    refresh_jwt: str
    did: str
    handle: str = ""

    @classmethod
    def from_response(cls, data: Any) -> Session | None:
        """The session in a createSession/refreshSession answer, or None when it is not one."""
        if not isinstance(data, Mapping):
            return None
        access, refresh, did = data.get("accessJwt"), data.get("refreshJwt"), data.get("did")
        handle = data.get("handle")
        if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
            return None
        if not (isinstance(did, str) and did.startswith("did:")):
            return None
        return cls(access, refresh, did, handle if isinstance(handle, str) else "")

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, str], *, external_id: str = "") -> Session | None:
        """The session stored with the channel, if there is one."""
        access = credentials.get("access_jwt") or credentials.get("access_token") or ""
        refresh = credentials.get("refresh_jwt") or credentials.get("refresh_token") or ""
        did = credentials.get("did") or external_id
        if not (access and refresh and did.startswith("did:")):
            return None
        return cls(access, refresh, did, credentials.get("handle", ""))

    def token_set(self) -> TokenSet:
        return TokenSet(
            access_token=self.access_jwt,
            refresh_token=self.refresh_jwt,
            expires_at=jwt_expiry(self.access_jwt),
            extra={
                "access_jwt": self.access_jwt,
                "refresh_jwt": self.refresh_jwt,
                "did": self.did,
                "handle": self.handle,
            },
        )


def session_credentials(tokens: TokenSet) -> dict[str, str]:
    """The credential values to store for ``tokens`` (merge them into the channel's credentials)."""
    values = {"access_jwt": tokens.access_token, "refresh_jwt": tokens.refresh_token or ""}
    values.update({key: str(value) for key, value in tokens.extra.items() if key in {"did", "handle"}})
    return values


def jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT, read without checking the signature (only the PDS can check it; this is a
    hint for renewing ahead of time). None when the token does not say."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (ValueError, binascii.Error):
        return None
    exp = claims.get("exp") if isinstance(claims, dict) else None
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        return None
    try:
        return datetime.fromtimestamp(exp, UTC)
    except (OverflowError, OSError, ValueError):
        return None
