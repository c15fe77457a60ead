"""Telegram's error answers, mapped to the typed connector errors.

Every Bot API answer is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N, "description":
"...", "parameters": {"retry_after": S, "migrate_to_chat_id": ID}}`` (Bot API, "Making requests" and
``ResponseParameters``). The description is Telegram's English text, e.g. "Bad Request: message is too
long" or "Forbidden: bot was kicked from the channel chat": the mapping keys on its well-known fragments.

The bot token is part of every request URL, so nothing here ever quotes a URL, and every text taken from
an answer goes through ``scrub`` first (a proxy's error page may echo the URL it was asked for).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn

import httpx

from portevoix.connectors.base import retry_after_seconds
from portevoix.connectors.errors import (
    ContentRejected,
    RateLimited,
    ReauthRequired,
    Transient,
)

ADMIN_HINT = (
    "Add the bot to the channel or group as an administrator with the right to post messages "
    "(and to edit and delete them), then test the connection again."
)


@dataclass(frozen=True)
class ApiError:
    status: int
    code: int
    description: str
    retry_after: float | None = None
    migrate_to_chat_id: int | None = None

    @classmethod
    def from_answer(cls, response: httpx.Response, body: dict[str, Any]) -> ApiError:
        parameters = body.get("parameters")
        parameters = parameters if isinstance(parameters, dict) else {}
        code = body.get("error_code")
        retry_after = parameters.get("retry_after")
        migrate = parameters.get("migrate_to_chat_id")
        return cls(
            status=response.status_code,
            code=code if isinstance(code, int) else response.status_code,
            description=str(body.get("description") or ""),
            retry_after=float(retry_after) if isinstance(retry_after, int | float) else None,
            migrate_to_chat_id=migrate if isinstance(migrate, int) else None,
        )

    def mentions(self, *fragments: str) -> bool:
        text = self.description.lower()
        return any(fragment in text for fragment in fragments)


def raise_for(error: ApiError, response: httpx.Response, scrub: Scrub) -> NoReturn:
    """Raise the typed error for one of Telegram's error answers."""
    detail = scrub(f"{error.code}: {error.description}")
    code = error.code
    if code == 429:
        raise RateLimited(
            "Telegram asks us to slow down (too many messages to this chat).",
            detail=detail,
            retry_after=error.retry_after if error.retry_after is not None else retry_after_seconds(response),
        )
    if code == 401:
        raise ReauthRequired(
            "Telegram no longer accepts this bot token (it was revoked or regenerated in @BotFather): "
            "paste the bot's current token.",
            detail=detail,
        )
    if code == 404:
        raise ReauthRequired(
            "Telegram does not know this bot token (or the API address is wrong): check the token from "
            "@BotFather and the API address of the channel.",
            detail=detail,
        )
    if error.migrate_to_chat_id is not None:
        raise ReauthRequired(
            "This group became a supergroup and has a new chat id: reconnect the channel with the new id "
            f"{error.migrate_to_chat_id}.",
            detail=detail,
        )
    if code == 403 or error.mentions(
        "not enough rights", "need administrator rights", "have no rights", "chat_admin_required"
    ):
        raise ReauthRequired(f"Telegram refused: the bot cannot post here. {ADMIN_HINT}", detail=detail)
    if error.mentions("chat not found"):
        raise ReauthRequired(
            "Telegram cannot find this chat: check the chat id or @username, and that the bot was added "
            "to it.",
            detail=detail,
        )
    if code == 408 or code >= 500:
        raise Transient(f"Telegram had a temporary problem ({code}).", detail=detail)
    if error.mentions("message to edit not found", "message to delete not found", "message not found"):
        raise ContentRejected("The message no longer exists on Telegram (it was deleted).", detail=detail)
    if error.mentions("message can't be deleted"):
        raise ContentRejected(
            "Telegram does not let the bot delete this message: messages older than 48 hours can only be "
            "deleted by hand, and the bot needs the right to delete messages.",
            detail=detail,
        )
    if error.mentions("message can't be edited"):
        raise ContentRejected("Telegram does not let the bot edit this message any more.", detail=detail)
    if error.mentions("too long", "too_long"):
        raise ContentRejected(
            "Telegram refused the post: the text is too long (4096 characters for a message, 1024 for the "
            "caption of a photo or video).",
            detail=detail,
            problems=("too_long",),
        )
    if error.mentions("text is empty", "text must be non-empty"):
        raise ContentRejected("Telegram refused an empty message.", detail=detail, problems=("empty",))
    if error.mentions("wrong file", "photo_invalid", "image_process_failed", "wrong type", "failed to get"):
        raise ContentRejected(
            "Telegram refused the photo or video file (unsupported format, size or dimensions).",
            detail=detail,
            problems=("media",),
        )
    reason = f": {scrub(error.description)}" if error.description else f" ({code})."
    raise ContentRejected(f"Telegram refused the request{reason}", detail=detail)


class Scrub:
    """Removes the bot token (and its secret half) from any text before it goes into an error."""

    def __init__(self, token: str) -> None:
        self.secrets = tuple(
            sorted(
                {part for part in (token, token.partition(":")[2]) if len(part) >= 8}, key=len, reverse=True
            )
        )

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "<bot token>")
        return text
