"""What can go wrong when talking to a network, as the publishing engine needs to tell it apart.

Each error carries a plain-language ``message`` for the team (what happened and what to do) and, where
known, the network's own ``detail`` (its error code or description) for the post history.
"""

from __future__ import annotations

from collections.abc import Sequence


class ConnectorError(Exception):
    """Base class. ``retryable`` tells the engine whether sending again may succeed."""

    retryable = False

    def __init__(self, message: str, *, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class AuthExpired(ConnectorError):
    """The access token expired; a refresh (if the channel has a refresh token) should fix it."""

    retryable = True


class ReauthRequired(ConnectorError):
    """The credentials are revoked, wrong or lack a permission: a person must reconnect the channel."""


class ContentRejected(ConnectorError):
    """The network refused this content (too long, bad media, duplicate...). Sending it again won't help."""

    def __init__(self, message: str, *, detail: str = "", problems: Sequence[str] = ()) -> None:
        super().__init__(message, detail=detail)
        self.problems = tuple(problems)


class RateLimited(ConnectorError):
    """Too many requests; ``retry_after`` seconds is the network's own hint when it gives one."""

    retryable = True

    def __init__(self, message: str, *, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after


class Transient(ConnectorError):
    """The request certainly did not take effect (connection refused, 502/503 before processing...)."""

    retryable = True


class OutcomeUnknown(ConnectorError):
    """The request may or may not have taken effect (timeout after sending, connection reset mid-answer).

    The engine must look the post up on the network before it ever sends it again.
    """


class NotSupported(ConnectorError):
    """The network (or this connector) cannot do this operation."""
