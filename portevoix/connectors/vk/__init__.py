"""VK (VKontakte): publish to a community wall as the community.

The channel is one community: ``external_id`` is its id (a positive number, as in vk.com/club<id>). The
account connected through VK ID must be an editor or administrator of it. Credentials (from the token vault):
``access_token``, ``refresh_token``, ``device_id`` (from the VK ID redirect; every refresh needs it) and
``client_id`` (the VK ID app id; ``options["client_id"]`` is read when the credentials lack it).

Every API call is a form-encoded POST to ``<base_url>/<method>`` with ``access_token`` and ``v`` in the
body, so tokens never travel in a URL. VK has no idempotency key for ``wall.post``: after a timeout the
engine looks the post up among the wall's latest posts (``find_published``) before it ever sends it again.
API reference: https://dev.vk.com/ru/method/wall.post
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from portevoix.connectors.base import Connector
from portevoix.connectors.errors import (
    ConnectorError,
    ContentRejected,
    OutcomeUnknown,
    ReauthRequired,
    Transient,
)
from portevoix.connectors.types import (
    AccountInfo,
    Auth,
    AuthKind,
    Capability,
    Limits,
    MediaItem,
    OAuth2,
    OutgoingPost,
    PostMetrics,
    Published,
    RateLimit,
    TokenSet,
)
from portevoix.connectors.vk import oauth
from portevoix.connectors.vk.api_errors import api_error, as_int
from portevoix.textcount import Unit

__all__ = ["API_VERSION", "VK", "Comment"]

API_VERSION = "5.199"
MAX_MEDIA = 10  # wall.post: "no more than 10 media (photos, videos)"
MAX_PHOTO_SIDES = 14_000  # wall photo upload: width + height at most 14,000 px
MAX_ASPECT = 20.0  # wall photo upload: aspect ratio at least 1:20, either way
LOOKUP_COUNT = 20  # how many of the wall's latest posts reconciliation reads
CLOCK_SKEW = timedelta(minutes=2)  # VK's clock and ours may differ: look this much before ``since``
METRICS_BATCH = 100  # wall.getById takes up to 100 posts

# VK rewrites mentions as [id1|text] or [club1|text] in the text it stores.
_VK_MENTION = re.compile(r"\[(?:id|club|public|event)\d+\|([^\]]*)\]")
_OUR_MENTION = re.compile(r"@[\w.]+ \(([^)]*)\)")
_REMOTE_ID = re.compile(r"(?:wall)?(-?\d+)_(\d+)")


@dataclass(frozen=True)
class Comment:
    """One comment under a wall post (``author_id`` negative for a community, as VK gives it)."""

    id: str
    author_id: str
    text: str
    date: datetime


class VK(Connector):
    key = "vk"
    label = "VK"
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.EDIT,
            Capability.DELETE,
            Capability.METRICS,
            Capability.FOLLOWERS,
            Capability.COMMENTS,
            Capability.IMAGES,
            Capability.ALBUMS,
            Capability.LINKS,
            Capability.LOOKUP,
        }
    )
    limits = Limits(
        text=16384,
        text_unit=Unit.CHARS,
        media=MAX_MEDIA,
        image_formats=("image/jpeg", "image/png", "image/gif"),
        image_max_bytes=50 * 1024 * 1024,
        aspect_ratio_min=1 / MAX_ASPECT,
        aspect_ratio_max=MAX_ASPECT,
        rate_limits=(RateLimit(requests=3, per_seconds=1.0, scope="account"),),
    )
    auth = Auth(
        kind=AuthKind.OAUTH2,
        oauth2=OAuth2(
            authorize_url=oauth.AUTHORIZE_URL, token_url=oauth.TOKEN_URL, scopes=oauth.SCOPES, pkce=True
        ),
    )
    default_base_url = "https://api.vk.com/method"
    docs_url = "https://dev.vk.com/ru/method/wall.post"

    # --- Operations -----------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        missing = self._missing_scopes()
        if missing:
            raise ReauthRequired(
                f"The VK access lacks the permissions {', '.join(missing)}; reconnect the channel and allow "
                "them (VK grants them to an app only on request: see the VK guide)."
            )
        group = self._group()
        if group.get("deactivated"):
            raise ReauthRequired(
                f"The VK community {group.get('name', '')!s} is {group['deactivated']}; it cannot be used.",
                detail=str(group["deactivated"])[:100],
            )
        if as_int(group.get("is_admin")) != 1 or (as_int(group.get("admin_level")) or 0) < 2:
            raise ReauthRequired(
                "The connected VK account is not an editor or administrator of this community, so it "
                "cannot post as the community (or the app lacks the 'groups' permission). Make it one, or "
                "connect the channel with such an account."
            )
        group_id = self._group_id()
        screen_name = str(group.get("screen_name") or f"club{group_id}")
        return AccountInfo(
            external_id=str(group_id),
            name=str(group.get("name") or screen_name),
            handle=screen_name,
            url=f"https://vk.com/{screen_name}",
            followers=as_int(group.get("members_count")),
        )

    def publish(self, post: OutgoingPost) -> Published:
        group_id = self._group_id()
        self._check(post)
        attachments = self._attachments(post, group_id)
        params: dict[str, str | int] = {"owner_id": -group_id, "from_group": 1}
        if post.text:
            params["message"] = post.text
        if attachments:
            params["attachments"] = ",".join(attachments)
        answer = self._call("wall.post", params, writes=True)
        post_id = as_int(answer.get("post_id")) if isinstance(answer, dict) else None
        if not post_id:
            raise OutcomeUnknown(
                "VK accepted the post but did not say which one it is; check the wall.",
                detail=str(answer)[:200],
            )
        return Published(remote_id=str(post_id), url=post_url(group_id, post_id))

    def find_published(self, post: OutgoingPost, *, since: datetime) -> Published | None:
        """Look for the post among the wall's latest posts: same text (and, for a post without text, the
        same number of photos), dated at or after ``since`` (less ``CLOCK_SKEW``)."""
        group_id = self._group_id()
        params: dict[str, str | int] = {"owner_id": -group_id, "count": LOOKUP_COUNT, "filter": "owner"}
        answer = _mapping(self._call("wall.get", params))
        items = _items(answer)
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        earliest = (since - CLOCK_SKEW).timestamp()
        wanted = _comparable(post.text)
        matches = [
            item
            for item in items
            if (as_int(item.get("date")) or 0) >= earliest
            and _comparable(str(item.get("text") or "")) == wanted
            and (wanted or _photo_count(item) == len(post.media))
        ]
        if matches:
            first = min(matches, key=lambda item: as_int(item.get("id")) or 0)
            post_id = as_int(first.get("id")) or 0
            return Published(
                remote_id=str(post_id),
                url=post_url(group_id, post_id),
                published_at=datetime.fromtimestamp(as_int(first.get("date")) or 0, UTC),
            )
        regular = [as_int(item.get("date")) or 0 for item in items if not item.get("is_pinned")]
        more = (as_int(answer.get("count")) or 0) > len(items)
        if more and regular and min(regular) >= earliest:
            raise OutcomeUnknown(
                f"More than {LOOKUP_COUNT} posts appeared on the VK wall since the attempt; check the wall "
                "by hand before publishing again."
            )
        return None

    def edit(self, remote_id: str, post: OutgoingPost) -> Published:
        """Replace the post's text and attachments (photos are uploaded again)."""
        group_id = self._group_id()
        post_id = self._post_number(remote_id, group_id)
        self._check(post)
        attachments = self._attachments(post, group_id)
        params: dict[str, str | int] = {
            "owner_id": -group_id,
            "post_id": post_id,
            "message": post.text,
            "attachments": ",".join(attachments),
        }
        self._call("wall.edit", params)
        return Published(remote_id=str(post_id), url=post_url(group_id, post_id))

    def delete(self, remote_id: str) -> None:
        group_id = self._group_id()
        post_id = self._post_number(remote_id, group_id)
        self._call("wall.delete", {"owner_id": -group_id, "post_id": post_id})

    def fetch_metrics(self, remote_ids: Sequence[str]) -> list[PostMetrics]:
        """Views, likes, reposts and comments as ``wall.getById`` counts them. Posts VK no longer returns
        (deleted) are left out."""
        group_id = self._group_id()
        asked = {self._post_number(remote_id, group_id): remote_id for remote_id in remote_ids}
        metrics: list[PostMetrics] = []
        for chunk in _chunks(list(asked), METRICS_BATCH):
            posts = ",".join(f"-{group_id}_{post_id}" for post_id in chunk)
            answer = self._call("wall.getById", {"posts": posts})
            items = answer.get("items", []) if isinstance(answer, dict) else answer
            for item in items if isinstance(items, list) else []:
                post_id = as_int(item.get("id")) if isinstance(item, dict) else None
                remote_id = asked.get(post_id) if post_id is not None else None
                if remote_id is None:
                    continue
                metrics.append(
                    PostMetrics(
                        remote_id=remote_id,
                        views=_count(item, "views"),
                        likes=_count(item, "likes"),
                        comments=_count(item, "comments"),
                        shares=_count(item, "reposts"),
                    )
                )
        return metrics

    def fetch_followers(self) -> int | None:
        return as_int(self._group().get("members_count"))

    def fetch_comments(self, remote_id: str, *, offset: int = 0, count: int = 100) -> list[Comment]:
        """Top-level comments of a post, oldest first (``count`` at most 100 per call, as VK allows)."""
        group_id = self._group_id()
        post_id = self._post_number(remote_id, group_id)
        answer = _mapping(
            self._call(
                "wall.getComments",
                {
                    "owner_id": -group_id,
                    "post_id": post_id,
                    "offset": max(0, offset),
                    "count": min(max(1, count), 100),
                    "sort": "asc",
                },
            )
        )
        comments = []
        for item in _items(answer):
            if item.get("deleted") or as_int(item.get("id")) is None:
                continue
            comments.append(
                Comment(
                    id=str(item["id"]),
                    author_id=str(as_int(item.get("from_id")) or ""),
                    text=str(item.get("text") or ""),
                    date=datetime.fromtimestamp(as_int(item.get("date")) or 0, UTC),
                )
            )
        return comments

    def refresh(self) -> TokenSet:
        credentials = self.channel.credentials
        client_id = credentials.get("client_id") or self.channel.options.get("client_id", "")
        refresh_token = credentials.get("refresh_token", "")
        device_id = credentials.get("device_id", "")
        if not (client_id and refresh_token and device_id):
            raise ReauthRequired(
                "This VK channel has no refresh token, device id or app id; connect it again through VK ID."
            )
        token_url = self.auth.oauth2.token_url if self.auth.oauth2 else oauth.TOKEN_URL
        return oauth.refresh(
            self.http,
            client_id=client_id,
            refresh_token=refresh_token,
            device_id=device_id,
            token_url=token_url,
        )

    # --- VK API ---------------------------------------------------------------------------------

    def _call(self, method: str, params: Mapping[str, str | int], *, writes: bool = False) -> Any:
        """Call one API method; return its ``response`` or raise the typed error for its ``error``."""
        data = {name: str(value) for name, value in params.items()}
        data["access_token"] = self._access_token()
        data["v"] = API_VERSION
        response = self.request("POST", self.url(method), data=data, writes=writes)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or ("response" not in body and not isinstance(body.get("error"), dict)):
            shown = response.text[:200]
            if writes:
                raise OutcomeUnknown(
                    "VK answered something unexpected; the post may or may not have been published.",
                    detail=shown,
                )
            raise Transient("VK answered something that is not an API answer.", detail=shown)
        if isinstance(body.get("error"), dict):
            raise api_error(body["error"], method=method, writes=writes, secrets=self._secrets())
        return body["response"]

    def classify_response(self, response: httpx.Response) -> None:
        """HTTP-level failures: VK itself answers 200 (its errors are read by ``_call``), other statuses
        come from its front servers or a proxy. Any credential is blanked out of the detail."""
        try:
            super().classify_response(response)
        except ConnectorError as error:
            for secret in self._secrets():
                error.detail = error.detail.replace(secret, "***")
            raise

    def _group(self) -> Mapping[str, Any]:
        group_id = self._group_id()
        answer = self._call("groups.getById", {"group_id": group_id, "fields": "members_count"})
        # API 5.194 and later: {"groups": [...], "profiles": [...]}; earlier versions: a bare list.
        groups = answer.get("groups") if isinstance(answer, dict) else answer
        if not isinstance(groups, list) or not groups or not isinstance(groups[0], dict):
            raise ReauthRequired("VK knows no community with this id; connect the channel again.")
        return groups[0]

    # --- Photos ---------------------------------------------------------------------------------

    def _attachments(self, post: OutgoingPost, group_id: int) -> list[str]:
        attachments = self._upload_photos(post.media, group_id)
        if post.link:
            attachments.append(post.link)
        return attachments

    def _upload_photos(self, media: Sequence[MediaItem], group_id: int) -> list[str]:
        """photos.getWallUploadServer, then for each photo a multipart upload (field ``photo``) and
        photos.saveWallPhoto; returns the attachment strings ``photo<owner_id>_<id>``."""
        if not media:
            return []
        server = _mapping(self._call("photos.getWallUploadServer", {"group_id": group_id}))
        upload_url = server.get("upload_url")
        if not isinstance(upload_url, str) or not upload_url.startswith(("https://", "http://")):
            raise Transient("VK gave no address to upload photos to.")
        attachments = []
        for item in media:
            uploaded = self._upload(upload_url, item)
            saved = self._call("photos.saveWallPhoto", {"group_id": group_id, **uploaded})
            photo = saved[0] if isinstance(saved, list) and saved and isinstance(saved[0], dict) else {}
            owner_id, photo_id = as_int(photo.get("owner_id")), as_int(photo.get("id"))
            if owner_id is None or photo_id is None:
                raise Transient("VK did not say where it saved the photo.", detail=str(saved)[:200])
            attachments.append(f"photo{owner_id}_{photo_id}")
        return attachments

    def _upload(self, upload_url: str, item: MediaItem) -> dict[str, str | int]:
        try:
            with item.path.open("rb") as handle:
                response = self.request(
                    "POST", upload_url, files={"photo": (item.filename, handle, item.content_type)}
                )
        except OSError as error:
            raise ContentRejected(
                f"The photo {item.filename} could not be read; attach it again.",
                detail=type(error).__name__,
            ) from None
        try:
            body = response.json()
        except ValueError:
            raise Transient("VK's upload server answered something that is not JSON.") from None
        if not isinstance(body, dict):
            raise Transient("VK's upload server answered something unexpected.")
        photo, server, hash_ = body.get("photo"), body.get("server"), body.get("hash")
        if body.get("error") or not photo or photo == "[]":
            raise ContentRejected(
                f"VK could not use the photo {item.filename} (format, size or dimensions).",
                detail=str(body.get("error") or photo)[:200],
                problems=("image_rejected",),
            )
        if server is None or not hash_:
            raise Transient("VK's upload server answered without the expected fields.")
        return {"server": str(server), "photo": str(photo), "hash": str(hash_)}

    # --- Checks ---------------------------------------------------------------------------------

    def _check(self, post: OutgoingPost) -> None:
        """Refuse what VK would refuse, before anything is uploaded."""
        limits = self.limits
        problems: list[str] = []
        if not post.text.strip() and not post.media and not post.link:
            problems.append("empty")
        if limits.text is not None and len(post.text) > limits.text:
            problems.append("too_long")
        if len(post.media) > limits.media:
            problems.append("too_many_media")
        for item in post.media:
            if item.kind != "image" or item.content_type not in limits.image_formats:
                problems.append("unsupported_media")
            if limits.image_max_bytes is not None and item.size > limits.image_max_bytes:
                problems.append("image_too_large")
            if item.width and item.height:
                if item.width + item.height > MAX_PHOTO_SIDES:
                    problems.append("image_dimensions")
                if max(item.width / item.height, item.height / item.width) > MAX_ASPECT:
                    problems.append("aspect_ratio")
        if problems:
            unique = tuple(dict.fromkeys(problems))
            raise ContentRejected(
                "This post does not fit VK: " + "; ".join(_PROBLEMS[problem] for problem in unique) + ".",
                problems=unique,
            )

    # --- Channel data ---------------------------------------------------------------------------

    def _group_id(self) -> int:
        value = self.channel.external_id.strip().lstrip("-")
        if not value.isdigit() or int(value) == 0:
            raise ReauthRequired("The channel's VK community id must be a positive number; connect it again.")
        return int(value)

    def _post_number(self, remote_id: str, group_id: int) -> int:
        value = remote_id.strip()
        if value.isdigit():
            return int(value)
        match = _REMOTE_ID.fullmatch(value)
        if match and abs(int(match.group(1))) == group_id:
            return int(match.group(2))
        raise ContentRejected(f"{value[:40]!r} is not a post of this VK community.")

    def _access_token(self) -> str:
        token = self.channel.credentials.get("access_token", "")
        if not token:
            raise ReauthRequired("This VK channel has no access token; connect it again through VK ID.")
        return token

    def _secrets(self) -> list[str]:
        return [value for value in self.channel.credentials.values() if len(value) >= 8]

    def _missing_scopes(self) -> list[str]:
        granted = self.channel.credentials.get("scope")
        if not granted:
            return []  # not recorded: VK will say which right is missing at the first call that needs it
        have = set(granted.replace(",", " ").split())
        return [scope for scope in ("wall", "photos", "groups") if scope not in have]


