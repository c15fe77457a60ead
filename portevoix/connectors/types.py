"""The data that crosses the boundary between Portevoix and a connector: frozen dataclasses only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from portevoix.textcount import Unit


class Capability(StrEnum):
    PUBLISH = "publish"
    PUBLISH_ASYNC = "publish_async"  # the network processes the post after accepting it (video, containers)
    EDIT = "edit"
    DELETE = "delete"
    METRICS = "metrics"  # per-post views/reactions/comments/shares
    FOLLOWERS = "followers"
    COMMENTS = "comments"  # read comments/replies
    REPLY = "reply"
    POLLS = "polls"
    IMAGES = "images"
    VIDEO = "video"
    ALBUMS = "albums"  # several media in one post
    LINKS = "links"  # a link attachment / preview
    IDEMPOTENCY = "idempotency"  # the network honours an idempotency key
    LOOKUP = "lookup"  # a sent post can be found again (reconciliation after a timeout)


class AuthKind(StrEnum):
    OAUTH2 = "oauth2"
    BOT_TOKEN = "bot_token"
    APP_PASSWORD = "app_password"
    ACCESS_TOKEN = "access_token"
    WEBHOOK_URL = "webhook_url"
    MANUAL = "manual"  # no publishing API: reminders and copy-ready text


@dataclass(frozen=True)
class CredentialField:
    """One field of a connect form (``secret`` fields go to the vault and are never shown again)."""

    name: str
    label: str
    secret: bool = False
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class OAuth2:
    authorize_url: str
    token_url: str
    scopes: tuple[str, ...] = ()
    pkce: bool = False
    register_app: bool = False  # the app is registered per instance (Mastodon)


@dataclass(frozen=True)
class Auth:
    kind: AuthKind
    fields: tuple[CredentialField, ...] = ()
    oauth2: OAuth2 | None = None


@dataclass(frozen=True)
class RateLimit:
    requests: int
    per_seconds: float
    scope: str = "account"  # "account" or "network"


@dataclass(frozen=True)
class Limits:
    """What one post may contain on a network. ``None`` means no limit is documented."""

    text: int | None = None
    text_unit: Unit = Unit.CHARS
    caption: int | None = None  # text limit when media are attached, where it differs
    media: int = 0  # media per post; 0: none
    image_formats: tuple[str, ...] = ()  # MIME types
    video_formats: tuple[str, ...] = ()
    image_max_bytes: int | None = None
    video_max_bytes: int | None = None
    image_max_pixels: int | None = None
    aspect_ratio_min: float | None = None  # width / height
    aspect_ratio_max: float | None = None
    video_max_seconds: float | None = None
    hashtags: int | None = None
    mentions: int | None = None
    mix_images_and_video: bool = False
    rate_limits: tuple[RateLimit, ...] = ()
    text_rule: str | None = None  # key in textcount.TEXT_RULES when it differs from the connector key


@dataclass(frozen=True)
class ChannelConfig:
    """Everything a connector needs to act for one connected account; built by the channels app."""

    external_id: str  # chat id, community id, DID, account id...
    credentials: Mapping[str, str]  # decrypted from the vault, in memory only
    base_url: str  # the API base, configurable (self-hosted instance, proxy, local Bot API server)
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MediaItem:
    kind: str  # "image" or "video"
    path: Path
    content_type: str
    size: int
    filename: str
    width: int | None = None
    height: int | None = None
    duration_seconds: float | None = None
    alt_text: str = ""


@dataclass(frozen=True)
class OutgoingPost:
    text: str
    idempotency_key: str  # stable for the target across attempts
    media: tuple[MediaItem, ...] = ()
    link: str | None = None
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Published:
    remote_id: str
    url: str | None = None
    published_at: datetime | None = None
    pending: bool = False  # accepted, still being processed by the network (publish_async)


@dataclass(frozen=True)
class AccountInfo:
    external_id: str
    name: str
    handle: str = ""
    url: str | None = None
    followers: int | None = None


@dataclass(frozen=True)
class PostMetrics:
    """Counts as the network reports them; ``None`` when it does not report that figure (never 0)."""

    remote_id: str
    views: int | None = None
    reach: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    quotes: int | None = None


@dataclass(frozen=True)
class TokenSet:
    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    scope: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)
