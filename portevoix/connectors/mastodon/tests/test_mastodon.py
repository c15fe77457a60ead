"""The Mastodon connector against the documented requests and answers (respx; no network)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from portevoix.connectors import registry
from portevoix.connectors.errors import (
    ContentRejected,
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Transient,
)
from portevoix.connectors.mastodon import (
    SCOPES,
    InstanceLimits,
    Mastodon,
    authorization_url,
    exchange_code,
    instance_url,
    register_app,
)
from portevoix.connectors.mastodon.responses import rate_limit_reset
from portevoix.connectors.mastodon.statuses import plain_text
from portevoix.connectors.testing import ConnectorContract, sample_post
from portevoix.connectors.types import (
    AccountInfo,
    AuthKind,
    Capability,
    ChannelConfig,
    MediaItem,
    PostMetrics,
    Published,
    TokenSet,
)
from portevoix.textcount import Unit

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BASE = "https://mastodon.social"
TOKEN = "mastodon-access-token-0123456789"
ACCOUNT_ID = "110357222516183152"
STATUS_ID = "103254962155278888"
SAMPLE_TEXT = "Hello from Portevoix #launch https://example.com/a"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def error_body(key: str) -> dict[str, Any]:
    return fixture("errors.json")[key]


def channel(*, external_id: str = ACCOUNT_ID, token: str = TOKEN) -> ChannelConfig:
    credentials = {"access_token": token} if token else {}
    return ChannelConfig(external_id=external_id, credentials=credentials, base_url=BASE)


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode(), keep_blank_values=True)


class Sleeps:
    """Records the connector's waits instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def mastodon(sleeps: Sleeps) -> Mastodon:
    return Mastodon(channel(), httpx.Client(timeout=5), sleep=sleeps, media_poll_attempts=3)


def media_item(tmp_path: Path, name: str = "photo.jpg", alt: str = "A lighthouse at dusk") -> MediaItem:
    path = tmp_path / name
    path.write_bytes(b"\xff\xd8\xff\xe0fake-jpeg-bytes")
    return MediaItem(
        kind="image",
        path=path,
        content_type="image/jpeg",
        size=path.stat().st_size,
        filename=name,
        alt_text=alt,
    )


class TestMastodonContract(ConnectorContract):
    connector_class = Mastodon

    def channel(self) -> ChannelConfig:
        return channel()

    def mock_publish(self, respx_mock: Any, response: httpx.Response | Exception) -> None:
        route = respx_mock.post(f"{BASE}/api/v1/statuses")
        if isinstance(response, Exception):
            route.mock(side_effect=response)
        else:
            route.mock(return_value=response)

    def success_response(self) -> httpx.Response:
        return httpx.Response(200, json=fixture("status.json"))

    def error_response(self, status: int, *, retry_after: int | None = None) -> httpx.Response:
        headers: dict[str, str] = {}
        if retry_after is not None:  # Mastodon's own shape: an ISO 8601 reset time, no Retry-After
            reset = datetime.now(UTC) + timedelta(seconds=retry_after)
            headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0"}
            headers["X-RateLimit-Reset"] = reset.isoformat(timespec="microseconds")
        errors = fixture("errors.json")
        body = errors.get(str(status), {"error": "This action is not allowed"})
        return httpx.Response(status, json=body, headers=headers)


# --- Declaration ------------------------------------------------------------------------------------


def test_declaration_matches_mastodon() -> None:
    assert registry.get("mastodon") is Mastodon
    assert Mastodon.default_base_url == "https://mastodon.social"
    assert Mastodon.limits.text == 500
    assert Mastodon.limits.text_unit is Unit.GRAPHEMES_URL_23
    assert Mastodon.limits.media == 4
    assert "image/png" in Mastodon.limits.image_formats
    assert "video/mp4" in Mastodon.limits.video_formats
    assert {Capability.IDEMPOTENCY, Capability.LOOKUP, Capability.EDIT} <= Mastodon.capabilities
    assert Capability.PUBLISH_ASYNC not in Mastodon.capabilities
    assert Mastodon.auth.kind is AuthKind.OAUTH2
    assert Mastodon.auth.oauth2 is not None
    assert Mastodon.auth.oauth2.register_app is True
    assert Mastodon.auth.oauth2.scopes == SCOPES
    assert [f.name for f in Mastodon.auth.fields] == ["access_token"]
    assert Mastodon.auth.fields[0].secret is True


