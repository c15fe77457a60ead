"""Telegram: post to a channel or a group through a bot that is its administrator (Bot API).

Requests go to ``{base_url}/bot{token}/{method}`` (https://core.telegram.org/bots/api#making-requests); a
local Bot API server (github.com/tdlib/telegram-bot-api) takes the same requests at its own address. The
token is in every URL: errors never quote a URL and every text taken from an answer is scrubbed.

- Text: ``sendMessage`` (4096 UTF-16 code units). A post's link gets the link preview.
- One photo or video: ``sendPhoto`` / ``sendVideo`` with the file uploaded as multipart/form-data and the
  text as the caption (1024 UTF-16 code units).
- 2-10 photos and videos: ``sendMediaGroup``, an album; the files are parts named ``file0``... referenced
  as ``attach://file0``...; the caption goes on the first item (Telegram shows it under the album).
- ``remote_id`` names the kind and every message id (see ``remote.py``): ``text:42``, ``media:43,44``.

The Bot API has no idempotency key and cannot search a channel's history, so a post whose sending timed out
cannot be looked up: ``find_published`` stays the base one (``OutcomeUnknown``, check by hand). It gives no
view counts to bots either (no metrics); the follower count is ``getChatMemberCount``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from typing import IO, Any, ClassVar
from urllib.parse import urlsplit

import httpx

from portevoix.connectors.base import Connector
from portevoix.connectors.errors import (
    ContentRejected,
    OutcomeUnknown,
    ReauthRequired,
    Transient,
)
from portevoix.connectors.telegram.errors import ADMIN_HINT, ApiError, Scrub, raise_for
from portevoix.connectors.telegram.remote import Kind, RemoteRef, message_url
from portevoix.connectors.types import (
    AccountInfo,
    Auth,
    AuthKind,
    Capability,
    CredentialField,
    Limits,
    MediaItem,
    OutgoingPost,
    Published,
    RateLimit,
)
from portevoix.textcount import Unit

MiB = 1024 * 1024
PHOTO_MAX_BYTES = 10 * MiB  # "Sending files": 10 MB max size for photos (multipart upload)
FILE_MAX_BYTES = 50 * MiB  # "Sending files": 50 MB for other files
LOCAL_SERVER_MAX_BYTES = 2000 * MiB  # a local Bot API server uploads files up to 2000 MB
OFFICIAL_HOST = "api.telegram.org"
MEDIA_PER_ALBUM = 10  # sendMediaGroup: "must include 2-10 items"

TOKEN = re.compile(r"\d{1,20}:[A-Za-z0-9_-]{20,100}")
CHAT_USERNAME = re.compile(r"@[A-Za-z][A-Za-z0-9_]{3,31}")
CHAT_NUMBER = re.compile(r"-?\d{1,20}")
TRUE = frozenset({"1", "true", "yes", "on"})

FileTuple = tuple[str, IO[bytes], str]


class Telegram(Connector):
    key = "telegram"
    label = "Telegram"
    auth = Auth(
        kind=AuthKind.BOT_TOKEN,
        fields=(
            CredentialField(
                name="bot_token",
                label="Bot token",
                secret=True,
                help="Create a bot with @BotFather (/newbot) and paste the token it gives. Then add the bot "
                "to the channel or group as an administrator allowed to post messages.",
            ),
            # The channels app passes a field named "external_id" as ChannelConfig.external_id to verify().
            CredentialField(
                name="external_id",
                label="Channel or group",
                help="Its public @username (or https://t.me/username), or for a private chat its numeric id "
                "such as -1001234567890.",
            ),
        ),
    )
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.EDIT,
            Capability.DELETE,
            Capability.FOLLOWERS,
            Capability.IMAGES,
            Capability.VIDEO,
            Capability.ALBUMS,
            Capability.LINKS,
        }
    )
    limits = Limits(
        text=4096,
        text_unit=Unit.UTF16,
        caption=1024,
        media=MEDIA_PER_ALBUM,
        image_formats=("image/jpeg", "image/png"),
        video_formats=("video/mp4",),
        image_max_bytes=PHOTO_MAX_BYTES,
        video_max_bytes=FILE_MAX_BYTES,
        aspect_ratio_min=1 / 20,  # sendPhoto: "Width and height ratio must be at most 20"
        aspect_ratio_max=20,
        mix_images_and_video=True,
        # Bots FAQ: "your bot will not be able to send more than 20 messages per minute to the same group".
        rate_limits=(RateLimit(requests=20, per_seconds=60, scope="account"),),
    )
    default_base_url = "https://api.telegram.org"
    docs_url = "https://core.telegram.org/bots/api"

    # Post options read from ``OutgoingPost.options`` ("1"/"true" to turn on).
    OPTION_NO_PREVIEW: ClassVar[str] = "disable_link_preview"
    OPTION_SILENT: ClassVar[str] = "silent"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scrub = Scrub(str(self.channel.credentials.get("bot_token", "")).strip())

    # --- Operations -----------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """The bot's token works, the chat exists, and the bot may post there (getMe, getChat,
        getChatMember); the follower count comes along (getChatMemberCount)."""
        me = _object(self._call("getMe", {}), "getMe")
        bot_id = me.get("id")
        if not isinstance(bot_id, int):
            raise Transient("Telegram answered getMe without the bot's id.")
        bot_name = f"@{me['username']}" if isinstance(me.get("username"), str) else "The bot"
        chat_id = self._chat_id()
        chat = _object(self._call("getChat", {"chat_id": chat_id}), "getChat")
        chat_type = chat.get("type")
        if chat_type not in {"channel", "group", "supergroup"}:
            raise ReauthRequired(
                "This chat is a private conversation, not a channel or a group: give the @username or the "
                "id of a channel or group."
            )
        member = _object(
            self._call("getChatMember", {"chat_id": chat_id, "user_id": bot_id}), "getChatMember"
        )
        status = member.get("status")
        if chat_type == "channel":
            allowed = status == "creator" or (
                status == "administrator" and member.get("can_post_messages") is True
            )
        else:
            allowed = status in {"creator", "administrator", "member"} or (
                status == "restricted" and member.get("can_send_messages") is True
            )
        if not allowed:
            raise ReauthRequired(f"{bot_name} may not post in this {chat_type}. {ADMIN_HINT}")
        username = chat.get("username") if isinstance(chat.get("username"), str) else ""
        return AccountInfo(
            external_id=str(chat.get("id", chat_id)),
            name=str(chat.get("title") or username or chat_id),
            handle=f"@{username}" if username else "",
            url=f"https://t.me/{username}" if username else None,
            followers=self.fetch_followers(),
        )

    def publish(self, post: OutgoingPost) -> Published:
        self._check(post)
        text = text_with_link(post)
        chat_id = self._chat_id()
        silent = {"disable_notification": True} if _flag(post, self.OPTION_SILENT) else {}
        if not post.media:
            params: dict[str, Any] = {"chat_id": chat_id, "text": text, **silent}
            params.update(self._preview(post))
            return self._published("text", [self._call("sendMessage", params, writes=True)])
        with ExitStack() as stack:
            if len(post.media) == 1:
                item = post.media[0]
                method, field = ("sendPhoto", "photo") if item.kind == "image" else ("sendVideo", "video")
                params = {"chat_id": chat_id, **_caption(text), **_video_fields(item), **silent}
                files = {field: self._file(stack, item, 0)}
                return self._published("media", [self._call(method, params, files=files, writes=True)])
            album: list[dict[str, Any]] = []
            files = {}
            for index, item in enumerate(post.media):
                name = f"file{index}"
                entry: dict[str, Any] = {
                    "type": "photo" if item.kind == "image" else "video",
                    "media": f"attach://{name}",
                    **(_caption(text) if index == 0 else {}),
                    **_video_fields(item),
                }
                album.append(entry)
                files[name] = self._file(stack, item, index)
            params = {"chat_id": chat_id, "media": album, **silent}
            result = self._call("sendMediaGroup", params, files=files, writes=True)
        if not isinstance(result, list) or not result:
            raise OutcomeUnknown(
                "Telegram accepted the album but did not list its messages; check the channel before "
                "sending it again."
            )
        return self._published("media", result)

    def edit(self, remote_id: str, post: OutgoingPost) -> Published:
        """Change the text of a message or the caption of a photo, video or album. Telegram keeps the
        photos and videos: changing them means deleting the post and publishing it again."""
        ref = self._usable(remote_id)
        text = text_with_link(post)
        chat_id = self._chat_id()
        if ref.kind == "text":
            if post.media:
                raise ContentRejected(
                    "Telegram cannot add photos or videos to a published text message: delete it and "
                    "publish again.",
                    problems=("media_changed",),
                )
            if not text.strip():
                raise ContentRejected("A Telegram message cannot be emptied.", problems=("empty",))
            params: dict[str, Any] = {"chat_id": chat_id, "message_id": ref.first, "text": text}
            params.update(self._preview(post))
            result = self._call("editMessageText", params, ignore=("message is not modified",))
        else:
            if len(post.media) != len(ref.message_ids):
                raise ContentRejected(
                    "Telegram can change the caption of a published post, not its photos or videos: delete "
                    "it and publish again.",
                    problems=("media_changed",),
                )
            params = {"chat_id": chat_id, "message_id": ref.first, "caption": text}
            result = self._call("editMessageCaption", params, ignore=("message is not modified",))
        chat = result.get("chat") if isinstance(result, dict) else None
        return Published(
            remote_id=str(ref), url=message_url(chat if isinstance(chat, dict) else chat_id, ref.first)
        )

    def delete(self, remote_id: str) -> None:
        """Delete the message, or every message of an album. Already deleted counts as done."""
        ref = self._usable(remote_id)
        chat_id = self._chat_id()
        if len(ref.message_ids) == 1:
            params: dict[str, Any] = {"chat_id": chat_id, "message_id": ref.first}
            self._call("deleteMessage", params, ignore=("message to delete not found",))
        else:
            # deleteMessages: "If some of the specified messages can't be found, they are skipped."
            self._call("deleteMessages", {"chat_id": chat_id, "message_ids": list(ref.message_ids)})

    def fetch_followers(self) -> int | None:
        count = self._call("getChatMemberCount", {"chat_id": self._chat_id()})
        if not isinstance(count, int) or isinstance(count, bool):
            raise Transient("Telegram answered getChatMemberCount without a number.")
        return count

    # --- Requests -------------------------------------------------------------------------------

    def _call(
        self,
        method: str,
        params: Mapping[str, Any],
        *,
        files: Mapping[str, FileTuple] | None = None,
        writes: bool = False,
        ignore: Sequence[str] = (),
    ) -> Any:
        """Call one Bot API method; return its ``result``, or ``None`` when Telegram's error is one of the
        ``ignore`` fragments (an outcome the caller counts as success)."""
        url = f"{self._base_url()}/bot{self._token()}/{method}"
        body: dict[str, Any]
        if files:
            body = {"data": {key: _form_value(value) for key, value in params.items()}, "files": dict(files)}
        else:
            body = {"json": dict(params)}
        try:
            response = self.request("POST", url, writes=writes, classify=_accept_any, **body)
        except httpx.InvalidURL:
            raise ReauthRequired("The Telegram API address of this channel is not a valid URL.") from None
        answer = self._answer(response, writes=writes)
        if answer.get("ok") is True:
            return answer.get("result")
        error = ApiError.from_answer(response, answer)
        if ignore and error.mentions(*ignore):
            return None
        raise_for(error, response, self.scrub)

    def _answer(self, response: httpx.Response, *, writes: bool) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("ok"), bool):
            return body
        # Not the Bot API talking: a proxy, a load balancer's error page, a captive portal.
        if response.status_code >= 400:
            raise_for(ApiError(response.status_code, response.status_code, ""), response, self.scrub)
        detail = self.scrub(response.text[:200])
        if writes:
            raise OutcomeUnknown(
                "Telegram answered something that is not a Bot API answer; the post may or may not have "
                "been published.",
                detail=detail,
            )
        raise Transient("Telegram answered something that is not a Bot API answer.", detail=detail)

    def _token(self) -> str:
        token = str(self.channel.credentials.get("bot_token", "")).strip()
        if not TOKEN.fullmatch(token):
            raise ReauthRequired(
                "The Telegram bot token is missing or malformed: paste the token @BotFather gave "
                "(digits, a colon, then letters and digits)."
            )
        return token

    def _base_url(self) -> str:
        return (self.channel.base_url or self.default_base_url).rstrip("/")

    def _chat_id(self) -> str:
        """The chat as the Bot API takes it: a numeric id (``-100...`` for channels and supergroups) or
        ``@username``; a ``https://t.me/name`` link or a bare name is accepted too."""
        reference = self.channel.external_id.strip()
        for prefix in ("https://t.me/", "http://t.me/", "t.me/"):
            if reference.startswith(prefix):
                reference = reference[len(prefix) :].strip("/")
        if reference and not CHAT_NUMBER.fullmatch(reference) and not reference.startswith("@"):
            reference = f"@{reference}"
        if CHAT_NUMBER.fullmatch(reference) or CHAT_USERNAME.fullmatch(reference):
            return reference
        raise ReauthRequired(
            "The Telegram chat must be a channel's @username or a numeric chat id (such as -1001234567890)."
        )

    # --- Helpers --------------------------------------------------------------------------------

    def _check(self, post: OutgoingPost) -> None:
        """Refuse, before sending anything, what the Bot API is documented to refuse."""
        if not post.text.strip() and not post.media and not post.link:
            raise ContentRejected(
                "Nothing to post: the text is empty and there is no photo or video.", problems=("empty",)
            )
        if len(post.media) > MEDIA_PER_ALBUM:
            raise ContentRejected(
                f"Telegram albums hold at most {MEDIA_PER_ALBUM} photos and videos.",
                problems=("too_many_media",),
            )
        problems: list[str] = []
        for item in post.media:
            if item.kind == "image" and item.content_type not in self.limits.image_formats:
                problems.append(f"{item.filename}: Telegram photos must be JPEG or PNG")
            elif item.kind == "video" and item.content_type not in self.limits.video_formats:
                problems.append(f"{item.filename}: Telegram videos must be MP4")
            elif item.kind not in {"image", "video"}:
                problems.append(f"{item.filename}: only photos and videos can be posted")
            elif item.size > self._max_bytes(item):
                problems.append(f"{item.filename}: larger than {self._max_bytes(item) // MiB} MB")
        if problems:
            raise ContentRejected(
                "Telegram cannot take these files: " + "; ".join(problems) + ".", problems=tuple(problems)
            )

    def _max_bytes(self, item: MediaItem) -> int:
        if item.kind == "image":
            return PHOTO_MAX_BYTES
        official = urlsplit(self._base_url()).hostname == OFFICIAL_HOST
        return FILE_MAX_BYTES if official else LOCAL_SERVER_MAX_BYTES

    def _file(self, stack: ExitStack, item: MediaItem, index: int) -> FileTuple:
        try:
            handle = stack.enter_context(item.path.open("rb"))
        except OSError:
            raise ContentRejected(
                f"Portevoix could not read the file {item.filename} to upload it.", problems=("media",)
            ) from None
        return (safe_filename(item.filename, index), handle, item.content_type)

    def _preview(self, post: OutgoingPost) -> dict[str, Any]:
        if _flag(post, self.OPTION_NO_PREVIEW):
            return {"link_preview_options": {"is_disabled": True}}
        if post.link:
            return {"link_preview_options": {"url": post.link}}
        return {}

    def _usable(self, remote_id: str) -> RemoteRef:
        ref = RemoteRef.parse(remote_id)
        if ref.scheduled:
            raise ContentRejected(
                "Telegram had not given this post an id yet when it was sent (its video was being "
                "processed): edit or delete it in the Telegram app."
            )
        return ref

    def _published(self, kind: Kind, messages: Sequence[Any]) -> Published:
        ids: list[int] = []
        for message in messages:
            message_id = message.get("message_id") if isinstance(message, dict) else None
            if not isinstance(message_id, int) or isinstance(message_id, bool):
                raise OutcomeUnknown(
                    "Telegram accepted the post but its answer names no message; check the channel before "
                    "sending it again."
                )
            ids.append(message_id)
        first = messages[0]
        chat = first.get("chat")
        date = first.get("date")
        return Published(
            remote_id=str(RemoteRef(kind, tuple(ids))),
            url=message_url(chat if isinstance(chat, dict) else self._chat_id(), ids[0]),
            published_at=datetime.fromtimestamp(date, UTC) if isinstance(date, int) and date > 0 else None,
        )


