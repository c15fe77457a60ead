"""VK API error answers mapped to the typed connector errors.

VK answers HTTP 200 with ``{"error": {"error_code": N, "error_msg": "...", "request_params": [...]}}``.
Codes and their meaning: https://dev.vk.com/ru/reference/errors and VKCOM/vk-api-schema ``errors.json``.
``request_params`` is never copied into an error (it echoes the request).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from portevoix.connectors.errors import (
    AuthExpired,
    ConnectorError,
    ContentRejected,
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Transient,
)

# Seconds to wait, as hints for the engine's backoff: VK gives no Retry-After.
TOO_MANY_PER_SECOND_WAIT = 1.0  # error 6: user tokens may call 3 methods per second
FLOOD_CONTROL_WAIT = 600.0  # error 9: too many identical or similar actions; VK says no duration
CAPTCHA_WAIT = 900.0  # error 14: only a person can clear it
DAILY_LIMIT_WAIT = 3600.0  # error 29: the method's quota for the day is spent

# The VK API right each method section needs (dev.vk.com/ru/reference/access-rights).
_RIGHTS = {"wall": "wall", "photos": "photos", "groups": "groups", "stats": "stats"}

_REAUTH_MESSAGES = {
    2: "The VK app behind this installation is disabled; the operator must enable it in the VK ID "
    "business account, then reconnect the channel.",
    17: "VK asks the account owner to confirm their identity; log into vk.com with that account, then "
    "reconnect the channel.",
    18: "The connected VK account was deleted or banned; connect the channel with another account.",
    24: "VK asks the account owner to confirm this action; log into vk.com, then reconnect the channel.",
    25: "VK asks the account owner to confirm the access token; reconnect the channel.",
    27: "VK refused the community access; reconnect the channel.",
    28: "VK refused the app's authorization; the operator should check the VK app, then reconnect.",
    37: "The connected VK account is banned; connect the channel with another account.",
    125: "The channel's community id is not a valid VK community; connect the channel again.",
}

_CONTENT_MESSAGES = {
    19: "VK blocked this content.",
    100: "VK refused a parameter of the post (one is missing or invalid).",
    104: "VK could not find that post; it may have been deleted.",
    122: "VK refused the photos of this post.",
    129: "VK refused a photo of this post (invalid photo).",
    210: "VK does not allow changing this post any more.",
    219: "VK refused the post: an advertisement post was published on this wall recently.",
    220: "VK refused the post: too many recipients.",
    222: "VK refused the post: links are not allowed here.",
    224: "VK refused the post: the community has published too many advertisement posts today.",
    225: "VK refused the post: VK Donut is disabled in this community.",
}

# Server-side failures: nothing to change on our side, sending again may succeed.
_SERVER_ERRORS = {1, 10, 13, 36}


def api_error(
    error: Mapping[str, Any], *, method: str, writes: bool = False, secrets: Iterable[str] = ()
) -> ConnectorError:
    """The typed error for one VK ``error`` object. ``writes``: the call creates a post, so a server-side
    failure may have happened after the post was stored (``OutcomeUnknown``: look it up before resending).
    ``secrets`` are blanked out of the network's message before it is kept as ``detail``."""
    code = as_int(error.get("error_code"))
    message = str(error.get("error_msg", ""))
    for secret in secrets:
        if secret:
            message = message.replace(secret, "***")
    detail = f"VK error {code}: {message}"[:300]
    right = _RIGHTS.get(method.split(".", 1)[0], "wall")

    if code == 5:
        if "expired" in message.lower():
            return AuthExpired("The VK access token expired; it will be refreshed.", detail=detail)
        return ReauthRequired(
            "VK refused the access token (revoked, or the password changed); reconnect the channel.",
            detail=detail,
        )
    if code == 6:
        return RateLimited(
            "VK allows 3 requests per second for this account; trying again shortly.",
            detail=detail,
            retry_after=TOO_MANY_PER_SECOND_WAIT,
        )
    if code == 9:
        return RateLimited(
            "VK's flood control stopped this action (too many similar actions in a short time); it will be "
            "tried again later. If it keeps happening, publish less often or vary the posts.",
            detail=detail,
            retry_after=FLOOD_CONTROL_WAIT,
        )
    if code == 14:
        return RateLimited(
            "VK asks for a captcha: a person must log into vk.com with the connected account and act "
            "normally there for a while; publishing resumes afterwards.",
            detail=detail,
            retry_after=CAPTCHA_WAIT,
        )
    if code == 29:
        return RateLimited(
            f"VK's daily limit for {method} is reached; it will be tried again later.",
            detail=detail,
            retry_after=DAILY_LIMIT_WAIT,
        )
    if code in _SERVER_ERRORS:
        if writes:
            return OutcomeUnknown(
                "VK failed while publishing; the post may or may not have been created.", detail=detail
            )
        return Transient("VK had a temporary problem.", detail=detail)
    if code == 43:
        return Transient("This VK section is temporarily unavailable.", detail=detail)
    if code in {118, 121}:
        return Transient("VK's photo upload session expired; uploading again should work.", detail=detail)
    if code in {7, 15, 20, 21, 200}:
        return ReauthRequired(
            f"VK denied {method}: the app needs the '{right}' permission and the connected account must be "
            "an editor or administrator of the community. Reconnect the channel and allow every "
            "permission (VK grants wall, photos and groups to an app only on request: see the VK guide).",
            detail=detail,
        )
    if code == 203:
        return ReauthRequired(
            "VK denied access to the community: the connected account must be an editor or administrator "
            "of it (and the app needs the 'groups' permission). Reconnect the channel.",
            detail=detail,
        )
    if code == 214:
        return ReauthRequired(
            "VK does not let the connected account post on this community wall: make it an editor or "
            "administrator, check that the wall is open in the community settings, and that the app has "
            "the 'wall' permission. Then reconnect the channel.",
            detail=detail,
        )
    if code in _REAUTH_MESSAGES:
        return ReauthRequired(_REAUTH_MESSAGES[code], detail=detail)
    default = f"VK refused the request (error {code})." if code is not None else "VK refused the request."
    return ContentRejected(_CONTENT_MESSAGES.get(code or 0, default), detail=detail)


def as_int(value: Any) -> int | None:
    """VK's numbers as ``int`` (some arrive as strings); ``None`` for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None
