"""Rate buckets shared by every worker: one token bucket per account and per network, in the database.

A connector declares its limits (``Limits.rate_limits``: so many requests per so many seconds, for one
account or for the whole network). Each limit is a bucket row holding its tokens and the instant they were
counted; taking a token refills the bucket for the time elapsed, then spends one. The rows are read and
written in the caller's transaction: on PostgreSQL under row locks (``SELECT ... FOR UPDATE``, in key order
so two workers never deadlock), on SQLite under the database write lock an IMMEDIATE transaction holds.

A 429 answer blocks the account's bucket until the network's Retry-After, so the other posts of that
account wait too instead of each earning its own 429.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db import transaction

from portevoix.channels.models import Channel
from portevoix.connectors.base import Connector
from portevoix.publishing.models import RateBucket


@dataclass(frozen=True)
class Bucket:
    key: str
    capacity: float | None = None  # None: no limit declared, only a block from a 429 applies
    per_seconds: float = 1.0

    @property
    def rate(self) -> float:
        return (self.capacity or 0) / self.per_seconds


def account_key(channel_id: int) -> str:
    return f"account:{channel_id}"


def buckets_for(channel: Channel, connector_class: type[Connector]) -> list[Bucket]:
    """The buckets a publish for ``channel`` spends from: the account's own key (for 429 blocks), then
    one per declared limit."""
    buckets = [Bucket(account_key(channel.pk))]
    host = urlsplit(channel.base_url or "").hostname or "-"
    for limit in connector_class.limits.rate_limits:
        if limit.requests <= 0 or limit.per_seconds <= 0:
            continue
        spec = f"{limit.requests}/{limit.per_seconds:g}s"
        if limit.scope == "network":
            key = f"network:{connector_class.key}:{host}:{spec}"
        else:
            key = f"account:{channel.pk}:{spec}"
        buckets.append(Bucket(key, capacity=float(limit.requests), per_seconds=float(limit.per_seconds)))
    return buckets


def take(requests: Sequence[Sequence[Bucket]], now: datetime) -> list[float]:
    """Spend one token from every bucket of each request, in order; the result is, per request, 0 when it
    may go now, or the seconds until it could (nothing is spent for a request that must wait)."""
    keys = sorted({bucket.key for request in requests for bucket in request})
    if not keys:
        return [0.0 for _request in requests]
    specs = {bucket.key: bucket for request in requests for bucket in request}
    with transaction.atomic():
        rows = {
            row.key: row
            for row in RateBucket.objects.select_for_update().filter(key__in=keys).order_by("key")
        }
        missing = [key for key in keys if key not in rows and specs[key].capacity is not None]
        if missing:
            RateBucket.objects.bulk_create(
                [RateBucket(key=key, tokens=specs[key].capacity or 0, updated_at=now) for key in missing],
                ignore_conflicts=True,
            )
            rows.update(
                {row.key: row for row in RateBucket.objects.select_for_update().filter(key__in=missing)}
            )
        changed: set[str] = set()
        for row in rows.values():
            spec = specs[row.key]
            if spec.capacity is not None:
                elapsed = max(0.0, (now - row.updated_at).total_seconds())
                refilled = min(spec.capacity, row.tokens + elapsed * spec.rate)
                if refilled != row.tokens or row.updated_at != now:
                    row.tokens, row.updated_at = refilled, now
                    changed.add(row.key)
        waits: list[float] = []
        for request in requests:
            wait = 0.0
            for bucket in request:
                found = rows.get(bucket.key)
                if found is None:
                    continue
                row = found
                if row.blocked_until is not None and row.blocked_until > now:
                    wait = max(wait, (row.blocked_until - now).total_seconds())
                if bucket.capacity is not None and row.tokens < 1.0:
                    wait = max(wait, (1.0 - row.tokens) / bucket.rate if bucket.rate > 0 else math.inf)
            if wait == 0.0:
                for bucket in request:
                    spent = rows.get(bucket.key)
                    if spent is not None and bucket.capacity is not None:
                        spent.tokens -= 1.0
                        changed.add(spent.key)
            waits.append(wait)
        if changed:
            RateBucket.objects.bulk_update([rows[key] for key in sorted(changed)], ["tokens", "updated_at"])
    return waits


def block(key: str, *, until: datetime, now: datetime) -> None:
    """Nothing spends from ``key`` before ``until`` (a 429 with Retry-After). Call inside a transaction."""
    updated = RateBucket.objects.filter(key=key).update(blocked_until=until)
    if not updated:
        RateBucket.objects.bulk_create(
            [RateBucket(key=key, tokens=0, updated_at=now, blocked_until=until)], ignore_conflicts=True
        )
        RateBucket.objects.filter(key=key, blocked_until__lt=until).update(blocked_until=until)


def blocked_until(key: str, now: datetime) -> datetime | None:
    row = RateBucket.objects.filter(key=key, blocked_until__gt=now).values_list("blocked_until", flat=True)
    return row.first()


def prune(now: datetime, *, older_than: timedelta = timedelta(days=1)) -> int:
    """Drop buckets nobody used for a day (a full bucket and a missing one behave the same)."""
    deleted, _rows = (
        RateBucket.objects.filter(updated_at__lt=now - older_than).exclude(blocked_until__gt=now).delete()
    )
    return deleted
