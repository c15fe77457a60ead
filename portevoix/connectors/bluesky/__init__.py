"""Bluesky (AT Protocol): posts with rich text, images or a link card; deletion, counts, reconciliation.

API: XRPC over HTTPS on the account's PDS or the bsky.social entryway (the channel's ``base_url``,
https://bsky.social by default); lexicons at github.com/bluesky-social/atproto/tree/main/lexicons and
docs.bsky.app. The channel's credentials hold ``identifier`` (handle or DID) and ``app_password``; an
app password never needs a sign-in code.

Sessions: ``com.atproto.server.createSession`` once, then the access JWT until the PDS answers
``ExpiredToken``, then ``com.atproto.server.refreshSession`` with the refresh JWT (a new login only when the
refresh JWT is refused). The session is data: it is read from the credentials (``session.Session``) and,
when it changed during a call (``session_changed``), ``current_session()`` hands it back for the vault.

Publishing: images go up with ``com.atproto.repo.uploadBlob``; the post is written with
``com.atproto.repo.createRecord`` under a record key derived from the idempotency key
(``records.rkey_for``). The PDS refuses a second record under the same key, so a resend after a timeout
cannot duplicate the post: when ``createRecord`` fails, the connector reads that key back
(``com.atproto.repo.getRecord``) and, if the post is there, answers it as published.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from portevoix.connectors.base import Connector, retry_after_seconds
from portevoix.connectors.bluesky import records
from portevoix.connectors.bluesky.records import POST_COLLECTION, parse_at_uri, rkey_for
from portevoix.connectors.bluesky.session import Session, session_credentials
from portevoix.connectors.errors import (
    AuthExpired,
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
    ChannelConfig,
    CredentialField,
    Limits,
    MediaItem,
    OutgoingPost,
    PostMetrics,
    Published,
    RateLimit,
    TokenSet,
)
from portevoix.textcount import TextTooLongError, Unit, check_text

__all__ = ["Bluesky", "Session", "session_credentials"]

IMAGE_FORMATS = ("image/jpeg", "image/png", "image/webp", "image/gif")
IMAGE_MAX_BYTES = 1_000_000  # app.bsky.embed.images#image: blob maxSize on the PDS in use today
MAX_IMAGES = 4
MAX_LANGS = 3
GET_POSTS_BATCH = 25  # app.bsky.feed.getPosts: uris maxLength
APP_URL = "https://bsky.app"
EXPIRED_TOKEN = "ExpiredToken"  # the XRPC error that a refresh fixes; "InvalidToken" needs a new login
# Account states that stop publishing (com.atproto.server.getSession / createSession "status").
_INACTIVE = {
    "takendown": "The Bluesky account was taken down by its host.",
    "suspended": "The Bluesky account is suspended.",
    "deactivated": "The Bluesky account is deactivated: reactivate it, then test the channel again.",
}


class Bluesky(Connector):
    key = "bluesky"
    label = "Bluesky"
    capabilities = frozenset(
        {
            Capability.PUBLISH,
            Capability.DELETE,
            Capability.METRICS,
            Capability.FOLLOWERS,
            Capability.IMAGES,
            Capability.ALBUMS,
            Capability.LINKS,
            Capability.IDEMPOTENCY,
            Capability.LOOKUP,
        }
    )
    limits = Limits(
        text=300,
        text_unit=Unit.GRAPHEMES,
        media=MAX_IMAGES,
        image_formats=IMAGE_FORMATS,
        image_max_bytes=IMAGE_MAX_BYTES,
        # docs.bsky.app/docs/advanced-guides/rate-limits: 5,000 points an hour and 35,000 a day per
        # account, a created record costing 3 points.
        rate_limits=(
            RateLimit(requests=1666, per_seconds=3600),
            RateLimit(requests=11666, per_seconds=86400),
        ),
    )
    auth = Auth(
        kind=AuthKind.APP_PASSWORD,
        fields=(
            CredentialField(
                "identifier",
                "Handle or DID",
                help="The account's handle (for example name.bsky.social) or its DID.",
            ),
            CredentialField(
                "app_password",
                "App password",
                secret=True,
                help="Bluesky: Settings > Privacy and security > App passwords > Add App Password. "
                "Not the account's main password.",
            ),
        ),
    )
    default_base_url = "https://bsky.social"
    docs_url = "https://docs.bsky.app/docs/api/at-protocol-xrpc-api"

    session_changed: bool

    def __init__(self, channel: ChannelConfig, http: httpx.Client) -> None:
        super().__init__(channel, http)
        self._session = Session.from_credentials(channel.credentials, external_id=channel.external_id)
        self.session_changed = False

    # --- Session ---------------------------------------------------------------------------------

    def current_session(self) -> TokenSet | None:
        """The session in use (to store in the vault when ``session_changed``), or None before any."""
        return self._session.token_set() if self._session is not None else None

    @staticmethod
    def session_credentials(tokens: TokenSet) -> dict[str, str]:
        return session_credentials(tokens)

    def refresh(self) -> TokenSet:
        """A new session: ``refreshSession`` with the refresh JWT, or a new login with the app password when
        there is no usable refresh JWT."""
        session: Session | None = None
        if self._session is not None:
            try:
                session = self._refresh_session(self._session)
            except (AuthExpired, ReauthRequired):
                session = None
        if session is None:
            session = self._login()
        return session.token_set()

    def _ensure_session(self) -> Session:
        return self._session if self._session is not None else self._login()

    def _login(self) -> Session:
        identifier = self.channel.credentials.get("identifier", "").strip()
        password = self.channel.credentials.get("app_password", "")
        if not identifier or not password:
            raise ReauthRequired("Enter the Bluesky handle and an app password to connect this channel.")
        response = self._send(
            "POST",
            "com.atproto.server.createSession",
            json={"identifier": identifier, "password": password},
            classify=self._classify_login,
        )
        return self._adopt(Session.from_response(self.json(response)), "createSession")

    def _refresh_session(self, session: Session) -> Session:
        response = self._send(
            "POST",
            "com.atproto.server.refreshSession",
            headers={"Authorization": f"Bearer {session.refresh_jwt}"},
        )
        return self._adopt(Session.from_response(self.json(response)), "refreshSession")

    def _adopt(self, session: Session | None, method: str) -> Session:
        if session is None:
            raise Transient(f"Bluesky answered {method} without a session.")
        self._session = session
        self.session_changed = True
        return session

    def _renew(self, error: AuthExpired) -> None:
        """After ``ExpiredToken``/``InvalidToken``: refresh the session, or log in again."""
        if self._session is not None and error.detail.startswith(f"{EXPIRED_TOKEN}:"):
            try:
                self._refresh_session(self._session)
                return
            except (AuthExpired, ReauthRequired):
                pass
        self._login()

    # --- XRPC ------------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        nsid: str,
        *,
        writes: bool = False,
        classify: Callable[[httpx.Response], None] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        return self.request(method, self.url(f"xrpc/{nsid}"), writes=writes, classify=classify, **kwargs)

    def _call(
        self,
        method: str,
        nsid: str,
        *,
        headers: Mapping[str, str] | None = None,
        writes: bool = False,
        classify: Callable[[httpx.Response], None] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """An authenticated XRPC call. An expired or unusable access token is renewed once and the call
        made again: the PDS refused it before doing anything, so this repeats nothing."""
        renewed = False
        while True:
            session = self._ensure_session()
            sent = {**(headers or {}), "Authorization": f"Bearer {session.access_jwt}"}
            try:
                return self._send(method, nsid, headers=sent, writes=writes, classify=classify, **kwargs)
            except AuthExpired as error:
                if renewed:
                    raise
                self._renew(error)
                renewed = True

    def classify_response(self, response: httpx.Response) -> None:
        """XRPC errors: the HTTP status and ``{"error": "<name>", "message": "..."}`` (specs/xrpc)."""
        status = response.status_code
        if status < 400:
            return
        error, message = xrpc_error(response)
        detail = f"{error}: {message}" if error else response.text[:300]
        if status == 429 or error == "RateLimitExceeded":
            raise RateLimited(
                "Bluesky asks us to slow down (rate limit).",
                detail=detail,
                retry_after=rate_limit_reset(response),
            )
        if error in {EXPIRED_TOKEN, "InvalidToken"}:
            raise AuthExpired("The Bluesky session expired; it is renewed automatically.", detail=detail)
        if error == "AccountTakedown":
            raise ReauthRequired(_INACTIVE["takendown"], detail=detail)
        if error in {"AccountDeactivated", "AccountSuspended"}:
            raise ReauthRequired(
                _INACTIVE["deactivated" if error == "AccountDeactivated" else "suspended"], detail=detail
            )
        if status == 401 or error == "AuthenticationRequired":
            raise ReauthRequired(
                "Bluesky refused the credentials: create a new app password and reconnect the channel.",
                detail=detail,
            )
        if status == 403:
            raise ReauthRequired(
                "Bluesky refused the request (403): the app password lacks a permission or the account "
                "was disconnected. Reconnect the channel.",
                detail=detail,
            )
        if status in {408, 425} or status >= 500:
            raise Transient(f"Bluesky had a temporary problem ({status}).", detail=detail)
        if status == 413 or error == "BlobTooLarge":
            raise ContentRejected(
                "Bluesky refused a file as too large.", detail=detail, problems=("image_too_large",)
            )
        raise ContentRejected(
            f"Bluesky refused the request ({error or status}); the detail says what it did not accept.",
            detail=detail,
        )

    def _classify_login(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        error, _message = xrpc_error(response)
        if error == "AuthFactorTokenRequired":
            raise ReauthRequired(
                "Bluesky asks for a sign-in code: use an app password, not the account's main password.",
                detail=error,
            )
        if response.status_code == 401 and error == "AuthenticationRequired":
            raise ReauthRequired(
                "Bluesky refused the handle or the app password: check them, or create a new app password "
                "and reconnect the channel.",
                detail=error,
            )
        self.classify_response(response)

    # --- Operations -------------------------------------------------------------------------------

    def verify(self) -> AccountInfo:
        data = _object(self.json(self._call("GET", "com.atproto.server.getSession")), "getSession")
        did = _text(data.get("did")) or (self._session.did if self._session else "")
        handle = _text(data.get("handle"))
        if data.get("active") is False:
            status = _text(data.get("status"))
            raise ReauthRequired(
                _INACTIVE.get(status, "The Bluesky account is not active."), detail=f"status: {status}"
            )
        if self._session is not None and handle and handle != self._session.handle:
            self._adopt(
                Session(self._session.access_jwt, self._session.refresh_jwt, self._session.did, handle),
                "getSession",
            )
        try:
            profile = self._profile(did)
        except (Transient, ContentRejected):
            profile = {}  # a PDS without an AppView: the account is fine, the profile is unknown
        name = _text(profile.get("displayName")).strip() or handle or did
        followers = _count(profile.get("followersCount"))
        return AccountInfo(
            external_id=did,
            name=name,
            handle=handle,
            url=f"{APP_URL}/profile/{handle or did}",
            followers=followers,
        )

    def publish(self, post: OutgoingPost) -> Published:
        langs = self._check(post)
        session = self._ensure_session()
        rkey = rkey_for(post.idempotency_key)
        facets = records.facets_for(post.text, self._resolve_handle)
        embed: dict[str, Any] | None = None
        if post.media:
            embed = records.images_embed([self._upload(item) for item in post.media])
        elif post.link:
            embed = records.external_embed(
                post.link,
                title=post.options.get("link_title", "") or (urlsplit(post.link).hostname or post.link),
                description=post.options.get("link_description", ""),
            )
        now = datetime.now(UTC)
        created_at = now.replace(microsecond=now.microsecond // 1000 * 1000)  # createdAt has milliseconds
        record = records.post_record(
            text=post.text,
            created_at=created_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            facets=facets,
            langs=langs,
            embed=embed,
        )
        body = {"repo": session.did, "collection": POST_COLLECTION, "rkey": rkey, "record": record}
        try:
            response = self._call("POST", "com.atproto.repo.createRecord", json=body, writes=True)
        except (ContentRejected, Transient):
            # A record already under this key (a resend after a timeout) fails here: it is published.
            existing = self._lookup(rkey)
            if existing is None:
                raise
            return existing
        try:
            data = response.json()
        except ValueError:
            data = None
        uri = _text(data.get("uri")) if isinstance(data, dict) else ""
        if not uri:
            existing = self._lookup(rkey)
            if existing is not None:
                return existing
            raise OutcomeUnknown(
                "Bluesky answered the post with something unexpected; it may or may not have been published.",
                detail=response.text[:200],
            )
        return Published(remote_id=uri, url=self._post_url(rkey), published_at=created_at)

    def find_published(self, post: OutgoingPost, *, since: datetime) -> Published | None:
        return self._get_post(rkey_for(post.idempotency_key))

    def delete(self, remote_id: str) -> None:
        uri = parse_at_uri(remote_id)
        if uri is None or uri.collection != POST_COLLECTION:
            raise ContentRejected(f"{remote_id!r} is not the AT-URI of a Bluesky post.")
        session = self._ensure_session()
        # deleteRecord succeeds for a record that is already gone: deleting twice is harmless.
        self._call(
            "POST",
            "com.atproto.repo.deleteRecord",
            json={"repo": session.did, "collection": uri.collection, "rkey": uri.rkey},
        )

    def fetch_metrics(self, remote_ids: Sequence[str]) -> list[PostMetrics]:
        uris = [uri for uri in dict.fromkeys(remote_ids) if parse_at_uri(uri) is not None]
        metrics: list[PostMetrics] = []
        for start in range(0, len(uris), GET_POSTS_BATCH):
            batch = uris[start : start + GET_POSTS_BATCH]
            data = _object(
                self.json(self._call("GET", "app.bsky.feed.getPosts", params=[("uris", u) for u in batch])),
                "getPosts",
            )
            posts = data.get("posts")
            # Posts that were deleted (or are hidden from the AppView) are simply absent.
            for view in posts if isinstance(posts, list) else []:
                if not isinstance(view, dict) or not _text(view.get("uri")):
                    continue
                metrics.append(
                    PostMetrics(
                        remote_id=_text(view.get("uri")),
                        views=None,  # Bluesky does not count views
                        likes=_count(view.get("likeCount")),
                        comments=_count(view.get("replyCount")),
                        shares=_count(view.get("repostCount")),
                        quotes=_count(view.get("quoteCount")),
                    )
                )
        return metrics

    def fetch_followers(self) -> int | None:
        session = self._ensure_session()
        return _count(self._profile(session.did).get("followersCount"))

    # --- Helpers ---------------------------------------------------------------------------------

    def _check(self, post: OutgoingPost) -> list[str]:
        """Refuse, before sending anything, what the post lexicon refuses. Returns the post's languages."""
        problems: list[str] = []
        messages: list[str] = []
        if not post.text.strip() and not post.media:
            raise ContentRejected(
                "Nothing to post: the text is empty and there is no image.", problems=("empty",)
            )
        try:
            text_check = check_text(post.text, "bluesky")
        except TextTooLongError:
            problems.append("too_long")
        else:
            problems.extend(text_check.problems)
        if "too_long" in problems:
            messages.append("Bluesky posts hold at most 300 characters (graphemes) and 3,000 bytes.")
        if len(post.media) > MAX_IMAGES:
            problems.append("too_many_media")
            messages.append(f"A Bluesky post holds at most {MAX_IMAGES} images.")
        for item in post.media:
            if item.kind != "image":
                problems.append("unsupported_media")
                messages.append("This connector posts images only, not videos.")
            elif item.content_type not in IMAGE_FORMATS:
                problems.append("unsupported_image_format")
                messages.append(f"{item.filename}: Bluesky takes JPEG, PNG, WebP and GIF images.")
            elif item.size > IMAGE_MAX_BYTES:
                problems.append("image_too_large")
                messages.append(f"{item.filename}: Bluesky takes images of at most 1,000,000 bytes.")
        if post.link and not post.media and urlsplit(post.link).scheme not in {"http", "https"}:
            problems.append("invalid_link")
            messages.append("The link must start with http:// or https://.")
        raw_langs = post.options.get("langs") or self.channel.options.get("langs") or ""
        langs = [lang.strip() for lang in raw_langs.split(",") if lang.strip()]
        if len(langs) > MAX_LANGS:
            problems.append("too_many_languages")
            messages.append(f"A Bluesky post names at most {MAX_LANGS} languages.")
        if problems:
            raise ContentRejected(
                " ".join(dict.fromkeys(messages)) or "This post does not fit Bluesky's rules.",
                problems=tuple(dict.fromkeys(problems)),
            )
        return langs

    def _upload(self, item: MediaItem) -> dict[str, Any]:
        try:
            content = item.path.read_bytes()
        except OSError as error:
            raise ContentRejected(
                f"{item.filename}: the file cannot be read.", detail=type(error).__name__
            ) from None
        if len(content) > IMAGE_MAX_BYTES:
            raise ContentRejected(
                f"{item.filename}: Bluesky takes images of at most 1,000,000 bytes.",
                problems=("image_too_large",),
            )
        response = self._call(
            "POST",
            "com.atproto.repo.uploadBlob",
            headers={"Content-Type": item.content_type},
            content=content,
        )
        blob = _object(self.json(response), "uploadBlob").get("blob")
        if not isinstance(blob, dict):
            raise Transient("Bluesky answered the image upload without a blob.", detail=response.text[:200])
        return records.image(blob, alt=item.alt_text, width=item.width, height=item.height)

    def _resolve_handle(self, handle: str) -> str | None:
        def unresolvable_is_fine(response: httpx.Response) -> None:
            if response.status_code == 400 and xrpc_error(response)[0] in {"InvalidRequest", ""}:
                return
            self.classify_response(response)

        response = self._call(
            "GET",
            "com.atproto.identity.resolveHandle",
            params={"handle": handle},
            classify=unresolvable_is_fine,
        )
        if response.status_code >= 400:
            return None
        did = _text(_object(self.json(response), "resolveHandle").get("did"))
        return did if did.startswith("did:") else None

    def _get_post(self, rkey: str) -> Published | None:
        """The post under ``rkey`` in the account's repository, or None when there is none."""
        session = self._ensure_session()

        def missing_is_fine(response: httpx.Response) -> None:
            if response.status_code == 400 and xrpc_error(response)[0] == "RecordNotFound":
                return
            self.classify_response(response)

        response = self._call(
            "GET",
            "com.atproto.repo.getRecord",
            params={"repo": session.did, "collection": POST_COLLECTION, "rkey": rkey},
            classify=missing_is_fine,
        )
        if response.status_code >= 400:
            return None
        data = _object(self.json(response), "getRecord")
        uri = _text(data.get("uri"))
        if not uri:
            raise Transient("Bluesky answered getRecord without the record's URI.")
        value = data.get("value")
        created = _text(value.get("createdAt")) if isinstance(value, dict) else ""
        return Published(remote_id=uri, url=self._post_url(rkey), published_at=_parse_datetime(created))

    def _lookup(self, rkey: str) -> Published | None:
        """After ``createRecord`` failed: the post if it is already there (None when it is not, or when the
        lookup fails too: the caller then reports the first error)."""
        try:
            return self._get_post(rkey)
        except ConnectorError:
            return None

    def _profile(self, actor: str) -> dict[str, Any]:
        response = self._call("GET", "app.bsky.actor.getProfile", params={"actor": actor})
        return _object(self.json(response), "getProfile")

    def _post_url(self, rkey: str) -> str:
        session = self._session
        handle = session.handle if session is not None else ""
        if not handle or handle == "handle.invalid":
            identifier = self.channel.credentials.get("identifier", "").strip().lstrip("@")
            handle = identifier if identifier and not identifier.startswith("did:") else ""
        actor = handle or (session.did if session is not None else self.channel.external_id)
        return f"{APP_URL}/profile/{actor}/post/{rkey}"


# --- Response reading -----------------------------------------------------------------------------


def xrpc_error(response: httpx.Response) -> tuple[str, str]:
    """(error name, message) of an XRPC error body; empty strings when the body is not one."""
    try:
        body = response.json()
    except ValueError:
        return "", ""
    if not isinstance(body, dict):
        return "", ""
    return _text(body.get("error")), _text(body.get("message"))[:300]


def rate_limit_reset(response: httpx.Response) -> float | None:
    """Seconds until the limit resets: ``Retry-After`` when a proxy sent one, else ``RateLimit-Reset``
    (epoch seconds) measured against the server's own ``Date`` (so clock skew does not matter)."""
    retry_after = retry_after_seconds(response)
    if retry_after is not None:
        return retry_after
    value = response.headers.get("RateLimit-Reset", "")
    try:
        reset_at = float(value)
    except ValueError:
        return None
    now = time.time()
    date = response.headers.get("Date")
    if date:
        with contextlib.suppress(TypeError, ValueError):
            now = parsedate_to_datetime(date).timestamp()
    return max(0.0, reset_at - now)


def _object(value: Any, method: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Transient(f"Bluesky answered {method} with something unexpected.")
    return value


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _parse_datetime(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
