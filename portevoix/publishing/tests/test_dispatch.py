"""The dispatch loop: claims, prefetch, the thread pool, fan-out, leases and a graceful stop; the task."""

from __future__ import annotations

import signal
import time
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from portevoix.connectors.base import pause
from portevoix.connectors.types import Published
from portevoix.core import scheduling
from portevoix.publishing import dispatch
from portevoix.publishing.dispatch import Dispatcher
from portevoix.publishing.models import Attempt, Target, TargetState
from portevoix.publishing.tasks import publish_due

pytestmark = pytest.mark.django_db


def states_of(targets: list[Target]) -> list[str]:
    return [Target.objects.get(pk=t.pk).state for t in targets]


def never() -> bool:
    return False


def test_a_run_publishes_everything_due_then_returns(network, make_target, make_post):
    targets = [make_target(post=make_post(f"Post {n}")) for n in range(5)]
    later = make_target(post=make_post("later"), due_in=timedelta(hours=1))
    stats = dispatch.run(concurrency=1, stop=never)
    assert states_of(targets) == [TargetState.PUBLISHED] * 5
    assert states_of([later]) == [TargetState.SCHEDULED]
    assert (stats.claimed, stats.started, stats.finished) == (5, 5, 5)
    assert sorted(network.created.values()) == [1] * 5


def test_calls_run_in_the_pool_while_this_thread_keeps_the_database(network, make_target, make_post):
    def slow(post):
        pause(0.2)  # a connector waits through pause(), letting the pool's other calls run
        return Published(remote_id=f"slow-{post.idempotency_key[:6]}")

    network.then(*[slow] * 8)
    targets = [make_target(post=make_post(f"Post {n}")) for n in range(8)]
    started = time.monotonic()
    stats = dispatch.run(concurrency=8, stop=never)
    elapsed = time.monotonic() - started
    assert states_of(targets) == [TargetState.PUBLISHED] * 8
    assert stats.finished == 8
    assert elapsed < 1.2  # eight 0.2 s calls side by side, not one after the other


def test_targets_claimed_ahead_are_sent_at_their_time(network, make_target, settings):
    settings.PORTEVOIX_PUBLISH_PREFETCH_SECONDS = 5
    due_in = timedelta(seconds=0.6)
    target = make_target(due_in=due_in)
    dispatch.run(concurrency=1, stop=never)
    target.refresh_from_db()
    attempt = Attempt.objects.get(target=target)
    assert target.state == TargetState.PUBLISHED
    lateness = (attempt.started_at - target.due_at).total_seconds()
    assert 0 <= lateness < 0.3


def test_a_full_claim_asks_another_worker_to_join(network, make_target, make_post, settings):
    settings.PORTEVOIX_PUBLISH_BATCH = 2
    for n in range(5):
        make_target(post=make_post(f"Post {n}"))
    calls: list[int] = []
    stats = dispatch.run(concurrency=1, stop=never, on_full_batch=lambda: calls.append(1))
    assert calls == [1]  # once per run
    assert stats.extra_runs == 1
    assert stats.claimed == 5


def test_a_stopping_worker_gives_back_what_it_has_not_started(network, make_target, settings):
    settings.PORTEVOIX_PUBLISH_PREFETCH_SECONDS = 10
    target = make_target(due_in=timedelta(seconds=5))
    asked = iter([False, True])
    stats = dispatch.run(concurrency=1, stop=lambda: next(asked, True))
    target.refresh_from_db()
    assert stats.claimed == 1
    assert stats.released == 1
    assert target.state == TargetState.SCHEDULED
    assert target.next_attempt_at == target.due_at
    assert target.lease_owner == ""
    assert not Attempt.objects.filter(target=target).exists()
    assert network.sent == []


def test_the_dispatcher_renews_the_leases_it_holds(make_target, settings):
    target = make_target(due_in=timedelta(seconds=5))
    dispatcher = Dispatcher("renewer", concurrency=1)
    from portevoix.publishing import claims

    got = claims.claim_due(
        "renewer", 10, timezone.now(), prefetch=timedelta(seconds=10), lease=timedelta(seconds=1)
    )
    dispatcher.push(dispatcher.engine.prepare(got))
    before = Target.objects.get(pk=target.pk).lease_expires_at
    dispatcher._renew()
    after = Target.objects.get(pk=target.pk).lease_expires_at
    assert after > before + timedelta(seconds=10)


def test_worker_stopping_reads_the_task_workers_flag():
    worker = SimpleNamespace(running=True)

    class Handler:
        def __init__(self, owner):
            self.owner = owner

        def handle(self, signum, frame):  # pragma: no cover - never delivered
            pass

    holder = Handler(worker)
    bound = holder.handle
    previous = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, bound)
        holder.running = True
        assert dispatch.worker_stopping() is False
        holder.running = False
        assert dispatch.worker_stopping() is True
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_the_task_runs_the_dispatcher_and_is_a_periodic_job(network, make_target):
    target = make_target()
    result = publish_due.call()
    assert result["claimed"] == 1
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED
    scheduling.load_periodic_jobs()
    job = scheduling.registry.get("publishing.dispatch")
    assert job is not None
    assert job.task_path == publish_due.module_path
    assert job.every <= timedelta(seconds=10)