# --- verify, followers, instance limits ------------------------------------------------------------


def test_verify_describes_the_account(mastodon: Mastodon, respx_mock: Any) -> None:
    route = respx_mock.get(f"{BASE}/api/v1/accounts/verify_credentials").mock(
        return_value=httpx.Response(200, json=fixture("account.json"))
    )
    info = mastodon.verify()
    assert info == AccountInfo(
        external_id=ACCOUNT_ID,
        name="Rob at Portevoix",
        handle="@rob@mastodon.social",
        url="https://mastodon.social/@rob",
        followers=14,
    )
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_verify_without_a_token_asks_to_reconnect_without_calling(respx_mock: Any) -> None:
    connector = Mastodon(channel(token=""), httpx.Client(timeout=5))
    with pytest.raises(ReauthRequired):
        connector.verify()
    assert not respx_mock.calls


def test_a_revoked_token_asks_to_reconnect(mastodon: Mastodon, respx_mock: Any) -> None:
    respx_mock.get(f"{BASE}/api/v1/accounts/verify_credentials").mock(
        return_value=httpx.Response(401, json=error_body("401"))
    )
    with pytest.raises(ReauthRequired) as caught:
        mastodon.verify()
    assert "connect the account again" in caught.value.message
    assert "The access token is invalid" in caught.value.detail
    assert TOKEN not in f"{caught.value.message} {caught.value.detail}"


def test_followers_come_from_verify_credentials(mastodon: Mastodon, respx_mock: Any) -> None:
    respx_mock.get(f"{BASE}/api/v1/accounts/verify_credentials").mock(
        return_value=httpx.Response(200, json=fixture("account.json"))
    )
    assert mastodon.fetch_followers() == 14


def test_instance_limits_read_the_configuration(mastodon: Mastodon, respx_mock: Any) -> None:
    respx_mock.get(f"{BASE}/api/v2/instance").mock(
        return_value=httpx.Response(200, json=fixture("instance_v2.json"))
    )
    limits = mastodon.instance_limits()
    assert limits.max_characters == 500
    assert limits.characters_reserved_per_url == 23
    assert limits.max_media_attachments == 4
    assert limits.image_size_limit == 10_485_760
    assert limits.video_size_limit == 41_943_040
    assert limits.image_matrix_limit == 16_777_216
    assert "image/heic" in limits.image_formats
    assert "audio/mpeg" not in limits.image_formats + limits.video_formats
    assert limits.video_formats == (
        "video/webm",
        "video/mp4",
        "video/quicktime",
        "video/ogg",
        "video/x-ms-asf",
    )


def test_instance_limits_of_a_larger_instance_apply_to_text_and_limits(
    mastodon: Mastodon, respx_mock: Any
) -> None:
    body = fixture("instance_v2.json")
    body["configuration"]["statuses"] = {
        "max_characters": 5000,
        "max_media_attachments": 16,
        "characters_reserved_per_url": 30,
    }
    respx_mock.get(f"{BASE}/api/v2/instance").mock(return_value=httpx.Response(200, json=body))
    limits = mastodon.instance_limits()
    merged = limits.to_limits(Mastodon.limits)
    assert (merged.text, merged.media, merged.text_unit) == (5000, 16, Unit.GRAPHEMES_URL_23)
    check = limits.check_text("See https://example.com/a/very/long/path/indeed")
    assert check.counts[0].length == len("See ") + 30
    assert check.counts[0].limit == 5000


def test_instance_limits_default_when_the_instance_says_nothing(mastodon: Mastodon, respx_mock: Any) -> None:
    respx_mock.get(f"{BASE}/api/v2/instance").mock(
        return_value=httpx.Response(200, json={"domain": "small.example", "configuration": {"statuses": {}}})
    )
    limits = mastodon.instance_limits()
    assert limits == InstanceLimits()
    assert (limits.max_characters, limits.characters_reserved_per_url, limits.max_media_attachments) == (
        500,
        23,
        4,
    )
    assert limits.to_limits(Mastodon.limits).image_formats == Mastodon.limits.image_formats


def test_instance_limits_fall_back_to_v1_before_mastodon_4(mastodon: Mastodon, respx_mock: Any) -> None:
    respx_mock.get(f"{BASE}/api/v2/instance").mock(return_value=httpx.Response(404, json=error_body("404")))
    respx_mock.get(f"{BASE}/api/v1/instance").mock(
        return_value=httpx.Response(
            200, json={"uri": "old.example", "configuration": {"statuses": {"max_characters": 1000}}}
        )
    )
    assert mastodon.instance_limits().max_characters == 1000


