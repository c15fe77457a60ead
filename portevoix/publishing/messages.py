"""What a target's ``error_code`` means for the team, in plain words, with what to do about it.

The post history (the composer's pages) shows ``Target.error_message`` (the network's own words, through
its connector) and ``advice(error_code)`` below it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portevoix.connectors.errors import (
    AuthExpired,
    ConnectorError,
    ContentRejected,
    NotSupported,
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Transient,
)


class Code:
    TRANSIENT = "transient"
    RATE_LIMITED = "rate_limited"
    AUTH_EXPIRED = "auth_expired"
    REAUTH_REQUIRED = "reauth_required"
    REJECTED = "rejected"
    NOT_SUPPORTED = "not_supported"
    OUTCOME_UNKNOWN = "outcome_unknown"
    UNEXPECTED = "unexpected"
    TOO_LATE = "too_late"
    GAVE_UP = "gave_up"
    MANUAL = "manual"
    CHANNEL_UNAVAILABLE = "channel_unavailable"
    NOT_FOUND_AFTER_ACCEPT = "not_found_after_accept"
    PENDING_TOO_LONG = "pending_too_long"
    CHECKED_NOT_PUBLISHED = "checked_not_published"


ADVICE = {
    Code.TRANSIENT: _("The network had a temporary problem. Portevoix tries again by itself."),
    Code.RATE_LIMITED: _(
        "The network asked to slow down. Portevoix waits as long as it asked, then tries again."
    ),
    Code.AUTH_EXPIRED: _("The channel's access had expired. Portevoix renews it when the network allows it."),
    Code.REAUTH_REQUIRED: _(
        "The network refused the channel's access (revoked, expired or missing a permission). Reconnect the "
        "channel in Channels, then retry the post."
    ),
    Code.REJECTED: _("The network refused this post. Change what it objects to, then retry."),
    Code.NOT_SUPPORTED: _("This network cannot do that through its API. Publish the post by hand."),
    Code.OUTCOME_UNKNOWN: _(
        "The network did not answer in time. Portevoix looks the post up on the network before it ever sends "
        "it again."
    ),
    Code.UNEXPECTED: _(
        "Something unexpected went wrong. Portevoix checks with the network before trying again."
    ),
    Code.TOO_LATE: _(
        "It could not be sent close enough to its time, so it was not sent. Retry it to publish it now, or "
        "reschedule it."
    ),
    Code.GAVE_UP: _("Every try failed. Look at the last error, fix what is needed, then retry."),
    Code.MANUAL: _(
        "This network has no publishing API. Publish the post there by hand, then mark it as published with "
        "its address."
    ),
    Code.CHANNEL_UNAVAILABLE: _("The channel cannot be used. Reconnect it in Channels, then retry the post."),
    Code.NOT_FOUND_AFTER_ACCEPT: _(
        "The network accepted the post but it never appeared. Look at the channel: mark the post as "
        "published with its address if it is there, or as not published and retry it."
    ),
    Code.PENDING_TOO_LONG: _(
        "The network has been processing the post for too long. Look at the channel and mark the post as "
        "published or not published."
    ),
    Code.CHECKED_NOT_PUBLISHED: _("A person checked the channel: the post is not there. Retry it."),
}


def advice(code: str) -> str:
    text = ADVICE.get(code)
    return str(text) if text is not None else ""


def code_for(error: BaseException) -> str:
    """The error code stored on a target for a connector error (most specific class first)."""
    for cls, code in (
        (RateLimited, Code.RATE_LIMITED),
        (AuthExpired, Code.AUTH_EXPIRED),
        (ReauthRequired, Code.REAUTH_REQUIRED),
        (ContentRejected, Code.REJECTED),
        (NotSupported, Code.NOT_SUPPORTED),
        (OutcomeUnknown, Code.OUTCOME_UNKNOWN),
        (Transient, Code.TRANSIENT),
    ):
        if isinstance(error, cls):
            return code
    return Code.UNEXPECTED


def describe(error: BaseException) -> tuple[str, str]:
    """(message, detail) of an error, for the target and the attempt row; never a secret (connectors
    build their messages without credentials, and the engine scrubs them again)."""
    if isinstance(error, ConnectorError):
        message = error.message
        if isinstance(error, ContentRejected) and error.problems:
            message = f"{message} " + "; ".join(error.problems)
        return message[:2000], (error.detail or "")[:2000]
    return str(_("An unexpected error happened while talking to the network.")), type(error).__name__
