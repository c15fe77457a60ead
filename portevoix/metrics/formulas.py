"""The engagement formulas of METRICS.md, as pure functions (docs/metrics.md).

Every function returns ``None`` when an input it needs is not available (``None``) or when it would divide
by zero: a figure a network does not give is "not available", never 0. Rates are percentages.

- engagements = likes (reactions) + comments + shares (reposts and quotes) + saves, each where the network
  reports it; None when the network reports none of them.
- ER (by followers) = engagements / followers at publication x 100.
- ERR (by reach) = engagements / reach x 100, or / views where the network gives no reach.
- LR (love rate) = likes / followers x 100; TR (talk rate) = comments / followers x 100;
  amplification = shares / followers x 100; virality = shares / views x 100.
- channel ER over a period = sum of engagements / number of posts / average followers x 100.
- ER per day = engagements of the day's posts / followers of the day x 100.
"""

from __future__ import annotations

from collections.abc import Iterable


def _sum(values: Iterable[int | None]) -> int | None:
    known = [value for value in values if value is not None]
    return sum(known) if known else None


def rate(numerator: int | float | None, denominator: int | float | None) -> float | None:
    """numerator / denominator x 100; None when either is unknown or the denominator is 0 (or negative)."""
    if numerator is None or denominator is None or denominator <= 0:
        return None
    return numerator / denominator * 100


def shares_total(shares: int | None, quotes: int | None = None) -> int | None:
    """Reposts plus quotes (a quote is a repost with a comment, Bluesky and Mastodon count them apart)."""
    return _sum((shares, quotes))


def engagements(
    *,
    likes: int | None,
    comments: int | None,
    shares: int | None,
    saves: int | None = None,
    quotes: int | None = None,
) -> int | None:
    return _sum((likes, comments, shares, quotes, saves))


def er(engagements: int | None, followers: int | None) -> float | None:
    return rate(engagements, followers)


def err(engagements: int | None, *, reach: int | None, views: int | None) -> float | None:
    return rate(engagements, reach if reach is not None else views)


def love_rate(likes: int | None, followers: int | None) -> float | None:
    return rate(likes, followers)


def talk_rate(comments: int | None, followers: int | None) -> float | None:
    return rate(comments, followers)


def amplification(shares: int | None, followers: int | None) -> float | None:
    return rate(shares, followers)


def virality(shares: int | None, views: int | None) -> float | None:
    return rate(shares, views)


def er_channel(post_engagements: Iterable[int | None], followers: Iterable[int | None]) -> float | None:
    """Sum of engagements of the posts / number of posts / average followers x 100. Posts whose engagements
    are not available are left out (and not counted); None when none is known or no follower count is."""
    known = [value for value in post_engagements if value is not None]
    counts = [value for value in followers if value is not None]
    if not known or not counts:
        return None
    average = sum(counts) / len(counts)
    return rate(sum(known) / len(known), average)


def er_day(day_engagements: Iterable[int | None], followers: int | None) -> float | None:
    return rate(_sum(day_engagements), followers)