# --- publish ---------------------------------------------------------------------------------------


def test_publish_sends_the_status_with_the_idempotency_key(mastodon: Mastodon, respx_mock: Any) -> None:
    route = respx_mock.post(f"{BASE}/api/v1/statuses").mock(
        return_value=httpx.Response(200, json=fixture("status.json"))
    )
    post = sample_post(idempotency_key="target-42-key", options={"visibility": "unlisted", "language": "fr"})
    published = mastodon.publish(post)
    assert published == Published(
        remote_id=STATUS_ID,
        url="https://mastodon.social/@rob/103254962155278888",
        published_at=datetime(2019, 12, 5, 11, 34, 47, 196000, tzinfo=UTC),
    )
    request = route.calls.last.request
    assert request.headers["Idempotency-Key"] == "target-42-key"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert form(request) == {"status": [SAMPLE_TEXT], "visibility": ["unlisted"], "language": ["fr"]}


def test_publish_puts_the_link_on_its_own_line_when_the_text_lacks_it(
    mastodon: Mastodon, respx_mock: Any
) -> None:
    route = respx_mock.post(f"{BASE}/api/v1/statuses").mock(
        return_value=httpx.Response(200, json=fixture("status.json"))
    )
    mastodon.publish(sample_post(text="Read this ", link="https://example.com/b"))
    assert form(route.calls.last.request)["status"] == ["Read this\n\nhttps://example.com/b"]
    mastodon.publish(sample_post(link="https://example.com/a"))  # already in the text: not repeated
    assert form(route.calls.last.request)["status"] == [SAMPLE_TEXT]


def test_publish_with_a_content_warning_marks_it_sensitive(mastodon: Mastodon, respx_mock: Any) -> None:
    route = respx_mock.post(f"{BASE}/api/v1/statuses").mock(
        return_value=httpx.Response(200, json=fixture("status.json"))
    )
    mastodon.publish(sample_post(options={"spoiler_text": "Spoilers", "sensitive": "true"}))
    body = form(route.calls.last.request)
    assert body["spoiler_text"] == ["Spoilers"]
    assert body["sensitive"] == ["true"]


def test_an_unknown_visibility_is_refused_before_sending(mastodon: Mastodon, respx_mock: Any) -> None:
    with pytest.raises(ContentRejected) as caught:
        mastodon.publish(sample_post(options={"visibility": "friends"}))
    assert caught.value.problems == ("visibility",)
    assert not respx_mock.calls


def test_publish_uploads_media_with_alt_text_and_waits_for_processing(
    mastodon: Mastodon, respx_mock: Any, sleeps: Sleeps, tmp_path: Path
) -> None:
    processed, processing = fixture("media_200.json"), fixture("media_202.json")
    processing["id"] = "22348642"
    upload = respx_mock.post(f"{BASE}/api/v2/media").mock(
        side_effect=[httpx.Response(200, json=processed), httpx.Response(202, json=processing)]
    )
    poll = respx_mock.get(f"{BASE}/api/v1/media/22348642").mock(
        side_effect=[httpx.Response(206), httpx.Response(200, json={**processed, "id": "22348642"})]
    )
    statuses = respx_mock.post(f"{BASE}/api/v1/statuses").mock(
        return_value=httpx.Response(200, json=fixture("status.json"))
    )
    post = sample_post(media=(media_item(tmp_path), media_item(tmp_path, "second.jpg", alt="")))
    assert mastodon.publish(post).remote_id == STATUS_ID

    first = upload.calls[0].request
    assert first.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="description"\r\n\r\nA lighthouse at dusk' in first.content
    assert b'name="file"; filename="photo.jpg"' in first.content
    assert b"Content-Type: image/jpeg" in first.content
    assert b"fake-jpeg-bytes" in first.content
    assert b'name="description"' not in upload.calls[1].request.content  # no alt text: no description
    assert poll.call_count == 2
    assert sleeps.calls == [2.0, 2.0]
    assert form(statuses.calls.last.request)["media_ids[]"] == ["22348641", "22348642"]


