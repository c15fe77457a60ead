"""The dashboards' panels: plain functions over the roll-ups and the metrics' small tables, for the page, the
API and the reports (portevoix/reports calls them too). docs/dashboards.md describes every figure.

Signatures (all reads, scoped to ``filters.workspace``; every result is a JSON-ready dict: dates as
ISO strings, money as decimal strings, rates as percentages rounded to 2 places, and ``None`` for "not
available" — never 0 for a figure nobody gave):

    filters_make(workspace, start=None, end=None, *, channel=None, network=None, rubric=None) -> Filters
        Validates (ValidationFailed: reversed range, more than MAX_RANGE_DAYS, unknown channel/rubric).
        Default: the last 30 days up to today in the workspace's zone.
    preset_range(workspace, preset, now=None) -> (start, end)
        "7d", "30d", "90d", "this_month", "previous_month" (ValidationFailed otherwise).
    filters_from_choice(workspace, *, preset, start, end, channel, network, rubric) -> Filters
    filter_choices(workspace) -> {"channels": [(id, label)], "networks": [key], "rubrics": [(id, name)]}
    Filters.previous() -> Filters            the period of equal length just before.
    panel_followers(filters)    follower counts per day and growth per channel, and totals
    panel_posts(filters)        post metrics: totals, per post, per channel / network / rubric
    panel_best_worst(filters)   the 5 best and 5 worst posts by ER by reach (or by engagements)
    panel_clicks(filters)       short-link clicks (humans; bots apart) per day, network, channel, post
    panel_site(filters)         tracker visits (all and from social), bounce rate, average and median
                                engaged time (durations.py: a histogram, exact under 10 s, else within 10 %)
    panel_conversions(filters)  conversions and revenue by goal, network, campaign, post; sessions,
                                converted sessions and conversion rate overall, per network and campaign
    panel_traffic(filters)      GA4 / Metrica sessions by source and medium beside the tracker's visits
    panel_funnel(filters)       posts -> clicks -> visits -> conversions -> revenue, totals and per post
    PANELS: dict name -> function (the names above without ``panel_``); each takes ``totals_only=True``
        to compute its totals alone (what the comparison period needs)
    summary(filters, compare=True) -> {"period", "previous", "panels": {name: {..., "previous_totals",
        "deltas"}}}; ``deltas[key]`` = {"change": current - previous, "percent": change / previous x 100}.

Each panel returns ``{"totals": {...}, ...}`` plus its tables and ``"formulas"`` (figure -> formula).
Panels read the roll-ups (models.py) through the fewest day, week and month rows covering the period
(spans.py), the small per-channel and per-network tables for totals and series, and the per-post tables
only for the per-post lists; they never cache an answer.
Filters: ``channel`` and ``network`` filter everything that knows them (site visits and conversions
know the network only: a channel filter keeps its network); ``rubric`` keeps the posts of the rubric and
their clicks, visits and conversions (follower counts are per channel: not filtered by rubric).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from portevoix.dashboards.selectors.clicks import panel_clicks
from portevoix.dashboards.selectors.common import _rate
from portevoix.dashboards.selectors.conversions import panel_conversions, panel_traffic
from portevoix.dashboards.selectors.filters import (
    BEST,
    FOLLOWER_START_LOOKBACK,
    MAX_POSTS,
    MAX_RANGE_DAYS,
    PRESETS,
    TOP,
    Filters,
    filter_choices,
    filters_from_choice,
    filters_make,
    month_bounds,
    preset_range,
    today,
)
from portevoix.dashboards.selectors.followers import panel_followers
from portevoix.dashboards.selectors.funnel import panel_funnel
from portevoix.dashboards.selectors.posts import panel_best_worst, panel_posts
from portevoix.dashboards.selectors.site import panel_site

__all__ = [
    "BEST",
    "FOLLOWER_START_LOOKBACK",
    "MAX_POSTS",
    "MAX_RANGE_DAYS",
    "PANELS",
    "PRESETS",
    "TOP",
    "Filters",
    "deltas",
    "filter_choices",
    "filters_from_choice",
    "filters_make",
    "month_bounds",
    "panel",
    "panel_best_worst",
    "panel_clicks",
    "panel_conversions",
    "panel_followers",
    "panel_funnel",
    "panel_posts",
    "panel_site",
    "panel_traffic",
    "preset_range",
    "summary",
    "today",
]


PANELS: dict[str, Callable[..., dict[str, Any]]] = {
    "followers": panel_followers,
    "posts": panel_posts,
    "best_worst": panel_best_worst,
    "clicks": panel_clicks,
    "site": panel_site,
    "conversions": panel_conversions,
    "traffic": panel_traffic,
    "funnel": panel_funnel,
}


def deltas(current: dict[str, Any], previous: dict[str, Any]) -> dict[str, Any]:
    """Change of each numeric total (None where either side is not available)."""
    result: dict[str, Any] = {}
    for key, value in current.items():
        before = previous.get(key)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not isinstance(before, int | float)
        ):
            continue
        change = value - before
        result[key] = {
            "change": round(change, 2) if isinstance(change, float) else change,
            "percent": _rate(change, before) if before > 0 else None,
        }
    return result


def panel(f: Filters, name: str, *, compare: bool = False) -> dict[str, Any]:
    result = PANELS[name](f)
    if compare:
        previous = PANELS[name](f.previous(), totals_only=True)["totals"]
        result["previous_totals"] = previous
        result["deltas"] = deltas(result["totals"], previous)
    return result


def summary(f: Filters, *, compare: bool = True, names: Iterable[str] | None = None) -> dict[str, Any]:
    wanted = list(names or PANELS)
    return {
        "period": f.as_dict(),
        "previous": f.previous().as_dict() if compare else None,
        "panels": {name: panel(f, name, compare=compare) for name in wanted},
    }
