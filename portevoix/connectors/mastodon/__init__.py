"""Mastodon (any instance): statuses with media, edits, deletion, counts, reconciliation.

API reference: https://docs.joinmastodon.org/methods/statuses/, /methods/media/, /methods/accounts/ and
/methods/instance/. The channel's ``base_url`` is the instance (https://mastodon.social by default) and its
credentials hold ``access_token`` (from the OAuth flow in ``oauth.py``, or pasted from the instance's
Preferences > Development page). ``external_id`` is the account id on that instance.

Publishing sends ``Idempotency-Key: <post.idempotency_key>``: Mastodon keeps the key for an hour and
answers a repeated request with the status it already created, so a retry after a timeout does not post
twice. ``find_published`` looks the status up among the account's latest statuses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import httpx

from portevoix.connectors.base import Connector, pause
from portevoix.connectors.errors import ContentRejected, OutcomeUnknown, ReauthRequired, Transient
from portevoix.connectors.mastodon import responses
from portevoix.connectors.mastodon.instance import (
    DEFAULT_IMAGE_MATRIX_LIMIT,
    DEFAULT_IMAGE_SIZE_LIMIT,
    DEFAULT_VIDEO_SIZE_LIMIT,
    InstanceLimits,
    parse_instance,
)
from portevoix.connectors.mastodon.oauth import (
    AUTHORIZE_PATH,
    SCOPES,
    TOKEN_PATH,
    authorization_url,
    exchange_code,
    instance_url,
    register_app,
)
from portevoix.connectors.mastodon.statuses import plain_text
from portevoix.connectors.types import (
    AccountInfo,
    Auth,
    AuthKind,
    Capability,
    ChannelConfig,
    CredentialField,
    Limits,
    MediaItem,
    OAuth2,
    OutgoingPost,
    PostMetrics,
    Published,
    RateLimit,
)
from portevoix.textcount import Unit

__all__ = [
    "SCOPES",
    "InstanceLimits",
    "Mastodon",
    "authorization_url",
    "exchange_code",
    "instance_url",
    "register_app",
]

VISIBILITIES = ("public", "unlisted", "private", "direct")
# Media processed in the background (POST /api/v2/media answered 202): how often and how long to wait.
MEDIA_POLL_ATTEMPTS = 30
MEDIA_POLL_INTERVAL = 2.0  # seconds
# Reconciliation: statuses per page (the documented default), pages at most, and the clock difference
# between this server and the instance that a status's created_at may show.
LOOKUP_PAGE_SIZE = 20
LOOKUP_PAGES = 3
CLOCK_SKEW = timedelta(minutes=2)


class Mastodon(Connector):
    key: ClassVar[str] = "mastodon"
    label: ClassVar[str] = "Mastodon"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.PUBLISH,
            Capability.EDIT,
            Capability.DELETE,
            Capability.METRICS,
            Capability.FOLLOWERS,
            Capability.IMAGES,
            Capability.VIDEO,
            Capability.ALBUMS,
            Capability.LINKS,
            Capability.IDEMPOTENCY,
            Capability.LOOKUP,
        }
    )
    # Mastodon's defaults; each instance may differ: read them with ``instance_limits()``.
    limits: ClassVar[Limits] = Limits(
        text=500,
        text_unit=Unit.GRAPHEMES_URL_23,
        media=4,
        image_formats=("image/jpeg", "image/png", "image/gif", "image/heic", "image/heif", "image/webp"),
        video_formats=("video/webm", "video/mp4", "video/quicktime", "video/ogg"),
        image_max_bytes=DEFAULT_IMAGE_SIZE_LIMIT,
        video_max_bytes=DEFAULT_VIDEO_SIZE_LIMIT,
        image_max_pixels=DEFAULT_IMAGE_MATRIX_LIMIT,
        mix_images_and_video=False,
        rate_limits=(
            RateLimit(requests=300, per_seconds=300),  # every API call, per account (docs: rate limits)
            RateLimit(requests=300, per_seconds=3 * 3600),  # statuses created (app/lib/rate_limiter.rb)
        ),
    )
    auth: ClassVar[Auth] = Auth(
        kind=AuthKind.OAUTH2,
        fields=(
            CredentialField(
                name="access_token",
                label="Access token",
                secret=True,
                required=False,
                help="Instead of signing in: create an application under Preferences > Development on "
                "your instance with the scopes read:accounts, read:statuses, write:statuses and "
                "write:media, and paste its access token.",
            ),
        ),
        # Relative to the instance: the app is registered on each instance (register_app in oauth.py).
        oauth2=OAuth2(authorize_url=AUTHORIZE_PATH, token_url=TOKEN_PATH, scopes=SCOPES, register_app=True),
    )
    default_base_url: ClassVar[str] = "https://mastodon.social"
    docs_url: ClassVar[str] = "https://docs.joinmastodon.org/client/intro/"

    def __init__(
        self,
        channel: ChannelConfig,
        http: httpx.Client,
        *,
        sleep: Callable[[float], None] = pause,
        media_poll_attempts: int = MEDIA_POLL_ATTEMPTS,
        media_poll_interval: float = MEDIA_POLL_INTERVAL,
    ) -> None:
        super().__init__(channel, http)
        self._sleep = sleep
        self._media_poll_attempts = media_poll_attempts
        self._media_poll_interval = media_poll_interval

    # --- Operations -----------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        account = self._account()
        account_id = str(account.get("id") or "")
        if not account_id:
            raise Transient("Mastodon described the account without an id.")
        username = str(account.get("username") or "")
        acct = str(account.get("acct") or username)
        host = httpx.URL(self.channel.base_url).host
        handle = f"@{acct}" if "@" in acct or not host else f"@{acct}@{host}"
        url = account.get("url")
        return AccountInfo(
            external_id=account_id,
            name=str(account.get("display_name") or username),
            handle=handle,
            url=url if isinstance(url, str) else None,
            followers=responses.count(account.get("followers_count")),
        )

    def instance_limits(self) -> InstanceLimits:
        """This instance's limits (GET /api/v2/instance; /api/v1/instance before Mastodon 4.0)."""
        response = self._call("GET", "/api/v2/instance", classify=_allow_not_found)
        if response.status_code == 404:
            response = self._call("GET", "/api/v1/instance")
        return parse_instance(self.json(response))

    def publish(self, post: OutgoingPost) -> Published:
        data = self._status_form(post, visibility=True)
        data["media_ids[]"] = [self._upload(item) for item in post.media]
        response = self._call(
            "POST",
            "/api/v1/statuses",
            writes=True,
            data=data,
            headers={"Idempotency-Key": post.idempotency_key},
        )
        return self._published_after_write(response)

    def find_published(self, post: OutgoingPost, *, since: datetime) -> Published | None:
        account_id = self.channel.external_id or self.verify().external_id
        text = _normalise(status_text(post))
        earliest = (since if since.tzinfo else since.replace(tzinfo=UTC)) - CLOCK_SKEW
        params: dict[str, str | int] = {"limit": LOOKUP_PAGE_SIZE}
        for _page in range(LOOKUP_PAGES):
            response = self._call("GET", f"/api/v1/accounts/{account_id}/statuses", params=params)
            statuses = self.json(response)
            if not isinstance(statuses, list):
                raise Transient("Mastodon answered the list of statuses with something else.")
            for status in statuses:
                if not isinstance(status, dict):
                    continue
                created = responses.parse_time(status.get("created_at"))
                if created is not None and created < earliest:
                    return None  # newest first: every later status is older still
                if status.get("reblog") or created is None:
                    continue
                if len(status.get("media_attachments") or ()) != len(post.media):
                    continue
                if self._status_source(status) == text:
                    return _published(status)
            if len(statuses) < LOOKUP_PAGE_SIZE:
                return None
            params = {"limit": LOOKUP_PAGE_SIZE, "max_id": str(statuses[-1].get("id"))}
        raise OutcomeUnknown(
            f"More than {LOOKUP_PAGE_SIZE * LOOKUP_PAGES} statuses were posted on this account since the "
            "attempt; check on Mastodon whether the post is there."
        )

    def edit(self, remote_id: str, post: OutgoingPost) -> Published:
        """Replace the text and media of a status (Mastodon >= 3.5). Media are uploaded again: an edit
        without ``media_ids`` removes the status's media, so the edit always sends the post's own."""
        data = self._status_form(post, visibility=False)
        data["media_ids[]"] = [self._upload(item) for item in post.media]
        response = self._call("PUT", f"/api/v1/statuses/{_path_id(remote_id)}", writes=True, data=data)
        return self._published_after_write(response)

    def delete(self, remote_id: str) -> None:
        """Delete a status and its media. A status that is already gone (404) counts as deleted."""
        self._call(
            "DELETE",
            f"/api/v1/statuses/{_path_id(remote_id)}",
            writes=True,
            params={"delete_media": "true"},
            classify=_allow_not_found,
        )

    def fetch_metrics(self, remote_ids: Sequence[str]) -> list[PostMetrics]:
        """Favourites, boosts, replies (and quotes on Mastodon >= 4.5); Mastodon counts no views.
        Statuses that no longer exist are left out."""
        metrics: list[PostMetrics] = []
        for remote_id in remote_ids:
            response = self._call("GET", f"/api/v1/statuses/{_path_id(remote_id)}", classify=_allow_not_found)
            if response.status_code == 404:
                continue
            status = self.json(response)
            if not isinstance(status, dict):
                raise Transient("Mastodon answered a status with something else.")
            metrics.append(
                PostMetrics(
                    remote_id=str(status.get("id") or remote_id),
                    views=None,
                    likes=responses.count(status.get("favourites_count")),
                    comments=responses.count(status.get("replies_count")),
                    shares=responses.count(status.get("reblogs_count")),
                    quotes=responses.count(status.get("quotes_count")),
                )
            )
        return metrics

    def fetch_followers(self) -> int | None:
        return responses.count(self._account().get("followers_count"))

    # --- Helpers --------------------------------------------------------------------------------

    def classify_response(self, response: httpx.Response) -> None:
        responses.classify(response)

    def _call(
        self,
        method: str,
        path: str,
        *,
        writes: bool = False,
        headers: Mapping[str, str] | None = None,
        classify: Callable[[httpx.Response], None] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        merged = {"Accept": "application/json", **self._auth_header(), **(headers or {})}
        url = self.url(path)
        return self.request(method, url, writes=writes, classify=classify, headers=merged, **kwargs)

    def _auth_header(self) -> dict[str, str]:
        token = self.channel.credentials.get("access_token", "")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def _account(self) -> dict[str, Any]:
        if not self._auth_header():
            raise ReauthRequired("The Mastodon channel has no access token: connect the account again.")
        account = self.json(self._call("GET", "/api/v1/accounts/verify_credentials"))
        if not isinstance(account, dict):
            raise Transient("Mastodon described the account with something else.")
        return account

    def _status_form(self, post: OutgoingPost, *, visibility: bool) -> dict[str, Any]:
        options = post.options
        data: dict[str, Any] = {"status": status_text(post)}
        if visibility and options.get("visibility"):
            if options["visibility"] not in VISIBILITIES:
                raise ContentRejected(
                    f"Mastodon has no visibility {options['visibility']!r}; use one of "
                    f"{', '.join(VISIBILITIES)}.",
                    problems=("visibility",),
                )
            data["visibility"] = options["visibility"]
        for name in ("language", "spoiler_text"):
            if options.get(name):
                data[name] = options[name]
        if options.get("sensitive", "").lower() in {"1", "true", "yes"}:
            data["sensitive"] = "true"
        return data

    def _upload(self, item: MediaItem) -> str:
        """Upload one media file (POST /api/v2/media); wait while the instance processes it (202)."""
        data = {"description": item.alt_text} if item.alt_text else None
        try:
            with item.path.open("rb") as file:
                response = self._call(
                    "POST",
                    "/api/v2/media",
                    files={"file": (item.filename, file, item.content_type)},
                    data=data,
                )
        except OSError as error:
            raise ContentRejected(
                f"The media file {item.filename!r} could not be read.", detail=type(error).__name__
            ) from None
        media = self.json(response)
        media_id = media.get("id") if isinstance(media, dict) else None
        if not media_id:
            raise Transient("Mastodon accepted the media without giving its id.")
        media_id = str(media_id)
        if response.status_code == 200 and media.get("url"):
            return media_id
        for _attempt in range(self._media_poll_attempts):
            self._sleep(self._media_poll_interval)
            polled = self._call("GET", f"/api/v1/media/{_path_id(media_id)}")
            if polled.status_code == 200:
                body = self.json(polled)
                if isinstance(body, dict) and body.get("url"):
                    return media_id
        raise Transient(
            f"Mastodon is still processing {item.filename!r}; the post will be sent once it is ready.",
            detail=f"media {media_id} not ready after {self._media_poll_attempts} checks",
        )

    def _published_after_write(self, response: httpx.Response) -> Published:
        """The status the instance answered. An unreadable answer to a write leaves the outcome unknown."""
        try:
            status = response.json()
        except ValueError:
            status = None
        if not isinstance(status, dict) or not status.get("id"):
            raise OutcomeUnknown(
                "Mastodon answered something unreadable; the post may or may not have been published.",
                detail=response.text[:200],
            )
        return _published(status)

    def _status_source(self, status: Mapping[str, Any]) -> str:
        """A status's text as it was written: ``text`` when the entity has it, else GET .../source
        (Mastodon >= 3.5), else the text of the HTML ``content``."""
        if isinstance(status.get("text"), str):
            return _normalise(status["text"])
        response = self._call(
            "GET", f"/api/v1/statuses/{_path_id(str(status.get('id')))}/source", classify=_allow_missing_route
        )
        if response.status_code < 400:
            source = self.json(response)
            if isinstance(source, dict) and isinstance(source.get("text"), str):
                return _normalise(source["text"])
        content = status.get("content")
        return _normalise(plain_text(content)) if isinstance(content, str) else ""


def status_text(post: OutgoingPost) -> str:
    """The status text: the post's text, with its link on a line of its own when the text lacks it."""
    text = post.text
    if post.link and post.link not in text:
        text = f"{text.rstrip()}\n\n{post.link}" if text.strip() else post.link
    return text


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").strip()


def _published(status: Mapping[str, Any]) -> Published:
    url = status.get("url") or status.get("uri")
    return Published(
        remote_id=str(status["id"]),
        url=url if isinstance(url, str) else None,
        published_at=responses.parse_time(status.get("created_at")),
    )


def _path_id(remote_id: str) -> str:
    """A status or media id for a URL path: Mastodon ids are digits (Snowflake); other servers that speak
    the API use other letters, but never a slash or a dot segment."""
    value = str(remote_id).strip()
    if not value or "/" in value or "?" in value or "#" in value or value in {".", ".."}:
        raise ContentRejected(f"{value!r} is not a Mastodon id.")
    return value


def _allow_not_found(response: httpx.Response) -> None:
    if response.status_code != 404:
        responses.classify(response)


def _allow_missing_route(response: httpx.Response) -> None:
    """GET .../source on a server without it: 404 (or 405/501) means "use another way", not an error."""
    if response.status_code not in {404, 405, 501}:
        responses.classify(response)