def test_media_still_processing_after_the_last_check_is_transient(
    mastodon: Mastodon, respx_mock: Any, sleeps: Sleeps, tmp_path: Path
) -> None:
    respx_mock.post(f"{BASE}/api/v2/media").mock(
        return_value=httpx.Response(202, json=fixture("media_202.json"))
    )
    respx_mock.get(f"{BASE}/api/v1/media/22348641").mock(return_value=httpx.Response(206))
    statuses = respx_mock.post(f"{BASE}/api/v1/statuses")
    with pytest.raises(Transient) as caught:
        mastodon.publish(sample_post(media=(media_item(tmp_path),)))
    assert "still processing" in caught.value.message
    assert len(sleeps.calls) == 3
    assert not statuses.called


def test_refused_media_is_content_rejected(mastodon: Mastodon, respx_mock: Any, tmp_path: Path) -> None:
    respx_mock.post(f"{BASE}/api/v2/media").mock(
        return_value=httpx.Response(422, json=error_body("422_media"))
    )
    with pytest.raises(ContentRejected) as caught:
        mastodon.publish(sample_post(media=(media_item(tmp_path),)))
    assert caught.value.problems == ("media",)
    assert "File content type is invalid" in caught.value.message


def test_a_missing_media_file_is_content_rejected(mastodon: Mastodon, tmp_path: Path) -> None:
    item = media_item(tmp_path)
    item.path.unlink()
    with pytest.raises(ContentRejected):
        mastodon.publish(sample_post(media=(item,)))


def test_too_long_text_is_content_rejected_with_the_instance_message(
    mastodon: Mastodon, respx_mock: Any
) -> None:
    respx_mock.post(f"{BASE}/api/v1/statuses").mock(return_value=httpx.Response(422, json=error_body("422")))
    with pytest.raises(ContentRejected) as caught:
        mastodon.publish(sample_post())
    assert caught.value.problems == ("too_long",)
    assert "Text character limit of 500 exceeded" in caught.value.message
    assert caught.value.retryable is False


def test_rate_limit_retry_after_comes_from_the_iso_reset_time(mastodon: Mastodon, respx_mock: Any) -> None:
    reset = datetime.now(UTC) + timedelta(minutes=3)
    respx_mock.post(f"{BASE}/api/v1/statuses").mock(
        return_value=httpx.Response(
            429,
            json=error_body("429"),
            headers={"X-RateLimit-Reset": reset.isoformat(timespec="microseconds")},
        )
    )
    with pytest.raises(RateLimited) as caught:
        mastodon.publish(sample_post())
    assert caught.value.retry_after is not None
    assert 178 <= caught.value.retry_after <= 180


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"X-RateLimit-Reset": "2026-01-01T12:05:00.123456Z"}, 301.0),  # Mastodon: ISO 8601, rounded up
        ({"X-RateLimit-Reset": "2026-01-01T11:00:00Z"}, 0.0),  # already past
        ({"X-RateLimit-Reset": "1767269100"}, 300.0),  # a Unix time (some compatible servers)
        ({"X-RateLimit-Reset": "42"}, 42.0),  # a number of seconds
        ({"Retry-After": "17"}, 17.0),  # a proxy's Retry-After
        ({"X-RateLimit-Reset": "soon"}, None),
        ({}, None),
    ],
)
def test_rate_limit_reset_formats(headers: dict[str, str], expected: float | None) -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert rate_limit_reset(httpx.Response(429, headers=headers), now=now) == expected


def test_a_garbled_answer_to_publish_leaves_the_outcome_unknown(mastodon: Mastodon, respx_mock: Any) -> None:
    respx_mock.post(f"{BASE}/api/v1/statuses").mock(return_value=httpx.Response(200, json={"ok": True}))
    with pytest.raises(OutcomeUnknown):
        mastodon.publish(sample_post())


def test_a_server_error_is_transient(mastodon: Mastodon, respx_mock: Any) -> None:
    respx_mock.post(f"{BASE}/api/v1/statuses").mock(return_value=httpx.Response(503, json=error_body("503")))
    with pytest.raises(Transient) as caught:
        mastodon.publish(sample_post())
    assert "Remote data could not be fetched" in caught.value.detail


# --- find_published (reconciliation) ---------------------------------------------------------------


def timeline(*statuses: dict[str, Any]) -> list[dict[str, Any]]:
    return list(statuses)


def status(
    status_id: str, created_at: str, content: str = "<p>Something else</p>", **extra: Any
) -> dict[str, Any]:
    body = fixture("status.json")
    body.update(id=status_id, created_at=created_at, content=content, url=f"{BASE}/@rob/{status_id}", **extra)
    return body


