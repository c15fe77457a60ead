"""The connector base class: declarative metadata plus the operations the engine calls.

A connector declares what it is (key, label, capabilities, limits, auth); the engine, the UI and the docs
read the declaration, so the product never offers what a network cannot do. Operations a connector does not
declare raise ``NotSupported``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

import httpx

from portevoix.connectors.errors import (
    AuthExpired,
    ContentRejected,
    NotSupported,
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Transient,
)
from portevoix.connectors.types import (
    AccountInfo,
    Auth,
    AuthKind,
    Capability,
    ChannelConfig,
    Limits,
    OutgoingPost,
    PostMetrics,
    Published,
    TokenSet,
)
from portevoix.core import turns


class Connector:
    key: ClassVar[str]
    label: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    limits: ClassVar[Limits] = Limits()
    auth: ClassVar[Auth] = Auth(kind=AuthKind.MANUAL)
    default_base_url: ClassVar[str] = ""
    docs_url: ClassVar[str] = ""

    def __init__(self, channel: ChannelConfig, http: httpx.Client) -> None:
        self.channel = channel
        self.http = http

    # --- Operations -----------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """Check the credentials and describe the account ("test connection")."""
        raise NotSupported(f"{self.label} cannot verify a connection.")

    def publish(self, post: OutgoingPost) -> Published:
        raise NotSupported(f"{self.label} cannot publish through its API.")

    def find_published(self, post: OutgoingPost, *, since: datetime) -> Published | None:
        """Look for a post sent earlier with this idempotency key or content (reconciliation after a
        timeout). ``None`` means certainly not published; raise ``OutcomeUnknown`` when it cannot tell."""
        raise OutcomeUnknown(f"{self.label} cannot look a post up; check the channel by hand.")

    def edit(self, remote_id: str, post: OutgoingPost) -> Published:
        raise NotSupported(f"{self.label} cannot edit a published post.")

    def delete(self, remote_id: str) -> None:
        raise NotSupported(f"{self.label} cannot delete a published post.")

    def fetch_metrics(self, remote_ids: Sequence[str]) -> list[PostMetrics]:
        raise NotSupported(f"{self.label} gives no post metrics.")

    def fetch_followers(self) -> int | None:
        raise NotSupported(f"{self.label} gives no follower count.")

    def refresh(self) -> TokenSet:
        """Exchange the refresh token for new tokens (OAuth2 channels)."""
        raise NotSupported(f"{self.label} has no token refresh.")

    # --- Helpers for subclasses -----------------------------------------------------------------

    def url(self, path: str) -> str:
        return f"{self.channel.base_url.rstrip('/')}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        url: str,
        *,
        writes: bool = False,
        classify: Callable[[httpx.Response], None] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one request and turn transport failures and HTTP errors into typed errors.

        ``writes``: the request changes something on the network, so a timeout after the request was sent
        is ``OutcomeUnknown`` (it may have taken effect), not ``Transient``.
        """
        try:
            response = self.http.request(method, url, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise Transient(f"Could not reach {self.label}.", detail=type(error).__name__) from None
        except (httpx.ReadTimeout, httpx.WriteTimeout, httpx.RemoteProtocolError, httpx.ReadError) as error:
            if writes:
                raise OutcomeUnknown(
                    f"{self.label} did not answer in time; the post may or may not have been published.",
                    detail=type(error).__name__,
                ) from None
            raise Transient(f"{self.label} did not answer in time.", detail=type(error).__name__) from None
        except httpx.HTTPError as error:
            raise Transient(f"Talking to {self.label} failed.", detail=type(error).__name__) from None
        (classify or self.classify_response)(response)
        return response

    def classify_response(self, response: httpx.Response) -> None:
        """Default mapping of HTTP status codes; connectors override it for their own error bodies."""
        status = response.status_code
        if status < 400:
            return
        detail = response.text[:500]
        if status == 401:
            raise AuthExpired(f"{self.label} refused the credentials (401).", detail=detail)
        if status == 403:
            raise ReauthRequired(
                f"{self.label} refused the request (403): a permission is missing "
                "or the account was disconnected.",
                detail=detail,
            )
        if status == 429:
            raise RateLimited(
                f"{self.label} asks us to slow down.",
                detail=detail,
                retry_after=retry_after_seconds(response),
            )
        if status in {408, 425} or status >= 500:
            raise Transient(f"{self.label} had a temporary problem ({status}).", detail=detail)
        raise ContentRejected(f"{self.label} refused the post ({status}).", detail=detail)

    def json(self, response: httpx.Response) -> Any:
        """The body as JSON, or ``Transient`` when the network answered garbage."""
        try:
            return response.json()
        except ValueError:
            raise Transient(
                f"{self.label} answered something that is not JSON.", detail=response.text[:200]
            ) from None

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """The declaration as plain data (docs, the UI, the API)."""
        return {
            "key": cls.key,
            "label": cls.label,
            "capabilities": sorted(str(c) for c in cls.capabilities),
            "auth": str(cls.auth.kind),
            "limits": cls.limits,
            "docs_url": cls.docs_url,
        }


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def pause(seconds: float) -> None:
    """Sleep inside a connector (polling a network's processing): use this, not ``time.sleep``, so the
    publishing engine's other calls run meanwhile (``core.turns``)."""
    with turns.released():
        time.sleep(seconds)
