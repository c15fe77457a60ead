"""The engine's batched steps: attempt rows for a batch committed before any of its calls, fences checked
row by row inside the batched writes, confirmed publications recorded in one batch, and the dispatcher
arming targets ahead of their time without ever calling the network early."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from portevoix.connectors.base import pause
from portevoix.connectors.types import Published
from portevoix.publishing import claims, dispatch
from portevoix.publishing.engine import Engine, Result
from portevoix.publishing.models import Attempt, AttemptOutcome, Target, TargetState

pytestmark = pytest.mark.django_db


def never() -> bool:
    return False


def claim_all(worker: str = "w1", **kwargs) -> list[tuple[int, int]]:
    return claims.claim_due(worker, 100, timezone.now(), **kwargs)


def steal(target: Target) -> None:
    """Another worker takes the target over: its fence moves on."""
    Target.objects.filter(pk=target.pk).update(
        fence=Target.objects.get(pk=target.pk).fence + 1, lease_owner="w2"
    )


def test_every_attempt_of_a_batch_is_written_before_the_first_call(network, make_target, make_post):
    targets = [make_target(post=make_post(f"Post {n}")) for n in range(5)]
    keys = {target.idempotency_key for target in targets}
    seen: list[dict[str, str]] = []

    def check(post):
        # What the database holds when the network receives this request: every target of the batch
        # already has its started attempt, this one included.
        rows = Attempt.objects.filter(target__idempotency_key__in=keys).values_list(
            "target__idempotency_key", "outcome"
        )
        seen.append(dict(rows))
        return Published(remote_id=f"r-{post.idempotency_key[:8]}")

    network.then(*[check] * 5)
    dispatch.run(concurrency=1, stop=never)
    assert len(seen) == 5
    first = seen[0]
    assert set(first) == keys
    assert first[network.sent[0].idempotency_key] == AttemptOutcome.STARTED
    for snapshot in seen:
        assert set(snapshot) == keys  # one attempt per target, never a second one
    assert [Target.objects.get(pk=t.pk).state for t in targets] == [TargetState.PUBLISHED] * 5


def test_a_target_taken_over_before_begin_gets_no_attempt_and_no_call(network, make_target, make_post):
    targets = [make_target(post=make_post(f"Post {n}")) for n in range(4)]
    engine = Engine("w1")
    jobs = engine.prepare(claim_all())
    steal(targets[1])
    started, held = engine.begin(jobs)
    assert held == []
    assert sorted(job.target_id for job in started) == sorted(t.pk for t in targets if t is not targets[1])
    assert not Attempt.objects.filter(target=targets[1]).exists()
    assert Target.objects.get(pk=targets[1].pk).attempt_count == 0
    for target in (targets[0], targets[2], targets[3]):
        attempt = Attempt.objects.get(target=target)
        assert (attempt.number, attempt.outcome, attempt.worker) == (1, AttemptOutcome.STARTED, "w1")
        assert Target.objects.get(pk=target.pk).attempt_count == 1


def test_a_batch_of_confirmations_respects_each_fence(network, make_target, make_post):
    targets = [make_target(post=make_post(f"Post {n}")) for n in range(4)]
    engine = Engine("w1")
    started, _held = engine.begin(engine.prepare(claim_all()))
    steal(targets[2])  # taken over while its call was in flight
    results = [Result(job, Published(remote_id=f"remote-{job.target_id}", url=None)) for job in started]
    assert engine.finish(results) == []
    for target in targets:
        row = Target.objects.get(pk=target.pk)
        attempt = Attempt.objects.get(target=target)
        # The attempt keeps what the network answered, even for the target we lost (the new owner adopts
        # the remote id instead of sending again).
        assert (attempt.outcome, attempt.remote_id) == (AttemptOutcome.PUBLISHED, f"remote-{target.pk}")
        assert attempt.finished_at is not None
        if target is targets[2]:
            assert (row.state, row.remote_id, row.lease_owner) == (TargetState.PUBLISHING, "", "w2")
        else:
            assert (row.state, row.remote_id, row.lease_owner) == (
                TargetState.PUBLISHED,
                f"remote-{target.pk}",
                "",
            )
            assert row.published_at is not None
            assert row.lease_expires_at is None


def test_the_new_owner_adopts_what_a_stale_batch_recorded(network, make_target, make_post):
    target = make_target()
    engine = Engine("w1")
    started, _held = engine.begin(engine.prepare(claim_all()))
    Target.objects.filter(pk=target.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    new_owner = claim_all("w2")  # the lease lapsed: w2 takes over while w1's call is still out
    engine.finish([Result(started[0], Published(remote_id="remote-1"))])
    assert Target.objects.get(pk=target.pk).state == TargetState.PUBLISHING  # w1 wrote nothing to it
    Engine("w2").prepare(new_owner)
    row = Target.objects.get(pk=target.pk)
    assert (row.state, row.remote_id) == (TargetState.PUBLISHED, "remote-1")
    assert network.received(target.idempotency_key) == 0  # adopted, never sent again


def test_targets_are_armed_ahead_but_sent_at_their_time(network, make_target, make_post, settings):
    settings.PORTEVOIX_PUBLISH_PREFETCH_SECONDS = 5
    settings.PORTEVOIX_PUBLISH_START_AHEAD = 1.0
    due_in = timedelta(seconds=0.8)
    targets = [make_target(post=make_post(f"Post {n}"), due_in=due_in) for n in range(3)]
    sent_at: list[float] = []
    armed_when_sent: list[int] = []

    def record(post):
        sent_at.append(time.time())
        armed_when_sent.append(Attempt.objects.filter(target__in=targets).count())
        return Published(remote_id=f"r-{post.idempotency_key[:8]}")

    network.then(*[record] * 3)
    dispatch.run(concurrency=1, stop=never)
    due = targets[0].due_at.timestamp()
    assert len(sent_at) == 3
    assert all(at >= due for at in sent_at)  # never early
    assert max(sent_at) - due < 0.5
    assert armed_when_sent[0] == 3  # the three attempts were written together, ahead of the first call
    for attempt in Attempt.objects.filter(target__in=targets):
        assert attempt.started_at >= targets[0].due_at
        assert attempt.outcome == AttemptOutcome.PUBLISHED


def test_many_calls_in_flight_send_each_post_once(network, make_target, make_post):
    targets = [make_target(post=make_post(f"Post {n}")) for n in range(40)]

    def slow(post):
        pause(0.05)
        with network.lock:
            return network._create(post)

    network.then(*[slow] * 40)
    stats = dispatch.run(concurrency=16, stop=never)
    assert stats.finished == 40
    assert sorted(network.created.values()) == [1] * 40
    assert Target.objects.filter(pk__in=[t.pk for t in targets], state=TargetState.PUBLISHED).count() == 40
    assert Attempt.objects.filter(target__in=targets).count() == 40
    assert not Attempt.objects.filter(target__in=targets, outcome=AttemptOutcome.STARTED).exists()