SINCE = datetime(2019, 12, 5, 11, 30, tzinfo=UTC)


def test_find_published_matches_the_exact_source_text(mastodon: Mastodon, respx_mock: Any) -> None:
    listing = respx_mock.get(f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses").mock(
        return_value=httpx.Response(
            200,
            json=timeline(
                status("3", "2019-12-05T11:40:00.000Z"),
                status(STATUS_ID, "2019-12-05T11:34:47.196Z", content=fixture("status.json")["content"]),
                status("1", "2019-12-05T10:00:00.000Z"),
            ),
        )
    )
    other_source = respx_mock.get(f"{BASE}/api/v1/statuses/3/source").mock(
        return_value=httpx.Response(200, json={"id": "3", "text": "Something else", "spoiler_text": ""})
    )
    source = respx_mock.get(f"{BASE}/api/v1/statuses/{STATUS_ID}/source").mock(
        return_value=httpx.Response(200, json=fixture("status_source.json"))
    )
    found = mastodon.find_published(sample_post(), since=SINCE)
    assert found is not None
    assert found.remote_id == STATUS_ID
    assert found.url == f"{BASE}/@rob/{STATUS_ID}"
    assert dict(listing.calls.last.request.url.params) == {"limit": "20"}
    assert other_source.called
    assert source.called


def test_find_published_stops_at_statuses_older_than_the_attempt(mastodon: Mastodon, respx_mock: Any) -> None:
    listing = respx_mock.get(f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses").mock(
        return_value=httpx.Response(
            200,
            json=timeline(
                # Same text, but posted long before the attempt: an earlier post, not this one.
                status("1", "2019-12-01T09:00:00.000Z", text=SAMPLE_TEXT),
                *[status(str(n), "2019-11-30T09:00:00.000Z") for n in range(19)],
            ),
        )
    )
    assert mastodon.find_published(sample_post(), since=SINCE) is None
    assert listing.call_count == 1


def test_find_published_uses_the_text_field_when_the_entity_has_it(
    mastodon: Mastodon, respx_mock: Any
) -> None:
    respx_mock.get(f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses").mock(
        return_value=httpx.Response(200, json=timeline(status("7", "2019-12-05T11:31:00Z", text=SAMPLE_TEXT)))
    )
    found = mastodon.find_published(sample_post(), since=SINCE)
    assert found is not None
    assert found.remote_id == "7"


def test_find_published_reads_the_html_when_the_server_has_no_source_endpoint(
    mastodon: Mastodon, respx_mock: Any
) -> None:
    respx_mock.get(f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses").mock(
        return_value=httpx.Response(200, json=[fixture("status.json")])
    )
    respx_mock.get(f"{BASE}/api/v1/statuses/{STATUS_ID}/source").mock(
        return_value=httpx.Response(404, json=error_body("404"))
    )
    found = mastodon.find_published(sample_post(), since=SINCE)
    assert found is not None
    assert found.remote_id == STATUS_ID


def test_find_published_requires_the_same_number_of_media(
    mastodon: Mastodon, respx_mock: Any, tmp_path: Path
) -> None:
    respx_mock.get(f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses").mock(
        return_value=httpx.Response(200, json=timeline(status("7", "2019-12-05T11:31:00Z", text=SAMPLE_TEXT)))
    )
    assert mastodon.find_published(sample_post(media=(media_item(tmp_path),)), since=SINCE) is None


def test_find_published_skips_boosts_and_pages_back(mastodon: Mastodon, respx_mock: Any) -> None:
    page = [status(str(100 - n), "2019-12-05T11:50:00Z", text="Busy day") for n in range(20)]
    page[0]["reblog"] = status("999", "2019-12-05T11:31:00Z", text=SAMPLE_TEXT)
    listing = respx_mock.get(f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses").mock(
        side_effect=[
            httpx.Response(200, json=page),
            httpx.Response(200, json=[status("42", "2019-12-05T11:31:00Z", text=SAMPLE_TEXT)]),
        ]
    )
    found = mastodon.find_published(sample_post(), since=SINCE)
    assert found is not None
    assert found.remote_id == "42"
    assert dict(listing.calls.last.request.url.params) == {"limit": "20", "max_id": "81"}


