"""The collection job against scripted connectors: what it stores, the ageing schedule, errors isolated
per channel, the channel lease, batching and the time bound."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from portevoix.channels.models import ChannelStatus
from portevoix.connectors.errors import RateLimited, ReauthRequired, Transient
from portevoix.connectors.types import PostMetrics
from portevoix.core.scheduling import registry as periodic_registry
from portevoix.metrics import tasks  # noqa: F401  (registers the periodic job)
from portevoix.metrics.models import (
    ChannelCollection,
    FollowerDaily,
    FollowerSnapshot,
    MetricPoll,
    PostMetricLatest,
    PostMetricSnapshot,
    Source,
)
from portevoix.metrics.services import collect
from portevoix.publishing.models import TargetState

pytestmark = pytest.mark.django_db


def test_the_job_is_registered():
    job = periodic_registry.get("metrics.collect")
    assert job is not None
    assert job.every == timedelta(minutes=10)


def test_collects_metrics_and_followers_keeping_none(script, make_channel, make_published):
    channel = make_channel(external_id="chan-a")
    fresh = make_published(channel, age=timedelta(hours=2), remote_id="p1")
    older = make_published(channel, age=timedelta(days=3), remote_id="p2")
    make_published(channel, age=timedelta(days=100), remote_id="old")  # past the horizon: never tracked
    make_published(channel, remote_id="", age=timedelta(hours=1))  # no remote id (manual): not tracked
    make_published(channel, state=TargetState.FAILED, remote_id="f1")
    script.metrics = {
        "p1": PostMetrics(remote_id="p1", views=None, likes=10, comments=2, shares=1, quotes=0),
        "p2": PostMetrics(remote_id="p2", views=500, likes=7, comments=0, shares=None),
    }
    script.followers["chan-a"] = 1234
    now = timezone.now()

    stats = collect.collect_due(now=now)

    assert stats.channels == 1
    assert stats.posts == 2
    assert stats.snapshots == 2
    assert stats.followers == 1
    assert stats.errors == 0
    latest = PostMetricLatest.objects.get(target=fresh)
    assert (latest.views, latest.likes, latest.comments, latest.shares, latest.quotes) == (None, 10, 2, 1, 0)
    assert latest.reach is None
    assert latest.saves is None
    assert latest.source == Source.API
    assert latest.post_id == fresh.post_id
    snap = PostMetricSnapshot.objects.get(target=older)
    assert (snap.views, snap.likes, snap.shares, snap.workspace_id) == (500, 7, None, channel.workspace_id)
    assert set(MetricPoll.objects.values_list("target__remote_id", flat=True)) == {"p1", "p2"}
    poll_fresh = MetricPoll.objects.get(target=fresh)
    poll_older = MetricPoll.objects.get(target=older)
    assert poll_fresh.next_due_at - poll_fresh.last_polled_at == timedelta(hours=1)
    assert poll_older.next_due_at - poll_older.last_polled_at == timedelta(hours=6)
    assert FollowerSnapshot.objects.get(channel=channel).followers == 1234
    daily = FollowerDaily.objects.get(channel=channel)
    assert daily.followers == 1234
    assert daily.day == timezone.localtime(daily.collected_at, channel.workspace.tzinfo).date()
    state = ChannelCollection.objects.get(channel=channel)
    assert state.lease_owner == ""
    assert state.lease_until is None
    assert state.last_error == ""
    assert state.followers_due_at == now + timedelta(hours=6)

    # Nothing is due right after: a second run calls nothing.
    script.calls.clear()
    again = collect.collect_due(now=timezone.now())
    assert script.calls == []
    assert again.channels == 0
    # An hour later, only the fresh post is due again.
    later = collect.collect_due(now=poll_fresh.next_due_at + timedelta(seconds=1))
    assert later.posts == 1
    assert script.calls == [("chan-a", "metrics", ("p1",))]
    assert PostMetricSnapshot.objects.filter(target=fresh).count() == 2


def test_followers_only_network_and_deleted_posts(script, make_channel, make_published):
    counting = make_channel("countnet", external_id="count-1")
    script.followers["count-1"] = 77
    channel = make_channel(external_id="chan-b")
    gone = make_published(channel, remote_id="deleted")  # the network no longer returns it
    collect.collect_due()
    assert FollowerDaily.objects.get(channel=counting).followers == 77
    assert not MetricPoll.objects.filter(channel_id=counting.pk).exists()
    poll = MetricPoll.objects.get(target=gone)
    assert poll.polls == 1
    assert poll.next_due_at > timezone.now()
    assert not PostMetricSnapshot.objects.filter(target=gone).exists()


def test_errors_stay_with_their_channel(script, make_channel, make_published):
    limited = make_channel(external_id="limited")
    revoked = make_channel(external_id="revoked")
    flaky = make_channel(external_id="flaky")
    broken = make_channel(external_id="broken")
    healthy = make_channel(external_id="healthy")
    for channel in (limited, revoked, flaky, broken, healthy):
        make_published(channel, remote_id=f"{channel.external_id}-1")
    script.metrics["healthy-1"] = PostMetrics(remote_id="healthy-1", likes=3)
    script.errors = {
        "limited": RateLimited("Slow down.", retry_after=120),
        "revoked": ReauthRequired("The token was revoked."),
        "flaky": Transient("503."),
        "broken": RuntimeError("a bug"),
    }
    now = timezone.now()

    stats = collect.collect_due(now=now)

    assert stats.channels == 5
    assert stats.errors == 4
    assert PostMetricLatest.objects.get(target__channel=healthy).likes == 3
    limited_state = ChannelCollection.objects.get(channel=limited)
    assert limited_state.blocked_until == now + timedelta(seconds=120)
    assert "Slow down" in limited_state.last_error
    revoked.refresh_from_db()
    assert revoked.status == ChannelStatus.NEEDS_REAUTH
    assert "revoked" in revoked.last_error
    assert ChannelCollection.objects.get(channel=revoked).blocked_until == now + collect.AUTH_HOLD
    flaky_state = ChannelCollection.objects.get(channel=flaky)
    assert flaky_state.blocked_until is None
    assert flaky_state.last_error == "503."
    assert MetricPoll.objects.get(target__channel=flaky).next_due_at <= now  # still due: retried next run
    broken_state = ChannelCollection.objects.get(channel=broken)
    assert broken_state.last_error == "RuntimeError"
    assert broken_state.blocked_until == now + collect.FAILURE_HOLD
    assert all(state.lease_owner == "" for state in ChannelCollection.objects.all())

    # Next run: the rate-limited, revoked and broken channels are held back; the flaky one is tried again.
    script.calls.clear()
    script.errors.pop("flaky")
    collect.collect_due(now=now + timedelta(seconds=60))
    assert {call[0] for call in script.calls} == {"flaky"}
    assert ChannelCollection.objects.get(channel=flaky).last_error == ""


def test_a_claimed_channel_is_taken_by_one_worker_only(script, make_channel, make_published):
    channel = make_channel()
    make_published(channel)
    collect.polls_sync(now=timezone.now())
    ChannelCollection.objects.create(channel=channel)
    now = timezone.now()
    first = collect.claim(channel.pk, now)
    assert first is not None
    assert collect.claim(channel.pk, now) is None  # held
    # A second run while the lease holds skips the channel.
    stats = collect.collect_due(now=now)
    assert stats.channels == 0
    assert script.calls == []
    # The lease lapses (its worker died): another worker takes it over.
    assert collect.claim(channel.pk, now + collect.LEASE + timedelta(seconds=1)) not in (None, first)


def test_a_worker_that_lost_its_lease_writes_nothing(script, make_channel, make_published):
    channel = make_channel(external_id="slow")
    target = make_published(channel, remote_id="s1")
    script.metrics["s1"] = PostMetrics(remote_id="s1", likes=1)

    def taken_over() -> None:  # while the worker waits on the network, another one takes the channel
        ChannelCollection.objects.filter(channel_id=channel.pk).update(lease_owner="someone-else")

    script.on_fetch = taken_over
    collect.collect_due()
    assert not PostMetricSnapshot.objects.exists()
    assert MetricPoll.objects.get(target=target).polls == 0  # still due for the new owner
    assert ChannelCollection.objects.get(channel=channel).lease_owner == "someone-else"  # not released by us


def test_batches_and_time_bound(script, make_channel, make_published, monkeypatch):
    channel = make_channel(external_id="big")
    for number in range(150):
        make_published(channel, remote_id=f"b{number}")
    collect.collect_due()
    metric_calls = [call for call in script.calls if call[1] == "metrics"]
    assert [len(call[2]) for call in metric_calls] == [100, 50]

    other = make_channel(external_id="late")
    make_published(other)
    script.calls.clear()
    stats = collect.collect_due(deadline=0)
    assert stats.stopped_early
    assert stats.channels == 0
    assert script.calls == []


def test_disconnected_and_reauth_channels_are_left_alone(script, make_channel, make_published):
    make_published(make_channel(status=ChannelStatus.DISCONNECTED))
    make_published(make_channel(status=ChannelStatus.NEEDS_REAUTH))
    stats = collect.collect_due()
    assert stats.channels == 0
    assert script.calls == []


def test_expired_access_that_cannot_be_renewed_marks_the_channel(script, make_channel, make_published):
    from portevoix.connectors.errors import AuthExpired

    expired = make_channel(external_id="expired")
    make_published(expired)
    script.errors["expired"] = AuthExpired("The token expired.")
    now = timezone.now()
    stats = collect.collect_due(now=now)
    assert stats.errors == 1
    expired.refresh_from_db()
    assert expired.status == ChannelStatus.NEEDS_REAUTH  # metricnet has no token refresh
    state = ChannelCollection.objects.get(channel=expired)
    assert state.last_error == "The token expired."
    assert state.blocked_until == now + collect.FAILURE_HOLD
