"""How a published Telegram post is identified (``remote_id``) and linked (``https://t.me/...``).

A post is one message (text, one photo, one video) or, for an album, one message per photo or video. The
``remote_id`` names the kind and every message id, because editing and deleting need both:

- ``text:42``: a text message (edited with ``editMessageText``);
- ``media:43``: one photo or video (its caption is edited with ``editMessageCaption``);
- ``media:44,45,46``: an album; the caption lives on the first message, deleting removes all of them.

A message id of ``0`` means Telegram accepted a video for a large chat and scheduled it until the video is
re-encoded ("Such messages will have 0 as their message identifier and can't be used before they are
actually sent", Bot API changelog, December 2024): the post exists but cannot be edited or deleted from here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from portevoix.connectors.errors import ContentRejected

Kind = Literal["text", "media"]

_REMOTE_ID = re.compile(r"(text|media):(\d{1,12}(?:,\d{1,12}){0,99})")
_PRIVATE_PREFIX = "-100"  # supergroups and channels: chat id = -100 followed by the internal id


@dataclass(frozen=True)
class RemoteRef:
    kind: Kind
    message_ids: tuple[int, ...]

    @classmethod
    def parse(cls, remote_id: str) -> RemoteRef:
        match = _REMOTE_ID.fullmatch(remote_id.strip())
        if match is None:
            raise ContentRejected(
                "This Telegram post id is not one Portevoix wrote (expected text:<id> or media:<id>,...).",
                detail=remote_id[:100],
            )
        kind: Kind = "text" if match.group(1) == "text" else "media"
        return cls(kind=kind, message_ids=tuple(int(part) for part in match.group(2).split(",")))

    def __str__(self) -> str:
        return f"{self.kind}:{','.join(str(message_id) for message_id in self.message_ids)}"

    @property
    def first(self) -> int:
        return self.message_ids[0]

    @property
    def scheduled(self) -> bool:
        """Telegram has not given the message an id yet (video being re-encoded)."""
        return 0 in self.message_ids


def message_url(chat: Mapping[str, Any] | str, message_id: int) -> str | None:
    """The public link of a message: ``t.me/<username>/<id>`` for a public chat, ``t.me/c/<id>/<id>`` for a
    private supergroup or channel (members only), ``None`` for a basic group or a private chat."""
    if message_id <= 0:
        return None
    if isinstance(chat, str):
        reference = chat.strip()
        if reference.startswith("@"):
            return f"https://t.me/{reference[1:]}/{message_id}"
        chat_id = reference
    else:
        username = chat.get("username")
        if isinstance(username, str) and username:
            return f"https://t.me/{username}/{message_id}"
        chat_id = str(chat.get("id", ""))
    if chat_id.startswith(_PRIVATE_PREFIX) and chat_id[len(_PRIVATE_PREFIX) :].isdigit():
        return f"https://t.me/c/{chat_id[len(_PRIVATE_PREFIX) :]}/{message_id}"
    return None