def test_find_published_gives_up_when_too_many_statuses_follow(mastodon: Mastodon, respx_mock: Any) -> None:
    page = [status(str(100 - n), "2019-12-05T11:50:00Z", text="Busy day") for n in range(20)]
    respx_mock.get(f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses").mock(
        return_value=httpx.Response(200, json=page)
    )
    with pytest.raises(OutcomeUnknown):
        mastodon.find_published(sample_post(), since=SINCE)


def test_find_published_looks_the_account_up_when_the_channel_lacks_its_id(respx_mock: Any) -> None:
    connector = Mastodon(channel(external_id=""), httpx.Client(timeout=5))
    respx_mock.get(f"{BASE}/api/v1/accounts/verify_credentials").mock(
        return_value=httpx.Response(200, json=fixture("account.json"))
    )
    listing = respx_mock.get(f"{BASE}/api/v1/accounts/{ACCOUNT_ID}/statuses").mock(
        return_value=httpx.Response(200, json=[])
    )
    assert connector.find_published(sample_post(), since=SINCE) is None
    assert listing.called


# --- edit, delete, metrics -------------------------------------------------------------------------


def test_edit_replaces_the_text(mastodon: Mastodon, respx_mock: Any) -> None:
    route = respx_mock.put(f"{BASE}/api/v1/statuses/{STATUS_ID}").mock(
        return_value=httpx.Response(200, json=fixture("status_edited.json"))
    )
    published = mastodon.edit(
        STATUS_ID, sample_post(text="Hello again from Portevoix", options={"language": "en"})
    )
    assert published.remote_id == STATUS_ID
    body = form(route.calls.last.request)
    assert body == {"status": ["Hello again from Portevoix"], "language": ["en"]}
    assert "Idempotency-Key" not in route.calls.last.request.headers


def test_editing_a_deleted_status_is_content_rejected(mastodon: Mastodon, respx_mock: Any) -> None:
    respx_mock.put(f"{BASE}/api/v1/statuses/{STATUS_ID}").mock(
        return_value=httpx.Response(404, json=error_body("404"))
    )
    with pytest.raises(ContentRejected):
        mastodon.edit(STATUS_ID, sample_post())


def test_delete_removes_the_status_and_its_media(mastodon: Mastodon, respx_mock: Any) -> None:
    route = respx_mock.delete(f"{BASE}/api/v1/statuses/{STATUS_ID}").mock(
        return_value=httpx.Response(200, json={**fixture("status.json"), "text": SAMPLE_TEXT})
    )
    mastodon.delete(STATUS_ID)
    assert dict(route.calls.last.request.url.params) == {"delete_media": "true"}


def test_deleting_a_status_that_is_gone_succeeds(mastodon: Mastodon, respx_mock: Any) -> None:
    respx_mock.delete(f"{BASE}/api/v1/statuses/{STATUS_ID}").mock(
        return_value=httpx.Response(404, json=error_body("404"))
    )
    mastodon.delete(STATUS_ID)


def test_delete_refuses_an_id_that_is_not_one(mastodon: Mastodon, respx_mock: Any) -> None:
    with pytest.raises(ContentRejected):
        mastodon.delete("../accounts/1")
    assert not respx_mock.calls


def test_delete_rate_limited(mastodon: Mastodon, respx_mock: Any) -> None:
    respx_mock.delete(f"{BASE}/api/v1/statuses/{STATUS_ID}").mock(
        return_value=httpx.Response(429, json=error_body("429"), headers={"Retry-After": "60"})
    )
    with pytest.raises(RateLimited) as caught:
        mastodon.delete(STATUS_ID)
    assert caught.value.retry_after == 60


def test_metrics_report_favourites_boosts_and_replies_but_no_views(
    mastodon: Mastodon, respx_mock: Any
) -> None:
    respx_mock.get(f"{BASE}/api/v1/statuses/{STATUS_ID}").mock(
        return_value=httpx.Response(200, json=fixture("status.json"))
    )
    respx_mock.get(f"{BASE}/api/v1/statuses/404404").mock(
        return_value=httpx.Response(404, json=error_body("404"))
    )
    quoted = {**fixture("status.json"), "id": "5", "quotes_count": 3}
    respx_mock.get(f"{BASE}/api/v1/statuses/5").mock(return_value=httpx.Response(200, json=quoted))
    metrics = mastodon.fetch_metrics([STATUS_ID, "404404", "5"])
    assert metrics == [
        PostMetrics(remote_id=STATUS_ID, views=None, likes=112, comments=7, shares=98, quotes=None),
        PostMetrics(remote_id="5", views=None, likes=112, comments=7, shares=98, quotes=3),
    ]


