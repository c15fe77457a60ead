"""The engine against the real database and a scripted network: every outcome, fencing, leases,
reconciliation, lateness, backoff and rate limits."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connections
from django.utils import timezone

from portevoix.channels.models import ChannelStatus
from portevoix.connectors.errors import (
    AuthExpired,
    ContentRejected,
    OutcomeUnknown,
    RateLimited,
    ReauthRequired,
    Transient,
)
from portevoix.connectors.types import Published
from portevoix.publishing import buckets, claims, dispatch
from portevoix.publishing.engine import Engine, execute
from portevoix.publishing.messages import Code
from portevoix.publishing.models import (
    Attempt,
    AttemptOutcome,
    Notification,
    NotificationKind,
    RateBucket,
    Target,
    TargetState,
)
from portevoix.publishing.tasks import send_alert_email_task
from portevoix.publishing.tests.conftest import claim_one, run_enqueued
from portevoix.publishing.tests.fakes import ACCEPT_THEN_TIMEOUT, PENDING
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def run(target: Target, worker: str = "w1") -> Target:
    fence = claim_one(target, worker)
    execute(target.pk, fence, worker)
    target.refresh_from_db()
    return target


def make_due(target: Target) -> None:
    Target.objects.filter(pk=target.pk).update(next_attempt_at=timezone.now())


def attempts(target: Target) -> list[tuple[str, str]]:
    return list(Attempt.objects.filter(target=target).order_by("number").values_list("kind", "outcome"))


# --- Success ------------------------------------------------------------------------------------------


def test_a_due_target_is_published_once_and_its_remote_id_stored(network, make_target, make_post):
    post = make_post("Base text", link="https://example.com/a", variants={"scripted": "Scripted variant"})
    target = run(make_target(post=post))
    assert target.state == TargetState.PUBLISHED
    assert target.remote_id == "1001"
    assert target.remote_url == "https://scripted.test/p/1001"
    assert target.published_at is not None
    assert target.lease_owner == ""
    assert target.lease_expires_at is None
    assert network.received(target.idempotency_key) == 1
    sent = network.sent[0]
    assert sent.text == "Scripted variant"
    assert sent.link == "https://example.com/a"
    assert len(target.idempotency_key) == 32
    assert sent.idempotency_key == target.idempotency_key
    assert attempts(target) == [("publish", AttemptOutcome.PUBLISHED)]
    attempt = Attempt.objects.get(target=target)
    assert attempt.fence == target.fence
    assert attempt.worker == "w1"
    assert attempt.remote_id == "1001"
    assert attempt.finished_at >= attempt.started_at


def test_without_a_variant_the_base_text_is_sent(network, make_target, make_post):
    target = run(make_target(post=make_post("Only the base", variants={"mastodon": "Other network"})))
    assert target.state == TargetState.PUBLISHED
    assert network.sent[0].text == "Only the base"


@pytest.mark.django_db(transaction=True)
def test_the_attempt_row_is_committed_before_the_network_is_called(network, make_target):
    target = make_target()
    seen: list[list[str]] = []

    def look_from_another_connection() -> None:
        try:
            seen.append(list(Attempt.objects.filter(target_id=target.pk).values_list("outcome", flat=True)))
        finally:
            connections.close_all()

    def publish(post) -> Published:
        thread = threading.Thread(target=look_from_another_connection)
        thread.start()
        thread.join()
        return Published(remote_id="spy-1")

    network.then(publish)
    target = run(target)
    assert seen == [[AttemptOutcome.STARTED]]
    assert target.state == TargetState.PUBLISHED
    assert target.remote_id == "spy-1"


# --- Temporary errors ---------------------------------------------------------------------------------


def test_a_transient_error_waits_with_backoff_then_succeeds(network, make_target):
    network.then(Transient("Scripted had a temporary problem (503)."))
    before = timezone.now()
    target = run(make_target())
    assert target.state == TargetState.RETRY_WAIT
    assert target.error_code == Code.TRANSIENT
    assert before <= target.next_attempt_at <= timezone.now() + timedelta(seconds=30)
    assert attempts(target) == [("publish", AttemptOutcome.RETRYABLE)]
    make_due(target)
    target = run(target)
    assert target.state == TargetState.PUBLISHED
    assert target.error_code == ""
    assert network.received(target.idempotency_key) == 2
    assert network.created[target.idempotency_key] == 1


def test_retry_after_is_honoured_and_blocks_the_account(network, make_target, make_post, channel):
    network.then(RateLimited("Slow down.", retry_after=120))
    before = timezone.now()
    target = run(make_target())
    assert target.state == TargetState.RETRY_WAIT
    assert target.error_code == Code.RATE_LIMITED
    assert (
        before + timedelta(seconds=120) <= target.next_attempt_at <= timezone.now() + timedelta(seconds=121)
    )
    blocked = RateBucket.objects.get(key=buckets.account_key(channel.pk)).blocked_until
    assert blocked >= before + timedelta(seconds=120)
    # Another post of the same account is not sent during the block: it is given back for later.
    other = run(make_target(post=make_post("Other")))
    assert other.state == TargetState.SCHEDULED
    assert other.next_attempt_at >= before + timedelta(seconds=119)
    assert network.received(other.idempotency_key) == 0
    assert Attempt.objects.filter(target=other).count() == 0


def test_after_max_attempts_the_target_fails_and_the_team_is_told(network, make_target, settings):
    settings.PORTEVOIX_PUBLISH_MAX_ATTEMPTS = 3
    network.then(*[Transient("Down.") for _ in range(3)])
    target = make_target()
    for _ in range(3):
        target = run(target)
        make_due(target)
    assert target.state == TargetState.FAILED
    assert target.error_code == Code.GAVE_UP
    assert "3 attempts" in target.error_message
    assert Notification.objects.filter(kind=NotificationKind.FAILED, targets=target).exists()


def test_a_retry_that_would_come_too_late_fails_as_late(network, make_target, settings):
    settings.PORTEVOIX_PUBLISH_LATENESS_CUTOFF = 60
    network.then(RateLimited("Slow down.", retry_after=600))
    target = run(make_target())
    assert target.state == TargetState.FAILED
    assert target.error_code == Code.TOO_LATE
    assert Notification.objects.filter(kind=NotificationKind.LATE).count() == 1


# --- Permanent errors and authorisation ---------------------------------------------------------------


def test_content_rejected_fails_with_the_networks_message_and_mails_the_leads(
    network, make_target, team, django_capture_on_commit_callbacks
):
    network.then(ContentRejected("Scripted refused the post (422).", problems=["Text too long."]))
    with django_capture_on_commit_callbacks(execute=True):
        target = run(make_target())
    assert mail.outbox == []  # sent by a task, never by the worker that publishes
    assert run_enqueued(send_alert_email_task) == 1
    assert target.state == TargetState.FAILED
    assert target.error_code == Code.REJECTED
    assert "Text too long." in target.error_message
    assert attempts(target) == [("publish", AttemptOutcome.REJECTED)]
    notification = Notification.objects.get(kind=NotificationKind.FAILED)
    assert list(notification.targets.all()) == [target]
    assert "Text too long." in notification.message
    recipients = sorted(address for message in mail.outbox for address in message.to)
    assert recipients == sorted([team.user(Role.OWNER).email, team.user(Role.MANAGER).email])
    assert "could not be published" in mail.outbox[0].subject
    assert network.received(target.idempotency_key) == 1


def test_alert_emails_are_not_repeated_within_the_cooldown(
    network, make_target, make_post, django_capture_on_commit_callbacks
):
    network.then(ContentRejected("No."), ContentRejected("No again."))
    with django_capture_on_commit_callbacks(execute=True):
        run(make_target())
        run(make_target(post=make_post("Second")))
    assert run_enqueued(send_alert_email_task) == 1
    assert Notification.objects.filter(kind=NotificationKind.FAILED).count() == 2
    assert len(mail.outbox) == 2  # the first alert, to the owner and the manager; the second is in-app only


def test_reauth_required_fails_and_marks_the_channel(network, make_target, channel):
    network.then(ReauthRequired("Scripted refused the request (403)."))
    target = run(make_target())
    assert target.state == TargetState.FAILED
    assert target.error_code == Code.REAUTH_REQUIRED
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    assert Notification.objects.filter(kind=NotificationKind.NEEDS_REAUTH, channel=channel).exists()


def test_an_expired_token_is_refreshed_once_then_the_post_is_sent(network, make_target, channel):
    network.then(AuthExpired("Scripted refused the credentials (401)."))
    target = run(make_target())
    assert target.state == TargetState.PUBLISHED
    assert network.refreshes == 1
    assert network.tokens_seen[-1] == "fresh-token-1"
    assert attempts(target) == [
        ("publish", AttemptOutcome.AUTH),
        ("refresh", AttemptOutcome.REFRESHED),
        ("publish", AttemptOutcome.PUBLISHED),
    ]
    channel.refresh_from_db()
    assert channel.credentials.reveal()["access_token"] == "fresh-token-1"
    assert channel.status == ChannelStatus.ACTIVE


def test_a_token_still_refused_after_a_refresh_needs_reconnection(network, make_target, channel):
    network.then(AuthExpired("401"), AuthExpired("401 again"))
    target = run(make_target())
    assert target.state == TargetState.FAILED
    assert target.error_code == Code.REAUTH_REQUIRED
    assert network.refreshes == 1
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_REAUTH


def test_a_network_that_cannot_refresh_needs_reconnection(network, make_target, make_channel):
    channel = make_channel("scripted-norefresh")
    network.then(AuthExpired("401"))
    target = run(make_target(channel=channel))
    assert target.state == TargetState.FAILED
    assert "reconnect" in target.error_message
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    assert network.refreshes == 0


def test_a_channel_needing_reconnection_fails_its_posts_without_sending(network, make_target, channel):
    Target.objects.all().delete()
    channel.status = ChannelStatus.NEEDS_REAUTH
    channel.save()
    target = run(make_target())
    assert target.state == TargetState.FAILED
    assert target.error_code == Code.CHANNEL_UNAVAILABLE
    assert network.sent == []


# --- Ambiguous outcomes and reconciliation ---------------------------------------------------------------


def test_a_timeout_after_the_network_accepted_is_reconciled_not_resent(network, make_target, settings):
    network.then(ACCEPT_THEN_TIMEOUT)
    before = timezone.now()
    target = run(make_target())
    assert target.state == TargetState.RETRY_WAIT
    assert target.reconcile_since is not None
    assert target.next_attempt_at >= before + timedelta(seconds=30)  # the reconcile delay
    make_due(target)
    target = run(target)
    assert target.state == TargetState.PUBLISHED
    assert network.received(target.idempotency_key) == 1
    assert target.remote_id == network.held[target.idempotency_key].remote_id
    assert target.reconcile_since is None
    assert attempts(target) == [("publish", AttemptOutcome.UNKNOWN), ("lookup", AttemptOutcome.RECONCILED)]
    first_start = Attempt.objects.get(target=target, number=1).started_at
    assert network.lookups == [(target.idempotency_key, first_start)]


def test_a_timeout_before_the_network_got_it_is_looked_up_then_sent(network, make_target):
    network.then(OutcomeUnknown("Scripted did not answer in time."))
    target = run(make_target())
    make_due(target)
    target = run(target)
    assert target.state == TargetState.PUBLISHED
    assert network.received(target.idempotency_key) == 2
    assert network.created[target.idempotency_key] == 1
    assert attempts(target) == [
        ("publish", AttemptOutcome.UNKNOWN),
        ("lookup", AttemptOutcome.NOT_FOUND),
        ("publish", AttemptOutcome.PUBLISHED),
    ]


def test_ambiguous_failures_that_never_reach_the_network_stop_at_the_attempt_limit(
    network, make_target, settings
):
    settings.PORTEVOIX_PUBLISH_MAX_ATTEMPTS = 2
    network.then(OutcomeUnknown("timeout"), OutcomeUnknown("timeout again"))
    target = make_target()
    for _ in range(3):  # publish, lookup + publish, lookup -> gives up
        target = run(target)
        make_due(target)
    assert target.state == TargetState.FAILED
    assert target.error_code == Code.GAVE_UP
    assert network.received(target.idempotency_key) == 2
    assert network.created[target.idempotency_key] == 0


def test_a_post_deleted_after_its_claim_is_not_sent(network, make_target):
    target = make_target()
    fence = claim_one(target)
    engine = Engine("w1")
    jobs = engine.prepare([(target.pk, fence)])
    target.post.delete()
    started, held = engine.begin(jobs)
    assert (started, held) == ([], [])
    assert network.sent == []


def test_an_unexpected_exception_is_treated_as_ambiguous(network, make_target):
    network.then(RuntimeError("connector bug"))
    target = run(make_target())
    assert target.state == TargetState.RETRY_WAIT
    assert target.reconcile_since is not None
    assert target.error_code == Code.UNEXPECTED


def test_when_the_network_cannot_be_asked_the_target_is_unconfirmed_and_never_resent(
    network, make_target, make_channel
):
    channel = make_channel("scripted-nolookup")
    network.then(ACCEPT_THEN_TIMEOUT)
    target = run(make_target(channel=channel))
    make_due(target)
    target = run(target)
    assert target.state == TargetState.UNCONFIRMED
    assert target.error_code == Code.OUTCOME_UNKNOWN
    assert network.received(target.idempotency_key) == 1
    assert Notification.objects.filter(kind=NotificationKind.UNCONFIRMED, targets=target).exists()
    assert claims.claim_due("w9", 10, timezone.now() + timedelta(days=1)) == []


def test_a_lookup_that_fails_for_a_while_is_tried_again_later(network, make_target):
    network.then(OutcomeUnknown("timeout"))
    network.lookup.append(Transient("Down."))
    target = run(make_target())
    make_due(target)
    target = run(target)
    assert target.state == TargetState.RETRY_WAIT
    assert target.reconcile_since is not None  # still to be reconciled
    make_due(target)
    target = run(target)
    assert target.state == TargetState.PUBLISHED
    assert network.created[target.idempotency_key] == 1


# --- Leases and fencing -------------------------------------------------------------------------------


@pytest.mark.parametrize("network_got_it", [True, False])
def test_an_expired_lease_is_recovered_through_reconciliation(network, make_target, network_got_it):
    target = make_target()
    fence = claim_one(target, "dead-worker")
    dead = Engine("dead-worker")
    jobs = dead.prepare([(target.pk, fence)])
    started, _held = dead.begin(jobs)  # the attempt row is written... then the worker dies
    assert len(started) == 1
    if network_got_it:
        network.held[target.idempotency_key] = Published(remote_id="777", url="https://scripted.test/p/777")
        network.created[target.idempotency_key] += 1
    # Not before the lease ends:
    assert claims.claim_due("w2", 10, timezone.now()) == []
    later = timezone.now() + timedelta(seconds=200)
    new_fence = claim_one(target, "w2", now=later)
    assert new_fence == fence + 1
    execute(target.pk, new_fence, "w2")
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED
    assert network.created[target.idempotency_key] == 1
    first = Attempt.objects.get(target=target, number=1)
    assert first.outcome == AttemptOutcome.ABANDONED
    assert first.worker == "dead-worker"
    if network_got_it:
        assert target.remote_id == "777"
        assert attempts(target)[1:] == [("lookup", AttemptOutcome.RECONCILED)]
        assert network.sent == []
    else:
        assert attempts(target)[1:] == [
            ("lookup", AttemptOutcome.NOT_FOUND),
            ("publish", AttemptOutcome.PUBLISHED),
        ]


def test_a_stale_workers_result_is_ignored(network, make_target):
    target = make_target()
    fence = claim_one(target, "slow")
    slow = Engine("slow")
    jobs = slow.prepare([(target.pk, fence)])
    started, _held = slow.begin(jobs)
    network.then(ContentRejected("Refused."))
    result = Engine.call(started[0])  # the network refuses... but the slow worker's lease expires first
    assert result.error is not None
    taken = claim_one(target, "fast", now=timezone.now() + timedelta(seconds=200))
    execute(target.pk, taken, "fast")
    slow.finish([result])  # arrives late: must not turn the published target into a failed one
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED
    assert target.fence == taken
    assert target.error_code == ""
    assert not Notification.objects.exists()
    stale = Attempt.objects.get(target=target, number=1)
    assert stale.outcome == AttemptOutcome.REJECTED  # its own history is still recorded


def test_a_stale_worker_that_published_lets_the_new_owner_adopt_its_remote_id(
    network, make_target, make_channel
):
    channel = make_channel("scripted-nolookup")
    target = make_target(channel=channel)
    fence = claim_one(target, "slow")
    slow = Engine("slow")
    started, _held = slow.begin(slow.prepare([(target.pk, fence)]))
    result = Engine.call(started[0])  # published on the network
    later = timezone.now() + timedelta(seconds=200)
    taken = claim_one(target, "fast", now=later)
    slow.finish([result])  # stale: only its attempt row records the remote id
    execute(target.pk, taken, "fast")
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED  # adopted, although this network cannot be searched
    assert target.remote_id == result.value.remote_id
    assert network.created[target.idempotency_key] == 1


def test_a_target_claimed_twice_only_runs_under_the_newest_fence(network, make_target):
    target = make_target()
    old = claim_one(target, "a")
    new = claim_one(target, "b", now=timezone.now() + timedelta(seconds=200))
    assert execute(target.pk, old, "a") == TargetState.PUBLISHING  # nothing done under the old fence
    assert network.sent == []
    assert execute(target.pk, new, "b") == TargetState.PUBLISHED


# --- Lateness, prefetch, pending, manual networks -----------------------------------------------------


def test_a_target_claimed_after_the_lateness_cutoff_is_not_sent(network, make_target, settings):
    settings.PORTEVOIX_PUBLISH_LATENESS_CUTOFF = 3600
    target = run(make_target(due_in=-timedelta(hours=2)))
    assert target.state == TargetState.FAILED
    assert target.error_code == Code.TOO_LATE
    assert network.sent == []
    notification = Notification.objects.get(kind=NotificationKind.LATE)
    assert "too late" in notification.title


def test_a_target_claimed_early_is_sent_at_its_time(network, make_target, settings):
    settings.PORTEVOIX_PUBLISH_PREFETCH_SECONDS = 10
    target = make_target(due_in=timedelta(seconds=4))
    fence = claim_one(target, "w1", prefetch=timedelta(seconds=10))
    slept: list[float] = []
    execute(target.pk, fence, "w1", sleep=slept.append)
    assert len(slept) == 1
    assert 3 < slept[0] <= 4
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED


def test_a_post_the_network_is_still_processing_is_checked_later(network, make_target):
    network.then(PENDING)
    target = run(make_target())
    assert target.state == TargetState.PENDING_REMOTE
    assert target.remote_id
    network.held[target.idempotency_key] = Published(
        remote_id=target.remote_id, url="https://scripted.test/done"
    )
    make_due(target)
    target = run(target)
    assert target.state == TargetState.PUBLISHED
    assert target.remote_url == "https://scripted.test/done"
    assert attempts(target) == [
        ("publish", AttemptOutcome.PENDING_REMOTE),
        ("check", AttemptOutcome.PUBLISHED),
    ]


def test_a_network_without_a_publishing_api_hands_over_to_a_person(network, make_target, make_channel):
    channel = make_channel("scripted-manual")
    target = run(make_target(channel=channel))
    assert target.state == TargetState.UNCONFIRMED
    assert target.error_code == Code.MANUAL
    assert Notification.objects.filter(kind=NotificationKind.MANUAL).exists()


# --- Rate buckets --------------------------------------------------------------------------------------


def test_the_account_rate_bucket_holds_back_what_exceeds_the_declared_limit(
    network, make_target, make_post, make_channel
):
    channel = make_channel("scripted-limited")  # 2 per 60 s
    targets = [make_target(channel=channel, post=make_post(f"Post {n}")) for n in range(3)]
    stats = dispatch.run(concurrency=1, stop=lambda: False)
    assert stats.claimed == 3
    for target in targets:
        target.refresh_from_db()
    assert [t.state for t in targets] == [TargetState.PUBLISHED, TargetState.PUBLISHED, TargetState.SCHEDULED]
    held = targets[2]
    assert held.next_attempt_at >= timezone.now() + timedelta(seconds=25)
    assert Attempt.objects.filter(target=held).count() == 0
    assert len(network.sent) == 2


def test_buckets_refill_with_time():
    now = timezone.now()
    bucket = buckets.Bucket("account:test:2/10s", capacity=2, per_seconds=10)
    assert buckets.take([[bucket], [bucket], [bucket]], now) == [0.0, 0.0, pytest.approx(5.0)]
    assert buckets.take([[bucket]], now + timedelta(seconds=5)) == [0.0]
    assert buckets.take([[bucket]], now + timedelta(seconds=5)) == [pytest.approx(5.0)]
