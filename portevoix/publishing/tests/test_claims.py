"""Claims: what is due, prefetch, leases, fencing, and the backoff policy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from portevoix.publishing import backoff, claims
from portevoix.publishing.models import Target, TargetState

pytestmark = pytest.mark.django_db


def test_a_claim_moves_due_targets_to_publishing_with_a_lease_and_a_new_fence(make_target):
    target = make_target(due_in=-timedelta(seconds=1))
    now = timezone.now()
    got = claims.claim_due("worker-a", 10, now, lease=timedelta(seconds=60))
    assert got == [(target.pk, 1)]
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHING
    assert target.lease_owner == "worker-a"
    assert target.lease_expires_at == now + timedelta(seconds=60)
    assert target.fence == 1
    assert claims.claim_due("worker-b", 10, now) == []  # claimed once


def test_only_due_scheduled_and_retrying_targets_are_claimed(make_target, make_post):
    due = make_target(post=make_post("due"))
    retrying = make_target(post=make_post("retrying"), state=TargetState.RETRY_WAIT)
    later = make_target(post=make_post("later"), due_in=timedelta(minutes=5))
    untouched = [
        make_target(post=make_post(state), state=state)
        for state in (
            TargetState.DRAFT,
            TargetState.AWAITING_APPROVAL,
            TargetState.FAILED,
            TargetState.UNCONFIRMED,
            TargetState.CANCELLED,
            TargetState.PUBLISHED,
        )
    ]
    got = dict(claims.claim_due("w", 100, timezone.now() + timedelta(seconds=1)))
    assert set(got) == {due.pk, retrying.pk}
    assert later.pk not in got
    assert all(Target.objects.get(pk=t.pk).state == t.state for t in untouched)


def test_targets_due_within_the_prefetch_window_are_claimed_early(make_target):
    soon = make_target(due_in=timedelta(seconds=8))
    assert claims.claim_due("w", 10, timezone.now(), prefetch=timedelta(seconds=5)) == []
    assert claims.claim_due("w", 10, timezone.now(), prefetch=timedelta(seconds=10)) == [(soon.pk, 1)]


def test_the_limit_is_respected_and_the_most_overdue_come_first(make_target, make_post):
    targets = [make_target(post=make_post(str(n)), due_in=-timedelta(seconds=n)) for n in range(5)]
    got = claims.claim_due("w", 2, timezone.now())
    assert [target_id for target_id, _fence in got] == sorted([targets[4].pk, targets[3].pk])
    assert len(claims.claim_due("w2", 10, timezone.now())) == 3


def test_an_expired_lease_is_taken_over_with_a_higher_fence(make_target):
    target = make_target()
    now = timezone.now()
    [(_id, first)] = claims.claim_due("a", 10, now, lease=timedelta(seconds=30))
    assert claims.claim_due("b", 10, now + timedelta(seconds=29)) == []
    [(_id, second)] = claims.claim_due("b", 10, now + timedelta(seconds=31))
    assert second == first + 1
    target.refresh_from_db()
    assert target.lease_owner == "b"
    assert target.state == TargetState.PUBLISHING


def test_a_renewed_lease_is_not_taken_over(make_target):
    target = make_target()
    now = timezone.now()
    claims.claim_due("a", 10, now, lease=timedelta(seconds=30))
    assert claims.renew("a", [target.pk], now + timedelta(seconds=20), lease=timedelta(seconds=30)) == 1
    assert claims.claim_due("b", 10, now + timedelta(seconds=40)) == []
    assert claims.renew("b", [target.pk], now, lease=timedelta(seconds=30)) == 0  # not b's lease


def test_pending_remote_targets_are_claimed_for_a_check_and_keep_their_state(make_target):
    target = make_target(state=TargetState.PENDING_REMOTE)
    got = claims.claim_due("w", 10, timezone.now())
    assert got == [(target.pk, 1)]
    target.refresh_from_db()
    assert target.state == TargetState.PENDING_REMOTE
    assert target.lease_owner == "w"
    assert claims.claim_due("w2", 10, timezone.now()) == []  # its lease serialises checks


def test_an_idle_claim_writes_nothing(make_target, django_assert_max_num_queries):
    make_target(due_in=timedelta(hours=1))
    with django_assert_max_num_queries(1):
        assert claims.claim_due("w", 10, timezone.now()) == []


# --- Backoff ---------------------------------------------------------------------------------------------

POLICY = backoff.Policy(base=30, cap=3600, max_attempts=8, first_retry=2)


def test_the_first_retry_comes_within_one_to_two_seconds():
    assert backoff.ceiling(1, POLICY) == 2.0
    draws = [backoff.delay(1, POLICY) for _ in range(200)]
    assert all(1.0 <= draw <= 2.0 for draw in draws)
    assert max(draws) - min(draws) > 0.5  # jittered, not one instant for every post that failed together


@given(failures=st.integers(min_value=2, max_value=200))
def test_backoff_stays_between_zero_and_the_capped_exponential_ceiling(failures):
    ceiling = min(3600.0, 30.0 * 2 ** (failures - 2))
    assert backoff.ceiling(failures, POLICY) == ceiling
    for _ in range(20):
        assert 0.0 <= backoff.delay(failures, POLICY) <= ceiling


@given(retry_after=st.floats(min_value=0, max_value=86400), failures=st.integers(min_value=1, max_value=20))
def test_retry_after_is_never_undercut(retry_after, failures):
    delay = backoff.delay(failures, POLICY, retry_after=retry_after)
    assert retry_after <= delay <= retry_after + 1.0


def test_backoff_draws_are_spread_out():
    draws = [backoff.delay(6, POLICY) for _ in range(200)]
    assert min(draws) < 200 < max(draws)  # full jitter over [0, 480]


def test_a_claim_never_takes_more_than_its_limit(make_target, make_post):
    # Regression: on PostgreSQL an `IN (SELECT ... LIMIT n FOR UPDATE SKIP LOCKED)` subquery was re-run
    # during the UPDATE and claimed every due target; the pick is now a materialised CTE.
    for n in range(5):
        make_target(post=make_post(f"Post {n}"))
    first = claims.claim_due("w1", 2, timezone.now())
    second = claims.claim_due("w2", 2, timezone.now())
    third = claims.claim_due("w3", 2, timezone.now())
    assert (len(first), len(second), len(third)) == (2, 2, 1)
    assert not {target for target, _ in first} & {target for target, _ in second}