def text_with_link(post: OutgoingPost) -> str:
    """The text, with the post's link added on its own line when the text does not contain it already."""
    if not post.link or post.link in post.text:
        return post.text
    return f"{post.text.rstrip()}\n\n{post.link}" if post.text.strip() else post.link


def safe_filename(filename: str, index: int) -> str:
    """A plain ASCII file name for the multipart part (the extension kept)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip("._")
    return name[-100:] or f"file{index}"


def _caption(text: str) -> dict[str, str]:
    return {"caption": text} if text.strip() else {}


def _video_fields(item: MediaItem) -> dict[str, Any]:
    if item.kind != "video":
        return {}
    fields: dict[str, Any] = {"supports_streaming": True}
    if item.width:
        fields["width"] = item.width
    if item.height:
        fields["height"] = item.height
    if item.duration_seconds:
        fields["duration"] = round(item.duration_seconds)
    return fields


def _flag(post: OutgoingPost, name: str) -> bool:
    return str(post.options.get(name, "")).strip().lower() in TRUE


def _form_value(value: Any) -> str:
    """A multipart field: objects and arrays JSON-serialized, as the Bot API asks."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _object(value: Any, method: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Transient(f"Telegram answered {method} with something unexpected.")
    return value


def _accept_any(response: httpx.Response) -> None:
    """Telegram's answers are classified from their JSON body (``Telegram._answer``), not here."""