# --- The connect flow ------------------------------------------------------------------------------

REDIRECT = "https://portevoix.example/channels/mastodon/callback"


def test_register_app_registers_portevoix_with_granular_scopes(respx_mock: Any) -> None:
    route = respx_mock.post(f"{BASE}/api/v1/apps").mock(
        return_value=httpx.Response(200, json=fixture("app.json"))
    )
    with httpx.Client(timeout=5) as http:
        client = register_app(http, BASE, REDIRECT, website="https://portevoix.example")
    assert client == (
        "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM",
        "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw",
    )
    assert form(route.calls.last.request) == {
        "client_name": ["Portevoix"],
        "redirect_uris": [REDIRECT],
        "scopes": ["read:accounts read:statuses write:statuses write:media"],
        "website": ["https://portevoix.example"],
    }


def test_authorization_url_asks_for_a_code() -> None:
    url = httpx.URL(authorization_url(f"{BASE}/", "client-1", REDIRECT, "state-xyz", ("read", "write")))
    assert (url.scheme, url.host, url.path) == ("https", "mastodon.social", "/oauth/authorize")
    assert dict(url.params) == {
        "response_type": "code",
        "client_id": "client-1",
        "redirect_uri": REDIRECT,
        "scope": "read write",
        "state": "state-xyz",
    }


def test_exchange_code_returns_the_token(respx_mock: Any) -> None:
    route = respx_mock.post(f"{BASE}/oauth/token").mock(
        return_value=httpx.Response(200, json=fixture("token.json"))
    )
    with httpx.Client(timeout=5) as http:
        tokens = exchange_code(http, BASE, "client-1", "secret-1", "code-1", REDIRECT)
    assert tokens == TokenSet(
        access_token="ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0",
        scope="read:accounts read:statuses write:statuses write:media",
    )
    assert tokens.refresh_token is None
    assert form(route.calls.last.request) == {
        "grant_type": ["authorization_code"],
        "code": ["code-1"],
        "client_id": ["client-1"],
        "client_secret": ["secret-1"],
        "redirect_uri": [REDIRECT],
        "scope": ["read:accounts read:statuses write:statuses write:media"],
    }


@pytest.mark.parametrize(("status", "key"), [(400, "invalid_grant"), (401, "invalid_client")])
def test_a_refused_code_asks_to_connect_again(respx_mock: Any, status: int, key: str) -> None:
    respx_mock.post(f"{BASE}/oauth/token").mock(return_value=httpx.Response(status, json=error_body(key)))
    with httpx.Client(timeout=5) as http, pytest.raises(ReauthRequired) as caught:
        exchange_code(http, BASE, "client-1", "secret-1", "code-1", REDIRECT)
    assert key in caught.value.detail
    assert "secret-1" not in f"{caught.value.message} {caught.value.detail}"


def test_registering_on_something_that_is_not_mastodon(respx_mock: Any) -> None:
    respx_mock.post("https://example.com/api/v1/apps").mock(
        return_value=httpx.Response(404, text="Not Found")
    )
    with httpx.Client(timeout=5) as http, pytest.raises(ReauthRequired) as caught:
        register_app(http, "https://example.com", REDIRECT)
    assert "instance address" in caught.value.message


def test_an_unreachable_instance_is_transient(respx_mock: Any) -> None:
    respx_mock.post(f"{BASE}/api/v1/apps").mock(side_effect=httpx.ConnectError("refused"))
    with httpx.Client(timeout=5) as http, pytest.raises(Transient):
        register_app(http, BASE, REDIRECT)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("mastodon.social", "https://mastodon.social"),
        ("  https://Mastodon.Social/ ", "https://mastodon.social"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
    ],
)
def test_instance_url_normalises_what_people_type(typed: str, expected: str) -> None:
    assert instance_url(typed) == expected


@pytest.mark.parametrize("typed", ["", "ftp://mastodon.social", "https://mastodon.social/@rob", "https://"])
def test_instance_url_refuses_other_addresses(typed: str) -> None:
    with pytest.raises(ValueError):
        instance_url(typed)


def test_plain_text_of_status_html() -> None:
    assert plain_text(fixture("status.json")["content"]) == SAMPLE_TEXT
    assert plain_text("<p>One<br />two</p><p>Three &amp; four</p>") == "One\ntwo\n\nThree & four"
