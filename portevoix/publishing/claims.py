"""Claiming due targets with a lease and a fencing token, renewing leases, giving targets back.

``claim_due`` is one conditional UPDATE ... RETURNING: it moves every due target it can get (scheduled or
waiting to retry, due within the prefetch window) to ``publishing``, names the worker and the end of its
lease, and increments ``fence``. On PostgreSQL the inner SELECT takes row locks with SKIP LOCKED, so
concurrent workers claim disjoint sets without waiting for each other; on SQLite the IMMEDIATE transaction
holds the database write lock, so claims are serialised and the state guard inside the UPDATE makes a
target claimable once. Either way a target is handed to exactly one worker per fence value.

The same statement also takes:
- targets stuck in ``publishing`` whose lease expired (their worker died or froze): the new owner finds
  the interrupted attempt and reconciles with the network before anything is sent again;
- targets in ``pending_remote`` due for a check (their state is kept; the lease only serialises checks).

Every later write of the engine is guarded by ``fence``: ``UPDATE ... WHERE id = %s AND fence = %s``. A
worker whose lease was taken over writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q

from portevoix.content.models import ApprovalState, Post
from portevoix.publishing import states
from portevoix.publishing.models import Target, TargetState

logger = logging.getLogger(__name__)

Claim = tuple[int, int]  # (target id, fence)


# A post waiting for its approvals (approvals app) is never sent, whatever its targets say: scheduling keeps
# such targets in "awaiting approval" already; this guards every other way a target could become due.
UNAPPROVED = (ApprovalState.DRAFT, ApprovalState.PENDING, ApprovalState.CHANGES_REQUESTED)


def _due(now: datetime, prefetch: timedelta) -> Q:
    return (
        Q(state__in=states.CLAIMABLE, next_attempt_at__lte=now + prefetch)
        & ~Q(post__approval_state__in=UNAPPROVED)
        | Q(state=TargetState.PUBLISHING, lease_expires_at__lt=now)
        | Q(state=TargetState.PENDING_REMOTE, next_attempt_at__lte=now)
        & (Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
    )


def has_due(now: datetime, prefetch: timedelta) -> bool:
    """A plain read, so that an idle claim loop never takes the write lock."""
    return Target.objects.filter(_due(now, prefetch)).exists()


def claim_due(
    worker_id: str,
    limit: int,
    now: datetime,
    *,
    prefetch: timedelta = timedelta(0),
    lease: timedelta = timedelta(seconds=60),
) -> list[Claim]:
    """Claim up to ``limit`` due targets for ``worker_id``; return their (id, fence) pairs.

    The lease runs until ``now + prefetch + lease``: long enough to wait for a target claimed early and
    to send it; the worker renews it while it works (``renew``).
    """
    if limit <= 0 or not has_due(now, prefetch):
        return []
    table = connection.ops.quote_name(Target._meta.db_table)
    dt = connection.ops.adapt_datetimefield_value
    claimable = ", ".join(f"'{state.value}'" for state in sorted(states.CLAIMABLE))
    lock = " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    posts = connection.ops.quote_name(Post._meta.db_table)
    unapproved = ", ".join(f"'{state.value}'" for state in UNAPPROVED)
    condition = (  # table names and states are ours; every value is a parameter
        f"(state IN ({claimable}) AND next_attempt_at <= %s AND NOT EXISTS (SELECT 1 FROM {posts} p"  # noqa: S608
        f"  WHERE p.id = {table}.post_id AND p.approval_state IN ({unapproved})))"
        f" OR (state = '{TargetState.PUBLISHING.value}' AND lease_expires_at < %s)"
        f" OR (state = '{TargetState.PENDING_REMOTE.value}' AND next_attempt_at <= %s"
        "      AND (lease_expires_at IS NULL OR lease_expires_at < %s))"
    )
    condition_params = [dt(now + prefetch), dt(now), dt(now), dt(now)]
    # The pick is a MATERIALIZED CTE, evaluated once: PostgreSQL may re-run a plain `IN (SELECT ... LIMIT n
    # FOR UPDATE SKIP LOCKED)` subquery while updating and then claim more than n rows.
    sql = (
        # Table name and states are ours; every value is a parameter.
        f"WITH picked AS MATERIALIZED (SELECT id FROM {table} WHERE {condition}"  # noqa: S608
        f"  ORDER BY next_attempt_at, id LIMIT %s{lock})"
        f" UPDATE {table} SET"
        f" state = CASE WHEN state = '{TargetState.PENDING_REMOTE.value}' THEN state"
        f"              ELSE '{TargetState.PUBLISHING.value}' END,"
        " lease_owner = %s, lease_expires_at = %s, fence = fence + 1, updated_at = %s"
        " WHERE id IN (SELECT id FROM picked)"
        f" AND ({condition})"
        " RETURNING id, fence"
    )
    params = [
        *condition_params,
        int(limit),
        worker_id[:100],
        dt(now + prefetch + lease),
        dt(now),
        *condition_params,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    claims = sorted((int(target_id), int(fence)) for target_id, fence in rows)
    if claims:
        logger.debug("Worker %s claimed %d target(s).", worker_id, len(claims))
    return claims


def renew(worker_id: str, target_ids: Iterable[int], now: datetime, *, lease: timedelta) -> int:
    """Extend the leases ``worker_id`` still holds (a lease taken over has another owner). Returns how
    many were extended."""
    ids = sorted(set(target_ids))
    renewed = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        renewed += Target.objects.filter(pk__in=chunk, lease_owner=worker_id[:100]).update(
            lease_expires_at=now + lease
        )
    return renewed


def owned(target_id: int, fence: int) -> Q:
    """The guard of every engine write: this target, still under this fence."""
    return Q(pk=target_id, fence=fence)
