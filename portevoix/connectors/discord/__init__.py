"""Discord: post to a server's channel through an incoming webhook (no bot, no OAuth).

The channel's credential is the webhook URL Discord shows (``https://discord.com/api/webhooks/<id>/<token>``);
its id and token are sent to ``{base_url}/webhooks/<id>/<token>`` (base: ``https://discord.com/api/v10``,
configurable). Reference: https://discord.com/developers/docs/resources/webhook and ``docs/reference``
("Uploading Files", "Error Messages"), ``docs/topics/rate-limits``, ``docs/topics/opcodes-and-status-codes``.

- Publish: Execute Webhook with ``?wait=true`` so Discord answers with the message (its id). Text is
  ``content`` (2000 characters). Files go as multipart/form-data: ``files[0]``... with a file name, and a
  ``payload_json`` part holding the JSON body with ``attachments`` (``{"id": n, "filename", "description"}``,
  the description being the alt text). Up to 10 files.
- A link: Discord unfurls a link found in the text by itself. When the post carries a card (options
  ``link_title``, ``link_description``, ``link_image``), it is sent as an embed and the link in the text is
  wrapped in ``<...>`` so Discord does not add a second card.
- Edit: PATCH ``/webhooks/<id>/<token>/messages/<message_id>`` (text and card; the files stay).
- Delete: DELETE the same path; an already deleted message (error 10008) counts as done.
- ``remote_id`` is the message's snowflake id. The post's link needs the server (guild) id, which the
  message does not carry: it comes from the channel's ``options["guild_id"]`` or from the webhook itself.

Webhooks have no idempotency key and cannot list their messages: a post whose sending timed out cannot be
looked up (``find_published`` stays the base one). No follower count, no metrics.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from datetime import datetime
from typing import IO, Any, ClassVar
from urllib.parse import urlsplit

import httpx

from portevoix.connectors.base import Connector, retry_after_seconds
from portevoix.connectors.errors import (
    ConnectorError,
    ContentRejected,
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
    CredentialField,
    Limits,
    MediaItem,
    OutgoingPost,
    Published,
)
from portevoix.textcount import Unit

MiB = 1024 * 1024
FILES_PER_MESSAGE = 10  # JSON error 30015: "Maximum number of attachments in a message reached (10)"
DEFAULT_UPLOAD_BYTES = 10 * MiB  # "Uploading Files": "The default limit is `10 MiB` for all users"

WEBHOOK_HOSTS = frozenset(
    {
        "discord.com",
        "discordapp.com",
        "ptb.discord.com",
        "canary.discord.com",
        "ptb.discordapp.com",
        "canary.discordapp.com",
    }
)
WEBHOOK_PATH = re.compile(r"/api(?:/v\d{1,2})?/webhooks/(\d{15,25})/([A-Za-z0-9_.-]{20,200})/?")
SNOWFLAKE = re.compile(r"\d{15,25}")

# Message flags (docs/resources/message, "Message Flags").
SUPPRESS_EMBEDS = 1 << 2
SUPPRESS_NOTIFICATIONS = 1 << 12

# JSON error codes (docs/topics/opcodes-and-status-codes, "JSON Error Codes").
UNKNOWN_MESSAGE = 10008
UNKNOWN_WEBHOOK = 10015
AUTH_CODES = frozenset({40001, 50014, 50027})  # unauthorized, invalid token, invalid webhook token
TOO_LARGE_CODES = frozenset({40005, 50045})  # request entity too large, file exceeds the maximum size

TRUE = frozenset({"1", "true", "yes", "on"})
WEBHOOK_GONE = (
    "Discord no longer accepts this webhook (it was deleted, or its URL was reset): create a webhook in the "
    "channel's settings (Integrations, Webhooks) and paste its new URL."
)

FileTuple = tuple[str, IO[bytes], str]


def parse_webhook_url(url: str, base_url: str = "") -> tuple[str, str] | None:
    """``(webhook_id, token)`` from a webhook URL, or ``None`` when it is not one. Accepted: Discord's own
    hosts over https, or the host of ``base_url`` (a proxy or a test server)."""
    parts = urlsplit(url.strip())
    base = urlsplit(base_url) if base_url else None
    host = (parts.hostname or "").lower()
    on_discord = parts.scheme == "https" and host in WEBHOOK_HOSTS
    on_base = (
        base is not None
        and bool(host)
        and host == (base.hostname or "").lower()
        and (parts.scheme == base.scheme)
    )
    match = WEBHOOK_PATH.fullmatch(parts.path)
    if not (on_discord or on_base) or match is None or parts.query or parts.fragment:
        return None
    return match.group(1), match.group(2)


class Discord(Connector):
    key = "discord"
    label = "Discord"
    auth = Auth(
        kind=AuthKind.WEBHOOK_URL,
        fields=(
            CredentialField(
                name="webhook_url",
                label="Webhook URL",
                secret=True,
                help="In Discord: the channel's settings, Integrations, Webhooks, New Webhook, then Copy "
                "Webhook URL (you need the Manage Webhooks permission).",
            ),
        ),
    )
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.EDIT,
            Capability.DELETE,
            Capability.IMAGES,
            Capability.VIDEO,
            Capability.ALBUMS,
            Capability.LINKS,
        }
    )
    limits = Limits(
        text=2000,
        text_unit=Unit.CHARS,
        media=FILES_PER_MESSAGE,
        image_formats=("image/jpeg", "image/png", "image/gif", "image/webp"),
        video_formats=("video/mp4", "video/webm"),
        image_max_bytes=DEFAULT_UPLOAD_BYTES,
        video_max_bytes=DEFAULT_UPLOAD_BYTES,
        mix_images_and_video=True,
        # No rate_limits: Discord says they "should not be hard coded" and sends them in headers.
    )
    default_base_url = "https://discord.com/api/v10"
    docs_url = "https://discord.com/developers/docs/resources/webhook#execute-webhook"

    # Post options read from ``OutgoingPost.options``.
    OPTION_NO_PREVIEW: ClassVar[str] = "disable_link_preview"  # "1"/"true": no link card at all
    OPTION_SILENT: ClassVar[str] = "silent"  # "1"/"true": no push notification
    OPTION_MENTIONS: ClassVar[str] = "allow_mentions"  # "1"/"true": @everyone, roles and users do ping
    OPTION_LINK_TITLE: ClassVar[str] = "link_title"
    OPTION_LINK_DESCRIPTION: ClassVar[str] = "link_description"
    OPTION_LINK_IMAGE: ClassVar[str] = "link_image"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        raw = str(self.channel.credentials.get("webhook_url", "")).strip()
        parsed = parse_webhook_url(raw, self._base_url())
        self._secrets = tuple(
            sorted({value for value in (raw, parsed[1] if parsed else "") if len(value) >= 8}, key=len)[::-1]
        )
        self._guild_id: str | None = str(self.channel.options.get("guild_id") or "") or None

    # --- Operations -----------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        """Get Webhook with Token: the webhook exists and tells its name, channel and server."""
        hook = self._webhook_object()
        webhook_id, _ = self._webhook()
        channel_id = hook.get("channel_id")
        guild_id = hook.get("guild_id")
        url = None
        if isinstance(channel_id, str) and isinstance(guild_id, str):
            url = f"https://discord.com/channels/{guild_id}/{channel_id}"
        return AccountInfo(
            external_id=str(hook.get("id") or webhook_id),
            name=str(hook.get("name") or "Discord webhook"),
            url=url,
        )

    def publish(self, post: OutgoingPost) -> Published:
        self._check(post)
        payload = self._payload(post, editing=False)
        with ExitStack() as stack:
            body = self._body(stack, payload, post.media)
            response = self._send(
                "POST", self._hook(), params={"wait": "true", **self._thread()}, writes=True, **body
            )
        return self._published(self._message(response, writes=True))

    def edit(self, remote_id: str, post: OutgoingPost) -> Published:
        """Change the text and the link card of a sent message; its files stay as they are."""
        message_id = _message_id(remote_id)
        if not post.text.strip() and not post.media and not post.link:
            raise ContentRejected("A Discord message cannot be emptied.", problems=("empty",))
        payload = self._payload(post, editing=True)
        response = self._send(
            "PATCH", self._hook(f"/messages/{message_id}"), params=self._thread(), json=payload
        )
        return self._published(self._message(response, writes=False))

    def delete(self, remote_id: str) -> None:
        message_id = _message_id(remote_id)
        self._send(
            "DELETE",
            self._hook(f"/messages/{message_id}"),
            params=self._thread(),
            classify=self._classify_delete,
        )

    # --- Requests -------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        *,
        writes: bool = False,
        classify: Callable[[httpx.Response], None] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        try:
            return self.request(method, url, writes=writes, classify=classify or self._classify, **kwargs)
        except httpx.InvalidURL:
            raise ReauthRequired("The Discord API address of this channel is not a valid URL.") from None

    def _classify(self, response: httpx.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        body = _json_object(response)
        code = body.get("code") if isinstance(body.get("code"), int) else None
        text = str(body.get("message") or "")
        problems = tuple(self._scrub(problem) for problem in form_errors(body.get("errors")))
        if body:
            detail = self._scrub(f"{status} {code}: {text}" + "".join(f"; {p}" for p in problems))
        else:
            detail = self._scrub(response.text[:300])
        if status == 429:
            scope = " (global limit)" if body.get("global") is True else ""
            raise RateLimited(
                f"Discord asks us to slow down{scope}.",
                detail=detail,
                retry_after=_retry_after(response, body),
            )
        if status == 401 or code in AUTH_CODES:
            raise ReauthRequired(WEBHOOK_GONE, detail=detail)
        if status == 404 and code == UNKNOWN_MESSAGE:
            raise ContentRejected("The message no longer exists on Discord (it was deleted).", detail=detail)
        if status == 404:
            raise ReauthRequired(WEBHOOK_GONE, detail=detail)
        if status == 403:
            raise ReauthRequired(
                "Discord refused (403): the webhook may no longer post in its channel. Check the channel's "
                "permissions, or create a new webhook and paste its URL.",
                detail=detail,
            )
        if status == 413 or code in TOO_LARGE_CODES:
            raise ContentRejected(
                "Discord refused a file as too large (the default limit is "
                f"{DEFAULT_UPLOAD_BYTES // MiB} MiB per file; boosted servers allow more).",
                detail=detail,
                problems=("too_large",),
            )
        if status == 408 or status >= 500:
            raise Transient(f"Discord had a temporary problem ({status}).", detail=detail)
        reason = "; ".join(problems) if problems else (self._scrub(text) or str(status))
        raise ContentRejected(f"Discord refused the message: {reason}", detail=detail, problems=problems)

    def _classify_delete(self, response: httpx.Response) -> None:
        if response.status_code == 404 and _json_object(response).get("code") == UNKNOWN_MESSAGE:
            return  # already deleted
        self._classify(response)

    def _message(self, response: httpx.Response, *, writes: bool) -> dict[str, Any]:
        body = _json_object(response)
        if isinstance(body.get("id"), str) and SNOWFLAKE.fullmatch(body["id"]):
            return body
        detail = self._scrub(response.text[:200])
        if writes:
            raise OutcomeUnknown(
                "Discord did not answer with the message; the post may or may not have been published.",
                detail=detail,
            )
        raise Transient("Discord answered something that is not a message.", detail=detail)

    def _webhook_object(self) -> dict[str, Any]:
        response = self._send("GET", self._hook())
        hook = _json_object(response)
        if not hook:
            raise Transient("Discord answered something that is not a webhook.", detail=response.text[:100])
        if isinstance(hook.get("guild_id"), str):
            self._guild_id = hook["guild_id"]
        return hook

    # --- Helpers --------------------------------------------------------------------------------

    def _webhook(self) -> tuple[str, str]:
        raw = str(self.channel.credentials.get("webhook_url", ""))
        parsed = parse_webhook_url(raw, self._base_url())
        if parsed is None:
            raise ReauthRequired(
                "This is not a Discord webhook URL: copy it from the channel's settings (Integrations, "
                "Webhooks); it looks like https://discord.com/api/webhooks/<id>/<token>."
            )
        return parsed

    def _base_url(self) -> str:
        return (self.channel.base_url or self.default_base_url).rstrip("/")

    def _hook(self, suffix: str = "") -> str:
        webhook_id, token = self._webhook()
        return f"{self._base_url()}/webhooks/{webhook_id}/{token}{suffix}"

    def _thread(self) -> dict[str, str]:
        """A webhook of a forum channel posts into one thread: the channel's ``options["thread_id"]``."""
        thread_id = str(self.channel.options.get("thread_id") or "")
        return {"thread_id": thread_id} if SNOWFLAKE.fullmatch(thread_id) else {}

    def _scrub(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<webhook token>")
        return text

    def _check(self, post: OutgoingPost) -> None:
        if not post.text.strip() and not post.media and not post.link:
            raise ContentRejected(
                "Nothing to post: the text is empty and there is no file or link.", problems=("empty",)
            )
        if len(post.media) > FILES_PER_MESSAGE:
            raise ContentRejected(
                f"A Discord message holds at most {FILES_PER_MESSAGE} files.", problems=("too_many_media",)
            )

    def _payload(self, post: OutgoingPost, *, editing: bool) -> dict[str, Any]:
        content = post.text
        embeds: list[dict[str, Any]] = []
        flags = 0
        no_preview = _flag(post, self.OPTION_NO_PREVIEW)
        title = str(post.options.get(self.OPTION_LINK_TITLE, "")).strip()
        if post.link and title and not no_preview:
            embeds.append(link_embed(post.link, title, post.options))
            content = content.replace(post.link, f"<{post.link}>")
        elif post.link and post.link not in content:
            content = f"{content.rstrip()}\n\n{post.link}" if content.strip() else post.link
        if no_preview:
            flags |= SUPPRESS_EMBEDS
        if _flag(post, self.OPTION_SILENT) and not editing:  # an edit may only set SUPPRESS_EMBEDS
            flags |= SUPPRESS_NOTIFICATIONS
        mentions = ["everyone", "roles", "users"] if _flag(post, self.OPTION_MENTIONS) else []
        payload: dict[str, Any] = {"content": content, "allowed_mentions": {"parse": mentions}}
        if embeds or editing:
            payload["embeds"] = embeds
        if flags:  # an edit sends flags only to set SUPPRESS_EMBEDS (the one flag an edit may change)
            payload["flags"] = flags
        return payload

    def _body(self, stack: ExitStack, payload: dict[str, Any], media: Sequence[MediaItem]) -> dict[str, Any]:
        """JSON without files; with files, multipart: ``payload_json`` plus ``files[n]``."""
        if not media:
            return {"json": payload}
        files: list[tuple[str, FileTuple]] = []
        attachments: list[dict[str, Any]] = []
        used: set[str] = set()
        for index, item in enumerate(media):
            name = safe_filename(item.filename, index)
            if name in used:
                name = f"{index}_{name}"
            used.add(name)
            try:
                handle = stack.enter_context(item.path.open("rb"))
            except OSError:
                raise ContentRejected(
                    f"Portevoix could not read the file {item.filename} to upload it.", problems=("media",)
                ) from None
            files.append((f"files[{index}]", (name, handle, item.content_type)))
            attachment: dict[str, Any] = {"id": index, "filename": name}
            if item.alt_text.strip():
                attachment["description"] = item.alt_text.strip()[:1024]
            attachments.append(attachment)
        payload_json = json.dumps({**payload, "attachments": attachments}, ensure_ascii=False)
        return {"data": {"payload_json": payload_json}, "files": files}

    def _published(self, message: Mapping[str, Any]) -> Published:
        message_id = str(message["id"])
        channel_id = message.get("channel_id")
        url = None
        if isinstance(channel_id, str):
            guild_id = self._guild()
            if guild_id:
                url = f"https://discord.com/channels/{guild_id}/{channel_id}/{message_id}"
        return Published(remote_id=message_id, url=url, published_at=_timestamp(message.get("timestamp")))

    def _guild(self) -> str | None:
        """The server id, for the message link: known from the channel's options, or asked of the webhook
        once. Only a link is at stake: a failure here never fails the post."""
        if self._guild_id is None:
            try:
                self._webhook_object()
            except ConnectorError:
                return None
        return self._guild_id


def link_embed(link: str, title: str, options: Mapping[str, str]) -> dict[str, Any]:
    """A rich embed for a link card (docs/resources/message, "Embed Object": title 256, description 4096)."""
    embed: dict[str, Any] = {"title": title[:256], "url": link}
    description = str(options.get(Discord.OPTION_LINK_DESCRIPTION, "")).strip()
    if description:
        embed["description"] = description[:4096]
    image = str(options.get(Discord.OPTION_LINK_IMAGE, "")).strip()
    if image.startswith(("https://", "http://")):
        embed["image"] = {"url": image}
    return embed


def form_errors(errors: Any, path: str = "") -> list[str]:
    """Discord's nested ``errors`` object, flattened to ``field.path: message`` lines."""
    if not isinstance(errors, dict):
        return []
    found: list[str] = []
    for key, value in errors.items():
        if key == "_errors" and isinstance(value, list):
            for error in value:
                if isinstance(error, dict):
                    found.append(f"{path or 'request'}: {error.get('message', error.get('code', ''))}")
        else:
            found.extend(form_errors(value, f"{path}.{key}" if path else str(key)))
    return found


def safe_filename(filename: str, index: int) -> str:
    """A file name Discord takes everywhere (``attachment://`` names are ASCII letters, digits, ``_-.``)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", filename.replace("\\", "/").rsplit("/", 1)[-1]).strip("._")
    return name[-100:] or f"file{index}"


def _message_id(remote_id: str) -> str:
    if not SNOWFLAKE.fullmatch(remote_id.strip()):
        raise ContentRejected("This is not a Discord message id.", detail=remote_id[:100])
    return remote_id.strip()


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(response: httpx.Response, body: Mapping[str, Any]) -> float | None:
    """Seconds to wait: the body's ``retry_after`` (a float), else ``Retry-After``, else the bucket's
    ``X-RateLimit-Reset-After`` (docs/topics/rate-limits)."""
    value = body.get("retry_after")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(0.0, float(value))
    header = retry_after_seconds(response)
    if header is not None:
        return header
    try:
        return max(0.0, float(response.headers.get("X-RateLimit-Reset-After", "")))
    except ValueError:
        return None


def _timestamp(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _flag(post: OutgoingPost, name: str) -> bool:
    return str(post.options.get(name, "")).strip().lower() in TRUE
