"""The Mastodon connector end to end against mastodon-mock, a stateful mock of the Mastodon API run as a
subprocess on 127.0.0.1 (see ``mastodon_mock_server.py``), through Portevoix's own HTTP client.

Covered here against the mock: app registration and the authorization-code flow, verify, instance limits,
media upload with alt text, publishing with an Idempotency-Key (the mock honours it: sending twice gives
one status), counts, edit, delete, reconciliation (``find_published``), and typed errors for a revoked
token, a too-long text, a rate limit (injected with the mock's fault rules), a 503 and a timeout.

Where the mock differs from Mastodon, and what covers the gap instead:

* ``POST /api/v2/media`` always answers 200 with the processed ``url``: the mock never processes media in
  the background, so the 202 answer and the ``GET /api/v1/media/:id`` polling are tested with respx only
  (``portevoix/connectors/mastodon/tests/test_mastodon.py``).
* The mock counts ``len(text)`` against 500, where Mastodon counts graphemes with every URL as 23
  characters; the connector relies on the instance's answer either way, and ``textcount`` has its own tests.
* Its rate-limit fault sends ``X-RateLimit-Reset`` as a Unix time; Mastodon sends an ISO 8601 time. Both
  are tested below (the ISO form by setting the header on the fault).
* A request that times out while the mock delays it is never processed (the mock reads the body after the
  delay and finds the client gone), so "accepted, then the answer was lost" is played by losing the answer
  of a successful publish instead.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from portevoix.connectors.errors import (
    ContentRejected,
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Transient,
)
from portevoix.connectors.mastodon import Mastodon, authorization_url, exchange_code, register_app
from portevoix.connectors.types import ChannelConfig, MediaItem, OutgoingPost
from portevoix.core import http as portevoix_http
from tests.e2e import mastodon_mock_server
from tests.e2e.mastodon_mock_server import FAN_TOKEN, OWNER_TOKEN, MockMastodon

REDIRECT = "https://portevoix.example/channels/mastodon/callback"
# The smallest valid PNG: 1x1 pixel, transparent.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture(scope="module")
def mock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MockMastodon]:
    if not mastodon_mock_server.installed():
        pytest.fail("mastodon-mock is not installed: pip install -e '.[test]'", pytrace=False)
    with mastodon_mock_server.running(tmp_path_factory.mktemp("mastodon-mock")) as server:
        yield server


@pytest.fixture
def mock(mock_server: MockMastodon) -> MockMastodon:
    mock_server.reset()  # every test starts from the seed: two accounts, no status, no fault
    return mock_server


@pytest.fixture
def http(settings: Any) -> Iterator[httpx.Client]:
    """Portevoix's own outgoing client; the operator setting lets it reach the mock on 127.0.0.1."""
    settings.PORTEVOIX_HTTP_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    with portevoix_http.client(timeout=10) as client:
        yield client


def channel(mock: MockMastodon, *, token: str = OWNER_TOKEN, external_id: str = "") -> ChannelConfig:
    return ChannelConfig(external_id=external_id, credentials={"access_token": token}, base_url=mock.base_url)


@pytest.fixture
def mastodon(mock: MockMastodon, http: httpx.Client) -> Mastodon:
    account_id = Mastodon(channel(mock), http).verify().external_id
    return Mastodon(channel(mock, external_id=account_id), http, sleep=_no_sleep)


def _no_sleep(seconds: float) -> None:
    raise AssertionError("the mock processes media at once; the connector must not wait")


def image(tmp_path: Path, alt: str = "One transparent pixel") -> MediaItem:
    path = tmp_path / "pixel.png"
    path.write_bytes(PNG)
    return MediaItem(
        kind="image",
        path=path,
        content_type="image/png",
        size=len(PNG),
        filename="pixel.png",
        width=1,
        height=1,
        alt_text=alt,
    )


def own_statuses(mock: MockMastodon, account_id: str) -> list[dict[str, Any]]:
    response = mock.call("GET", f"/api/v1/accounts/{account_id}/statuses", token=OWNER_TOKEN)
    response.raise_for_status()
    return list(response.json())


