"""The ageing schedule of post metric collection (pure, no database; docs/metrics.md).

A post's figures move fast in its first hours and hardly at all after a few weeks, so a post is polled
less often as it ages (age = time since publication):

==================  ===============
age                 poll every
==================  ===============
under 1 day         1 hour
1 to 7 days         6 hours
7 to 30 days        1 day
30 to 90 days       7 days
90 days and more    never again
==================  ===============

One last reading is taken at the 90-day mark (a poll whose next time would fall after it is moved to it);
the reading taken at 90 days or later is the last.
"""

from __future__ import annotations

from datetime import datetime, timedelta

STEPS: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(days=1), timedelta(hours=1)),
    (timedelta(days=7), timedelta(hours=6)),
    (timedelta(days=30), timedelta(days=1)),
    (timedelta(days=90), timedelta(days=7)),
)
HORIZON = STEPS[-1][0]


def interval(age: timedelta) -> timedelta | None:
    """How long to wait after a reading taken at ``age``; None when the post is no longer polled."""
    for limit, every in STEPS:
        if age < limit:
            return every
    return None


def next_due(published_at: datetime, polled_at: datetime) -> datetime | None:
    """When the next reading is due after one taken at ``polled_at``; None: stop."""
    every = interval(polled_at - published_at)
    if every is None:
        return None
    due = polled_at + every
    return min(due, published_at + HORIZON)


def first_due(published_at: datetime, now: datetime) -> datetime | None:
    """When a newly tracked post is first due: at once, unless it is already past the horizon."""
    if now - published_at >= HORIZON:
        return None
    return max(published_at, min(now, published_at + HORIZON))