_PROBLEMS = {
    "empty": "a post needs text, a photo or a link",
    "too_long": "the text is longer than 16,384 characters",
    "too_many_media": f"at most {MAX_MEDIA} photos per post",
    "unsupported_media": "only JPEG, PNG and GIF photos can be attached",
    "image_too_large": "a photo is larger than 50 MB",
    "image_dimensions": f"a photo's width plus height exceeds {MAX_PHOTO_SIDES:,} pixels",
    "aspect_ratio": "a photo is more than 20 times longer than it is wide (or the reverse)",
}


def post_url(group_id: int, post_id: int) -> str:
    return f"https://vk.com/wall-{group_id}_{post_id}"


def _comparable(text: str) -> str:
    text = _VK_MENTION.sub(r"\1", text)
    text = _OUR_MENTION.sub(r"\1", text)
    return " ".join(text.split())


def _items(answer: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    items = answer.get("items")
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else []


def _photo_count(item: Mapping[str, Any]) -> int:
    attachments = item.get("attachments")
    if not isinstance(attachments, list):
        return 0
    return sum(1 for each in attachments if isinstance(each, dict) and each.get("type") == "photo")


def _count(item: Mapping[str, Any], name: str) -> int | None:
    value = item.get(name)
    return as_int(value.get("count")) if isinstance(value, dict) else None


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise Transient("VK answered something unexpected.", detail=str(value)[:200])
    return value


def _chunks(values: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