def test_connect_flow_registers_the_app_and_trades_the_code(mock: MockMastodon, http: httpx.Client) -> None:
    client_id, client_secret = register_app(
        http, mock.base_url, REDIRECT, website="https://portevoix.example"
    )
    assert client_id
    assert client_secret

    url = authorization_url(mock.base_url, client_id, REDIRECT, "state-123")
    page = http.get(url)
    assert page.status_code == 200
    assert "portevoix" in page.text  # the mock's account picker stands in for the login form
    # The person picks the account; the instance redirects back with the code and the state.
    answer = http.post(
        f"{mock.base_url}/oauth/authorize",
        data={
            "username": "portevoix",
            "redirect_uri": REDIRECT,
            "client_id": client_id,
            "state": "state-123",
        },
    )
    assert answer.status_code == 302
    back = httpx.URL(answer.headers["Location"])
    assert back.copy_with(query=None) == httpx.URL(REDIRECT)
    assert back.params["state"] == "state-123"

    tokens = exchange_code(http, mock.base_url, client_id, client_secret, back.params["code"], REDIRECT)
    assert tokens.refresh_token is None
    info = Mastodon(channel(mock, token=tokens.access_token), http).verify()
    assert info.handle == "@portevoix@127.0.0.1"
    assert info.name == "Portevoix E2E"


def test_verify_followers_and_instance_limits(mastodon: Mastodon) -> None:
    info = mastodon.verify()
    assert info.external_id == mastodon.channel.external_id
    assert info.followers == 1  # the seeded fan
    assert mastodon.fetch_followers() == 1
    limits = mastodon.instance_limits()
    assert (limits.max_characters, limits.characters_reserved_per_url, limits.max_media_attachments) == (
        500,
        23,
        4,
    )
    assert "image/png" in limits.image_formats
    assert limits.image_size_limit == 10_485_760


def test_publish_idempotently_then_count_edit_find_and_delete(
    mastodon: Mastodon, mock: MockMastodon, tmp_path: Path
) -> None:
    since = datetime.now(UTC) - timedelta(seconds=5)
    post = OutgoingPost(
        text="Launch day! #portevoix https://example.com/launch",
        idempotency_key="target-1-attempt-key",
        media=(image(tmp_path),),
        options={"visibility": "unlisted", "language": "en"},
    )
    published = mastodon.publish(post)
    again = mastodon.publish(post)  # a retry with the same key: the instance answers the same status
    assert again.remote_id == published.remote_id
    assert published.url == f"{mock.base_url}/@portevoix/{published.remote_id}"
    statuses = own_statuses(mock, mastodon.channel.external_id)
    assert [s["id"] for s in statuses] == [published.remote_id]
    status = statuses[0]
    assert status["visibility"] == "unlisted"
    assert [m["description"] for m in status["media_attachments"]] == ["One transparent pixel"]

    # Someone else favourites, boosts and answers it; the counts follow.
    mock.call("POST", f"/api/v1/statuses/{published.remote_id}/favourite", token=FAN_TOKEN).raise_for_status()
    mock.call("POST", f"/api/v1/statuses/{published.remote_id}/reblog", token=FAN_TOKEN).raise_for_status()
    mock.call(
        "POST",
        "/api/v1/statuses",
        token=FAN_TOKEN,
        data={"status": "@portevoix congratulations", "in_reply_to_id": published.remote_id},
    ).raise_for_status()
    [metrics] = mastodon.fetch_metrics([published.remote_id])
    assert (metrics.likes, metrics.shares, metrics.comments, metrics.views) == (1, 1, 1, None)

    # Reconciliation finds the status by its text; a different text is certainly not published.
    found = mastodon.find_published(post, since=since)
    assert found is not None
    assert found.remote_id == published.remote_id
    other = OutgoingPost(text="Never sent", idempotency_key="other", media=post.media)
    assert mastodon.find_published(other, since=since) is None

    edited = mastodon.edit(
        published.remote_id, OutgoingPost(text="Launch day, edited", idempotency_key="k", media=post.media)
    )
    assert edited.remote_id == published.remote_id
    source = mock.call("GET", f"/api/v1/statuses/{published.remote_id}/source", token=OWNER_TOKEN).json()
    assert source["text"] == "Launch day, edited"

    mastodon.delete(published.remote_id)
    assert mock.call("GET", f"/api/v1/statuses/{published.remote_id}", token=OWNER_TOKEN).status_code == 404
    mastodon.delete(published.remote_id)  # already gone: still fine
    assert mastodon.fetch_metrics([published.remote_id]) == []
    assert mastodon.find_published(post, since=since) is None


