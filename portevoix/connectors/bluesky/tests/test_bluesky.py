"""The Bluesky connector against the documented XRPC requests and answers (respx; no network)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import pytest

from portevoix.connectors import registry
from portevoix.connectors.bluesky import Bluesky, Session, session_credentials
from portevoix.connectors.bluesky.records import TID_PATTERN, parse_at_uri, rkey_for, tid_encode
from portevoix.connectors.bluesky.session import jwt_expiry
from portevoix.connectors.errors import (
    AuthExpired,
    ContentRejected,
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Transient,
)
from portevoix.connectors.testing import ConnectorContract, sample_post
from portevoix.connectors.types import (
    AccountInfo,
    AuthKind,
    Capability,
    ChannelConfig,
    MediaItem,
    OutgoingPost,
    PostMetrics,
    Published,
)
from portevoix.textcount import Unit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BASE = "https://bsky.social"
XRPC = f"{BASE}/xrpc"
DID = "did:plc:4pvx2mzq7ktnwl5vbc6ajh3e"
HANDLE = "portevoix.bsky.social"
APP_PASSWORD = "abcd-efgh-ijkl-mnop"
RKEY = "3fe5igzhyb2af"  # rkey_for("k-1"), the idempotency key of sample_post()
POST_URI = f"at://{DID}/app.bsky.feed.post/{RKEY}"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def error(key: str, status: int, **headers: str) -> httpx.Response:
    return httpx.Response(status, json=fixture("errors.json")[key], headers=headers)


LOGIN = fixture("create_session.json")
REFRESHED = fixture("refresh_session.json")


def channel(**credentials: str) -> ChannelConfig:
    values = {"identifier": HANDLE, "app_password": APP_PASSWORD, **credentials}
    return ChannelConfig(external_id=DID, credentials=values, base_url=BASE)


def stored_session_channel() -> ChannelConfig:
    """A channel whose session was kept in the vault after an earlier call."""
    return channel(access_jwt=LOGIN["accessJwt"], refresh_jwt=LOGIN["refreshJwt"], did=DID, handle=HANDLE)


def bluesky(config: ChannelConfig | None = None) -> Bluesky:
    return Bluesky(config or channel(), httpx.Client(timeout=5))


def body(request: httpx.Request) -> Any:
    return json.loads(request.content)


def bearer(request: httpx.Request) -> str:
    return request.headers.get("Authorization", "")


def login_route(respx_mock: Any, response: httpx.Response | None = None) -> Any:
    return respx_mock.post(f"{XRPC}/com.atproto.server.createSession").mock(
        return_value=response or httpx.Response(200, json=LOGIN)
    )


def image(tmp_path: Path, name: str = "chart.png", *, size: int = 2048, **overrides: Any) -> MediaItem:
    path = tmp_path / name
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * (size - 8))
    values: dict[str, Any] = {
        "kind": "image",
        "path": path,
        "content_type": "image/png",
        "size": size,
        "filename": name,
        "width": 1200,
        "height": 800,
        "alt_text": "A bar chart of launches per month",
    }
    values.update(overrides)
    return MediaItem(**values)


class TestBlueskyContract(ConnectorContract):
    connector_class = Bluesky

    def channel(self) -> ChannelConfig:
        return channel()

    def mock_publish(self, respx_mock: Any, response: httpx.Response | Exception) -> None:
        login_route(respx_mock)
        respx_mock.get(f"{XRPC}/com.atproto.repo.getRecord").mock(return_value=error("RecordNotFound", 400))
        route = respx_mock.post(f"{XRPC}/com.atproto.repo.createRecord")
        if isinstance(response, Exception):
            route.mock(side_effect=response)
        else:
            route.mock(return_value=response)

    def success_response(self) -> httpx.Response:
        return httpx.Response(200, json=fixture("create_record.json"))

    def error_response(self, status: int, *, retry_after: int | None = None) -> httpx.Response:
        if status == 429:
            now = int(time.time())
            return error(
                "RateLimitExceeded",
                429,
                **{
                    "RateLimit-Limit": "5000",
                    "RateLimit-Remaining": "0",
                    "RateLimit-Reset": str(now + (retry_after or 0)),
                    "RateLimit-Policy": "5000;w=3600",
                    "Date": formatdate(now, usegmt=True),
                },
            )
        key = {
            400: "InvalidRequest",
            401: "AuthenticationRequired",
            403: "Forbidden",
            500: "InternalServerError",
            502: "UpstreamFailure",
            503: "NotEnoughResources",
        }[status]
        return error(key, status)


# --- Declaration ----------------------------------------------------------------------------------


def test_declaration() -> None:
    assert registry.get("bluesky") is Bluesky
    assert Bluesky.auth.kind is AuthKind.APP_PASSWORD
    fields = {field.name: field for field in Bluesky.auth.fields}
    assert set(fields) == {"identifier", "app_password"}
    assert fields["app_password"].secret
    assert not fields["identifier"].secret
    assert Bluesky.default_base_url == "https://bsky.social"
    assert Bluesky.limits.text == 300
    assert Bluesky.limits.text_unit is Unit.GRAPHEMES
    assert Bluesky.limits.media == 4
    assert Bluesky.limits.image_max_bytes == 1_000_000
    assert {Capability.IDEMPOTENCY, Capability.LOOKUP, Capability.ALBUMS} <= Bluesky.capabilities
    assert Capability.EDIT not in Bluesky.capabilities
    assert Capability.VIDEO not in Bluesky.capabilities


# --- Record keys ----------------------------------------------------------------------------------


def test_rkey_is_a_valid_tid_derived_from_the_idempotency_key_alone() -> None:
    keys = [f"target-{n}" for n in range(500)]
    rkeys = [rkey_for(key) for key in keys]
    assert all(TID_PATTERN.fullmatch(rkey) for rkey in rkeys)
    assert len(set(rkeys)) == len(keys)
    assert rkey_for("target-7") == rkey_for("target-7")
    assert rkey_for("k-1") == RKEY
    assert all(rkey.startswith("3") for rkey in rkeys), "shaped like the TIDs clients make (2015-2023)"


def test_tid_encoding_matches_the_spec_examples() -> None:
    # atproto.com/specs/tid: the zero TID, and a TID of the maximum 63-bit value.
    assert tid_encode(0) == "2222222222222"
    assert tid_encode((1 << 63) - 1) == "bzzzzzzzzzzzz"
    with pytest.raises(ValueError, match="63-bit"):
        tid_encode(1 << 63)


def test_at_uri_parsing() -> None:
    uri = parse_at_uri(POST_URI)
    assert uri is not None
    assert (uri.repo, uri.collection, uri.rkey) == (DID, "app.bsky.feed.post", RKEY)
    assert str(uri) == POST_URI
    assert parse_at_uri("https://bsky.app/profile/x/post/y") is None
    assert parse_at_uri("at://did:plc:x/app.bsky.feed.post") is None


# --- Sessions -------------------------------------------------------------------------------------


def test_one_login_serves_every_call(respx_mock: Any) -> None:
    login = login_route(respx_mock)
    respx_mock.get(f"{XRPC}/com.atproto.identity.resolveHandle")
    create = respx_mock.post(f"{XRPC}/com.atproto.repo.createRecord").mock(
        return_value=httpx.Response(200, json=fixture("create_record.json"))
    )
    profile = respx_mock.get(f"{XRPC}/app.bsky.actor.getProfile").mock(
        return_value=httpx.Response(200, json=fixture("get_profile.json"))
    )
    connector = bluesky()
    connector.publish(sample_post())
    connector.publish(sample_post(idempotency_key="k-2"))
    assert connector.fetch_followers() == 1287

    assert login.call_count == 1
    assert body(login.calls[0].request) == {"identifier": HANDLE, "password": APP_PASSWORD}
    assert "Authorization" not in login.calls[0].request.headers
    for call in [*create.calls, *profile.calls]:
        assert bearer(call.request) == f"Bearer {LOGIN['accessJwt']}"
    assert connector.session_changed
    tokens = connector.current_session()
    assert tokens is not None
    assert tokens.access_token == LOGIN["accessJwt"]
    assert tokens.refresh_token == LOGIN["refreshJwt"]
    assert tokens.extra["did"] == DID
    assert tokens.extra["handle"] == HANDLE
    assert tokens.expires_at == datetime(2026, 1, 1, 2, 0, tzinfo=UTC)


def test_a_stored_session_is_used_without_logging_in(respx_mock: Any) -> None:
    profile = respx_mock.get(f"{XRPC}/app.bsky.actor.getProfile").mock(
        return_value=httpx.Response(200, json=fixture("get_profile.json"))
    )
    connector = bluesky(stored_session_channel())
    assert connector.fetch_followers() == 1287
    assert bearer(profile.calls[0].request) == f"Bearer {LOGIN['accessJwt']}"
    assert dict(profile.calls[0].request.url.params) == {"actor": DID}
    assert not connector.session_changed


def test_the_token_names_the_channels_app_stores_are_read_too() -> None:
    tokens = Session.from_response(LOGIN)
    assert tokens is not None
    stored = {"identifier": HANDLE, "access_token": "a.b.c", "refresh_token": "d.e.f"}
    assert Session.from_credentials(stored, external_id=DID) == Session("a.b.c", "d.e.f", DID, "")
    assert Session.from_credentials({"access_jwt": "a.b.c"}, external_id=DID) is None
    assert session_credentials(tokens.token_set()) == {
        "access_jwt": LOGIN["accessJwt"],
        "refresh_jwt": LOGIN["refreshJwt"],
        "did": DID,
        "handle": HANDLE,
    }


def test_an_expired_token_is_refreshed_and_the_call_made_again(respx_mock: Any) -> None:
    refresh = respx_mock.post(f"{XRPC}/com.atproto.server.refreshSession").mock(
        return_value=httpx.Response(200, json=REFRESHED)
    )
    profile = respx_mock.get(f"{XRPC}/app.bsky.actor.getProfile").mock(
        side_effect=[error("ExpiredToken", 400), httpx.Response(200, json=fixture("get_profile.json"))]
    )
    login = login_route(respx_mock)
    connector = bluesky(stored_session_channel())

    assert connector.fetch_followers() == 1287
    assert bearer(refresh.calls[0].request) == f"Bearer {LOGIN['refreshJwt']}"
    assert [bearer(call.request) for call in profile.calls] == [
        f"Bearer {LOGIN['accessJwt']}",
        f"Bearer {REFRESHED['accessJwt']}",
    ]
    assert not login.called, "never a new login when the refresh token works"
    assert connector.session_changed
    tokens = connector.current_session()
    assert tokens is not None
    assert tokens.access_token == REFRESHED["accessJwt"]
    assert tokens.refresh_token == REFRESHED["refreshJwt"]


def test_a_refused_refresh_token_falls_back_to_the_app_password(respx_mock: Any) -> None:
    respx_mock.post(f"{XRPC}/com.atproto.server.refreshSession").mock(return_value=error("ExpiredToken", 400))
    login = login_route(respx_mock)
    profile = respx_mock.get(f"{XRPC}/app.bsky.actor.getProfile").mock(
        side_effect=[error("ExpiredToken", 400), httpx.Response(200, json=fixture("get_profile.json"))]
    )
    assert bluesky(stored_session_channel()).fetch_followers() == 1287
    assert login.call_count == 1
    assert bearer(profile.calls[1].request) == f"Bearer {LOGIN['accessJwt']}"


def test_an_invalid_token_means_a_new_login_not_a_refresh(respx_mock: Any) -> None:
    refresh = respx_mock.post(f"{XRPC}/com.atproto.server.refreshSession")
    login = login_route(respx_mock)
    respx_mock.get(f"{XRPC}/app.bsky.actor.getProfile").mock(
        side_effect=[error("InvalidToken", 400), httpx.Response(200, json=fixture("get_profile.json"))]
    )
    stale = channel(access_jwt="old.access.jwt", refresh_jwt="old.refresh.jwt", did=DID)
    assert bluesky(stale).fetch_followers() == 1287
    assert login.call_count == 1
    assert not refresh.called


def test_a_token_still_refused_after_renewal_is_not_renewed_forever(respx_mock: Any) -> None:
    respx_mock.post(f"{XRPC}/com.atproto.server.refreshSession").mock(
        return_value=httpx.Response(200, json=REFRESHED)
    )
    profile = respx_mock.get(f"{XRPC}/app.bsky.actor.getProfile").mock(
        return_value=error("ExpiredToken", 400)
    )
    with pytest.raises(AuthExpired):
        bluesky(stored_session_channel()).fetch_followers()
    assert profile.call_count == 2


def test_a_wrong_app_password_needs_a_person(respx_mock: Any) -> None:
    login_route(respx_mock, error("InvalidPassword", 401))
    with pytest.raises(ReauthRequired) as caught:
        bluesky().fetch_followers()
    assert "app password" in caught.value.message
    assert APP_PASSWORD not in f"{caught.value.message} {caught.value.detail}"


def test_the_main_password_with_two_factor_sign_in_asks_for_an_app_password(respx_mock: Any) -> None:
    login_route(respx_mock, error("AuthFactorTokenRequired", 401))
    with pytest.raises(ReauthRequired, match="use an app password"):
        bluesky().fetch_followers()


def test_missing_credentials_need_a_person(respx_mock: Any) -> None:
    config = ChannelConfig(external_id="", credentials={"identifier": HANDLE}, base_url=BASE)
    with pytest.raises(ReauthRequired, match="app password"):
        Bluesky(config, httpx.Client()).fetch_followers()
    assert not respx_mock.calls


def test_refresh_uses_the_refresh_token(respx_mock: Any) -> None:
    refresh = respx_mock.post(f"{XRPC}/com.atproto.server.refreshSession").mock(
        return_value=httpx.Response(200, json=REFRESHED)
    )
    tokens = bluesky(stored_session_channel()).refresh()
    assert bearer(refresh.calls[0].request) == f"Bearer {LOGIN['refreshJwt']}"
    assert refresh.calls[0].request.content == b""
    assert tokens.access_token == REFRESHED["accessJwt"]
    assert tokens.refresh_token == REFRESHED["refreshJwt"]
    assert (
        tokens.expires_at == jwt_expiry(REFRESHED["accessJwt"]) == datetime(2026, 1, 1, 3, 46, 40, tzinfo=UTC)
    )
    assert tokens.extra == {
        "access_jwt": REFRESHED["accessJwt"],
        "refresh_jwt": REFRESHED["refreshJwt"],
        "did": DID,
        "handle": HANDLE,
    }


def test_refresh_without_a_session_logs_in(respx_mock: Any) -> None:
    login = login_route(respx_mock)
    tokens = bluesky().refresh()
    assert login.call_count == 1
    assert tokens.access_token == LOGIN["accessJwt"]


def test_refresh_with_a_revoked_refresh_token_logs_in(respx_mock: Any) -> None:
    respx_mock.post(f"{XRPC}/com.atproto.server.refreshSession").mock(return_value=error("InvalidToken", 400))
    login = login_route(respx_mock)
    assert bluesky(stored_session_channel()).refresh().access_token == LOGIN["accessJwt"]
    assert login.call_count == 1


def test_refresh_during_an_outage_is_transient(respx_mock: Any) -> None:
    respx_mock.post(f"{XRPC}/com.atproto.server.refreshSession").mock(
        return_value=error("NotEnoughResources", 503)
    )
    login = login_route(respx_mock)
    with pytest.raises(Transient):
        bluesky(stored_session_channel()).refresh()
    assert not login.called


def test_jwt_expiry_is_a_hint_that_tolerates_garbage() -> None:
    assert jwt_expiry("not-a-jwt") is None
    assert jwt_expiry("a.!!!.c") is None
    assert jwt_expiry("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig") is None  # no exp claim


# --- Publishing -----------------------------------------------------------------------------------


def test_publish_sends_facets_with_utf8_offsets_and_a_link_card(respx_mock: Any) -> None:
    login_route(respx_mock)
    resolve = respx_mock.get(f"{XRPC}/com.atproto.identity.resolveHandle").mock(
        side_effect=lambda request: (
            httpx.Response(200, json=fixture("resolve_handle.json"))
            if request.url.params["handle"] == "friend.bsky.social"
            else error("UnableToResolveHandle", 400)
        )
    )
    create = respx_mock.post(f"{XRPC}/com.atproto.repo.createRecord").mock(
        return_value=httpx.Response(200, json=fixture("create_record.json"))
    )
    text = "Café 🎉 with @Friend.bsky.social and @ghost.example.com #launch https://example.com/a"
    post = OutgoingPost(
        text=text,
        idempotency_key="k-1",
        link="https://example.com/a",
        options={"langs": "fr, en", "link_title": "Our launch", "link_description": "What is new"},
    )

    published = bluesky().publish(post)

    assert published == Published(
        remote_id=POST_URI,
        url=f"https://bsky.app/profile/{HANDLE}/post/{RKEY}",
        published_at=published.published_at,
    )
    assert published.published_at is not None
    assert published.published_at.tzinfo is UTC
    assert [call.request.url.params["handle"] for call in resolve.calls] == [
        "friend.bsky.social",
        "ghost.example.com",
    ]
    sent = body(create.calls[0].request)
    assert (sent["repo"], sent["collection"], sent["rkey"]) == (DID, "app.bsky.feed.post", RKEY)
    record = sent["record"]
    assert record["$type"] == "app.bsky.feed.post"
    assert record["text"] == text
    assert record["langs"] == ["fr", "en"]
    assert datetime.fromisoformat(record["createdAt"].replace("Z", "+00:00")) == published.published_at
    assert record["createdAt"].endswith("Z")
    encoded = text.encode()

    def span(facet: dict[str, Any]) -> str:
        return encoded[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode()

    assert [(span(f), f["features"]) for f in record["facets"]] == [
        (
            "@Friend.bsky.social",
            [{"$type": "app.bsky.richtext.facet#mention", "did": fixture("resolve_handle.json")["did"]}],
        ),
        ("#launch", [{"$type": "app.bsky.richtext.facet#tag", "tag": "launch"}]),
        (
            "https://example.com/a",
            [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com/a"}],
        ),
    ]
    # "Café 🎉 with " is 13 characters but 16 bytes in UTF-8.
    assert record["facets"][0]["index"] == {"byteStart": 16, "byteEnd": 35}
    assert record["embed"] == {
        "$type": "app.bsky.embed.external",
        "external": {"uri": "https://example.com/a", "title": "Our launch", "description": "What is new"},
    }
    assert bearer(create.calls[0].request) == f"Bearer {LOGIN['accessJwt']}"


def test_a_link_card_without_a_title_shows_the_site(respx_mock: Any) -> None:
    login_route(respx_mock)
    create = respx_mock.post(f"{XRPC}/com.atproto.repo.createRecord").mock(
        return_value=httpx.Response(200, json=fixture("create_record.json"))
    )
    bluesky().publish(
        OutgoingPost(text="Plain text", idempotency_key="k-1", link="https://www.example.org/x")
    )
    record = body(create.calls[0].request)["record"]
    assert record["embed"]["external"] == {
        "uri": "https://www.example.org/x",
        "title": "www.example.org",
        "description": "",
    }
    assert "facets" not in record
    assert "langs" not in record


def test_publish_uploads_images_as_raw_bytes(respx_mock: Any, tmp_path: Path) -> None:
    login_route(respx_mock)
    upload = respx_mock.post(f"{XRPC}/com.atproto.repo.uploadBlob").mock(
        return_value=httpx.Response(200, json=fixture("upload_blob.json"))
    )
    create = respx_mock.post(f"{XRPC}/com.atproto.repo.createRecord").mock(
        return_value=httpx.Response(200, json=fixture("create_record.json"))
    )
    first = image(tmp_path, "a.png")
    second = image(tmp_path, "b.jpg", content_type="image/jpeg", width=None, height=None, alt_text="")
    post = OutgoingPost(
        text="Two charts https://example.com/a",
        idempotency_key="k-1",
        media=(first, second),
        link="https://example.com/a",
    )

    bluesky().publish(post)

    assert upload.call_count == 2
    request = upload.calls[0].request
    assert request.headers["Content-Type"] == "image/png"
    assert request.content == first.path.read_bytes()
    assert upload.calls[1].request.headers["Content-Type"] == "image/jpeg"
    assert bearer(request) == f"Bearer {LOGIN['accessJwt']}"
    blob = fixture("upload_blob.json")["blob"]
    assert body(create.calls[0].request)["record"]["embed"] == {
        "$type": "app.bsky.embed.images",
        "images": [
            {
                "image": blob,
                "alt": "A bar chart of launches per month",
                "aspectRatio": {"width": 1200, "height": 800},
            },
            {"image": blob, "alt": ""},
        ],
    }


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"text": "x" * 301}, "too_long"),
        ({"text": "é" * 1501 + ""}, "too_long"),
        ({"text": "  "}, "empty"),
        ({"link": "ftp://example.com/file"}, "invalid_link"),
        ({"options": {"langs": "en,fr,de,es"}}, "too_many_languages"),
    ],
)
def test_text_that_cannot_fit_is_refused_before_sending(
    respx_mock: Any, overrides: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ContentRejected) as caught:
        bluesky().publish(sample_post(**overrides))
    assert problem in caught.value.problems
    assert caught.value.message
    assert not respx_mock.calls


def test_three_hundred_graphemes_fit() -> None:
    # 300 family emoji are 300 graphemes and 7,500 bytes: over the 3,000-byte limit.
    assert bluesky()._check(sample_post(text="a" * 300)) == []
    with pytest.raises(ContentRejected):
        bluesky()._check(sample_post(text="👨‍👩‍👧‍👦" * 300))


@pytest.mark.parametrize(
    ("media", "problem"),
    [
        ("five", "too_many_media"),
        ("video", "unsupported_media"),
        ("tiff", "unsupported_image_format"),
        ("big", "image_too_large"),
    ],
)
def test_media_that_cannot_go_is_refused_before_sending(
    respx_mock: Any, tmp_path: Path, media: str, problem: str
) -> None:
    items = {
        "five": tuple(image(tmp_path, f"{n}.png") for n in range(5)),
        "video": (image(tmp_path, "clip.mp4", kind="video", content_type="video/mp4"),),
        "tiff": (image(tmp_path, "scan.tiff", content_type="image/tiff"),),
        "big": (image(tmp_path, "huge.png", size=1_000_001),),
    }[media]
    with pytest.raises(ContentRejected) as caught:
        bluesky().publish(sample_post(media=items))
    assert problem in caught.value.problems
    assert not respx_mock.calls


def test_an_image_larger_on_disk_than_declared_is_refused(respx_mock: Any, tmp_path: Path) -> None:
    login_route(respx_mock)
    item = image(tmp_path, "grown.png", size=1_000_100)
    with pytest.raises(ContentRejected) as caught:
        bluesky().publish(sample_post(media=(MediaItem(**{**item.__dict__, "size": 10}),)))
    assert caught.value.problems == ("image_too_large",)


def test_a_resend_of_a_published_post_finds_it_instead_of_duplicating(respx_mock: Any) -> None:
    """The PDS refuses a second record under the same key (a 500 from its repository today); the connector
    reads the key back and answers the post that is already there."""
    login_route(respx_mock)
    create = respx_mock.post(f"{XRPC}/com.atproto.repo.createRecord").mock(
        return_value=error("InternalServerError", 500)
    )
    get = respx_mock.get(f"{XRPC}/com.atproto.repo.getRecord").mock(
        return_value=httpx.Response(200, json=fixture("get_record.json"))
    )
    published = bluesky().publish(sample_post())
    assert create.call_count == 1
    assert dict(get.calls[0].request.url.params) == {
        "repo": DID,
        "collection": "app.bsky.feed.post",
        "rkey": RKEY,
    }
    assert published == Published(
        remote_id=POST_URI,
        url=f"https://bsky.app/profile/{HANDLE}/post/{RKEY}",
        published_at=datetime(2026, 1, 1, 0, 5, 7, 123000, tzinfo=UTC),
    )


def test_a_refused_record_stays_refused_when_nothing_is_there(respx_mock: Any) -> None:
    login_route(respx_mock)
    respx_mock.post(f"{XRPC}/com.atproto.repo.createRecord").mock(return_value=error("InvalidRequest", 400))
    respx_mock.get(f"{XRPC}/com.atproto.repo.getRecord").mock(return_value=error("RecordNotFound", 400))
    with pytest.raises(ContentRejected) as caught:
        bluesky().publish(sample_post())
    assert "300 graphemes" in caught.value.detail
    assert caught.value.detail.startswith("InvalidRequest:")


def test_the_first_error_wins_when_the_lookup_fails_too(respx_mock: Any) -> None:
    login_route(respx_mock)
    respx_mock.post(f"{XRPC}/com.atproto.repo.createRecord").mock(return_value=error("UpstreamFailure", 502))
    respx_mock.get(f"{XRPC}/com.atproto.repo.getRecord").mock(side_effect=httpx.ConnectError("down"))
    with pytest.raises(Transient) as caught:
        bluesky().publish(sample_post())
    assert caught.value.detail.startswith("UpstreamFailure")


def test_a_garbled_success_is_checked_before_calling_it_unknown(respx_mock: Any) -> None:
    login_route(respx_mock)
    respx_mock.post(f"{XRPC}/com.atproto.repo.createRecord").mock(
        return_value=httpx.Response(200, text="<html>")
    )
    respx_mock.get(f"{XRPC}/com.atproto.repo.getRecord").mock(
        return_value=httpx.Response(200, json=fixture("get_record.json"))
    )
    assert bluesky().publish(sample_post()).remote_id == POST_URI

    respx_mock.get(f"{XRPC}/com.atproto.repo.getRecord").mock(return_value=error("RecordNotFound", 400))
    with pytest.raises(OutcomeUnknown):
        bluesky().publish(sample_post())


def test_rate_limit_reset_is_read_against_the_server_clock(respx_mock: Any) -> None:
    login_route(respx_mock)
    server_now = 1_767_225_600  # the server's clock, far from ours
    respx_mock.post(f"{XRPC}/com.atproto.repo.createRecord").mock(
        return_value=error(
            "RateLimitExceeded",
            429,
            **{"RateLimit-Reset": str(server_now + 90), "Date": formatdate(server_now, usegmt=True)},
        )
    )
    with pytest.raises(RateLimited) as caught:
        bluesky().publish(sample_post())
    assert caught.value.retry_after == 90


def test_a_rate_limited_login_is_rate_limited(respx_mock: Any) -> None:
    login_route(respx_mock, error("RateLimitExceeded", 429, **{"Retry-After": "300"}))
    with pytest.raises(RateLimited) as caught:
        bluesky().publish(sample_post())
    assert caught.value.retry_after == 300


# --- Reconciliation, deletion, counts -------------------------------------------------------------


def test_find_published_reads_the_record_key_of_the_idempotency_key(respx_mock: Any) -> None:
    get = respx_mock.get(f"{XRPC}/com.atproto.repo.getRecord").mock(
        return_value=httpx.Response(200, json=fixture("get_record.json"))
    )
    found = bluesky(stored_session_channel()).find_published(
        sample_post(), since=datetime(2026, 1, 1, tzinfo=UTC)
    )
    assert found is not None
    assert found.remote_id == POST_URI
    assert get.calls[0].request.url.params["rkey"] == RKEY

    get.mock(return_value=error("RecordNotFound", 400))
    assert (
        bluesky(stored_session_channel()).find_published(
            sample_post(), since=datetime(2026, 1, 1, tzinfo=UTC)
        )
        is None
    )


def test_find_published_cannot_tell_during_an_outage(respx_mock: Any) -> None:
    respx_mock.get(f"{XRPC}/com.atproto.repo.getRecord").mock(return_value=error("UpstreamFailure", 502))
    with pytest.raises(Transient):
        bluesky(stored_session_channel()).find_published(
            sample_post(), since=datetime(2026, 1, 1, tzinfo=UTC)
        )


def test_delete_removes_the_record(respx_mock: Any) -> None:
    delete = respx_mock.post(f"{XRPC}/com.atproto.repo.deleteRecord").mock(
        return_value=httpx.Response(200, json={"commit": {"cid": "bafyreib", "rev": "3lfgrd"}})
    )
    bluesky(stored_session_channel()).delete(POST_URI)
    assert body(delete.calls[0].request) == {"repo": DID, "collection": "app.bsky.feed.post", "rkey": RKEY}
    assert bearer(delete.calls[0].request) == f"Bearer {LOGIN['accessJwt']}"


@pytest.mark.parametrize("remote_id", ["3fe5igzhyb2af", f"at://{DID}/app.bsky.feed.like/{RKEY}", ""])
def test_delete_refuses_what_is_not_a_post(respx_mock: Any, remote_id: str) -> None:
    with pytest.raises(ContentRejected):
        bluesky(stored_session_channel()).delete(remote_id)
    assert not respx_mock.calls


def test_metrics_come_from_get_posts_in_batches_of_25(respx_mock: Any) -> None:
    answer = fixture("get_posts.json")
    posts = respx_mock.get(f"{XRPC}/app.bsky.feed.getPosts").mock(
        side_effect=[httpx.Response(200, json=answer), httpx.Response(200, json={"posts": []})]
    )
    others = [f"at://{DID}/app.bsky.feed.post/3jzfcijpj2z2{n}" for n in range(2, 30)]
    ids = [POST_URI, f"at://{DID}/app.bsky.feed.post/3hztawdwwvdla", *others[:28], "not-an-uri", POST_URI]

    metrics = bluesky(stored_session_channel()).fetch_metrics(ids)

    assert metrics == [
        PostMetrics(remote_id=POST_URI, views=None, likes=57, comments=4, shares=9, quotes=1),
        PostMetrics(
            remote_id=f"at://{DID}/app.bsky.feed.post/3hztawdwwvdla",
            views=None,
            likes=3,
            comments=0,
            shares=0,
            quotes=0,
        ),
    ]
    assert posts.call_count == 2
    first = posts.calls[0].request.url.params.get_list("uris")
    assert len(first) == 25
    assert first[0] == POST_URI
    assert len(posts.calls[1].request.url.params.get_list("uris")) == 5


def test_followers_come_from_the_profile(respx_mock: Any) -> None:
    respx_mock.get(f"{XRPC}/app.bsky.actor.getProfile").mock(
        return_value=httpx.Response(200, json={"did": DID, "handle": HANDLE})
    )
    assert bluesky(stored_session_channel()).fetch_followers() is None


# --- Verify ---------------------------------------------------------------------------------------


def test_verify_describes_the_account(respx_mock: Any) -> None:
    login_route(respx_mock)
    get_session = respx_mock.get(f"{XRPC}/com.atproto.server.getSession").mock(
        return_value=httpx.Response(200, json=fixture("get_session.json"))
    )
    respx_mock.get(f"{XRPC}/app.bsky.actor.getProfile").mock(
        return_value=httpx.Response(200, json=fixture("get_profile.json"))
    )
    connector = bluesky()
    assert connector.verify() == AccountInfo(
        external_id=DID,
        name="Portevoix",
        handle=HANDLE,
        url=f"https://bsky.app/profile/{HANDLE}",
        followers=1287,
    )
    assert bearer(get_session.calls[0].request) == f"Bearer {LOGIN['accessJwt']}"
    assert connector.session_changed


def test_verify_without_an_appview_still_confirms_the_account(respx_mock: Any) -> None:
    respx_mock.get(f"{XRPC}/com.atproto.server.getSession").mock(
        return_value=httpx.Response(200, json={**fixture("get_session.json"), "handle": "new.example.com"})
    )
    respx_mock.get(f"{XRPC}/app.bsky.actor.getProfile").mock(return_value=error("UpstreamFailure", 502))
    connector = bluesky(stored_session_channel())
    info = connector.verify()
    assert (info.name, info.handle, info.followers) == ("new.example.com", "new.example.com", None)
    # The handle changed: the stored session learns it (and the post URLs use it).
    tokens = connector.current_session()
    assert connector.session_changed
    assert tokens is not None
    assert tokens.extra["handle"] == "new.example.com"


def test_verify_refuses_a_deactivated_account(respx_mock: Any) -> None:
    respx_mock.get(f"{XRPC}/com.atproto.server.getSession").mock(
        return_value=httpx.Response(
            200, json={**fixture("get_session.json"), "active": False, "status": "deactivated"}
        )
    )
    with pytest.raises(ReauthRequired, match="deactivated"):
        bluesky(stored_session_channel()).verify()


def test_verify_with_a_taken_down_account(respx_mock: Any) -> None:
    login_route(respx_mock, error("AccountTakedown", 401))
    with pytest.raises(ReauthRequired, match="taken down"):
        bluesky().verify()
