"""The collection job with the real connectors (Mastodon, Telegram) through the channels' runtime, against
their documented answers (the connectors' fixtures) served by respx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import respx
from django.utils import timezone

from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.metrics.models import ChannelCollection, FollowerDaily, MetricPoll, PostMetricLatest
from portevoix.metrics.services import collect
from portevoix.publishing.models import Target, TargetState
from portevoix.publishing.services import new_idempotency_key

pytestmark = pytest.mark.django_db

CONNECTORS = Path(__file__).resolve().parents[2] / "connectors"
MASTODON = "https://mastodon.example"
BOT_TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX"


def fixture(network: str, name: str) -> dict:
    return json.loads((CONNECTORS / network / "fixtures" / name).read_text())


@pytest.fixture
def network(settings) -> Iterator[respx.MockRouter]:
    settings.PORTEVOIX_HTTP_ALLOW_PRIVATE = True  # the SSRF guard would resolve the fake host names
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


def published(channel: Channel, remote_id: str) -> Target:
    post = Post.objects.create(workspace=channel.workspace, text="Hello")
    return Target.objects.create(
        workspace=channel.workspace,
        post=post,
        channel=channel,
        state=TargetState.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=2),
        remote_id=remote_id,
        idempotency_key=new_idempotency_key(),
    )


def test_mastodon_and_telegram(team, network):
    mastodon = Channel.objects.create(
        workspace=team.workspace,
        network="mastodon",
        name="Acme on Mastodon",
        external_id="110357222516183152",
        base_url=MASTODON,
        credentials={"access_token": "mastodon-access-token-secret"},
    )
    telegram = Channel.objects.create(
        workspace=team.workspace,
        network="telegram",
        name="Acme on Telegram",
        external_id="-1001234567890",
        base_url="https://api.telegram.org",
        credentials={"bot_token": BOT_TOKEN},
    )
    status = fixture("mastodon", "status.json")
    kept = published(mastodon, status["id"])
    gone = published(mastodon, "404404")
    tg_post = published(telegram, "-1001234567890:55")
    network.get(f"{MASTODON}/api/v1/statuses/{status['id']}").respond(200, json=status)
    network.get(f"{MASTODON}/api/v1/statuses/404404").respond(404, json={"error": "Record not found"})
    network.get(f"{MASTODON}/api/v1/accounts/verify_credentials").respond(
        200, json=fixture("mastodon", "account.json")
    )
    network.post(f"https://api.telegram.org/bot{BOT_TOKEN}/getChatMemberCount").respond(
        200, json=fixture("telegram", "getChatMemberCount.json")
    )

    stats = collect.collect_due()

    assert stats.errors == 0
    latest = PostMetricLatest.objects.get(target=kept)
    assert (latest.likes, latest.comments, latest.shares) == (112, 7, 98)
    assert latest.views is None  # Mastodon counts no views: not available, not 0
    assert not PostMetricLatest.objects.filter(target=gone).exists()
    assert FollowerDaily.objects.get(channel=mastodon).followers == 14
    assert (
        FollowerDaily.objects.get(channel=telegram).followers
        == fixture("telegram", "getChatMemberCount.json")["result"]
    )
    # Telegram gives no post metrics: its posts are not polled.
    assert not MetricPoll.objects.filter(target=tg_post).exists()


def test_mastodon_rate_limit_holds_the_channel(team, network):
    mastodon = Channel.objects.create(
        workspace=team.workspace,
        network="mastodon",
        name="Busy",
        external_id="1",
        base_url=MASTODON,
        credentials={"access_token": "mastodon-access-token-secret"},
    )
    published(mastodon, "777")
    network.get(f"{MASTODON}/api/v1/accounts/verify_credentials").respond(
        429, headers={"Retry-After": "300"}, json={"error": "Too many requests"}
    )
    now = timezone.now()
    stats = collect.collect_due(now=now)
    assert stats.errors == 1
    state = ChannelCollection.objects.get(channel=mastodon)
    assert now + timedelta(seconds=290) <= state.blocked_until <= now + timedelta(seconds=301)
    assert MetricPoll.objects.get(target__channel=mastodon).polls == 0