def test_a_lost_answer_is_reconciled_and_the_retry_does_not_post_twice(
    mastodon: Mastodon, mock: MockMastodon
) -> None:
    since = datetime.now(UTC)
    post = OutgoingPost(text="Posted once, answer lost", idempotency_key="target-2-key")
    published = mastodon.publish(post)  # ... and suppose the answer never reached us
    found = mastodon.find_published(post, since=since)
    assert found is not None
    assert found.remote_id == published.remote_id
    assert mastodon.publish(post).remote_id == published.remote_id
    assert len(own_statuses(mock, mastodon.channel.external_id)) == 1


def test_a_timeout_before_the_instance_took_the_post_is_reconciled_then_sent_once(
    mastodon: Mastodon, mock: MockMastodon
) -> None:
    since = datetime.now(UTC)
    post = OutgoingPost(text="Sent after a timeout", idempotency_key="target-3-key")
    mock.add_fault(
        {
            "match": {"methods": ["POST"], "path": "/api/v1/statuses"},
            "effect": {"type": "latency", "delay_ms": 1000},
            "count": 1,
        }
    )
    timeout = httpx.Timeout(10.0, read=0.3)
    with portevoix_http.client(timeout=timeout) as impatient, pytest.raises(OutcomeUnknown):
        Mastodon(mastodon.channel, impatient).publish(post)
    time.sleep(1.0)  # let the mock finish with the abandoned request
    assert mastodon.find_published(post, since=since) is None  # certainly not published: safe to send
    published = mastodon.publish(post)
    assert mastodon.publish(post).remote_id == published.remote_id
    assert [s["id"] for s in own_statuses(mock, mastodon.channel.external_id)] == [published.remote_id]


def test_too_long_text_is_rejected(mastodon: Mastodon) -> None:
    with pytest.raises(ContentRejected) as caught:
        mastodon.publish(OutgoingPost(text="x" * 501, idempotency_key="too-long"))
    assert caught.value.problems == ("too_long",)


def test_a_revoked_token_asks_to_reconnect(mock: MockMastodon, http: httpx.Client) -> None:
    connector = Mastodon(channel(mock, token="revoked-token-0123456789", external_id="1"), http)
    with pytest.raises(ReauthRequired) as caught:
        connector.publish(OutgoingPost(text="Hello", idempotency_key="k"))
    assert "revoked-token-0123456789" not in f"{caught.value.message} {caught.value.detail}"


def test_rate_limits_give_the_wait(mastodon: Mastodon, mock: MockMastodon) -> None:
    post = OutgoingPost(text="Rate limited", idempotency_key="rate-limited")
    match = {"methods": ["POST"], "path": "/api/v1/statuses"}
    reset = (datetime.now(UTC) + timedelta(seconds=120)).isoformat(timespec="microseconds")
    mock.add_fault(
        {"match": match, "effect": {"type": "ratelimit", "headers": {"X-RateLimit-Reset": reset}}, "count": 1}
    )
    with pytest.raises(RateLimited) as caught:
        mastodon.publish(post)
    assert caught.value.retry_after is not None
    assert 115 <= caught.value.retry_after <= 120

    mock.add_fault({"match": match, "effect": {"type": "ratelimit"}, "count": 1})  # the mock's Unix time
    with pytest.raises(RateLimited) as caught:
        mastodon.publish(post)
    assert caught.value.retry_after is not None
    assert 290 <= caught.value.retry_after <= 301

    assert mastodon.publish(post).remote_id  # the faults are spent: the post goes through


def test_a_temporary_failure_is_transient(mastodon: Mastodon, mock: MockMastodon) -> None:
    mock.add_fault(
        {"match": {"path": "/api/v1/accounts/verify_credentials"}, "effect": {"status": 503}, "count": 1}
    )
    with pytest.raises(Transient):
        mastodon.verify()
    assert mastodon.verify().external_id == mastodon.channel.external_id
