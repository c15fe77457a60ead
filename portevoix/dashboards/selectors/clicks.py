"""The clicks panel: human clicks on tracked short links (bots apart) per day, network, channel and post."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import (
    QuerySet,
    Sum,
)

from portevoix.dashboards import spans
from portevoix.dashboards.models import (
    ClickChannelDaily,
    ClickDaily,
    ClickPostDaily,
)
from portevoix.dashboards.selectors.common import _channel_names, _days, _formulas, _rubric_posts, _titles
from portevoix.dashboards.selectors.filters import TOP, Filters


def _click_filter(rows: QuerySet[Any], f: Filters) -> QuerySet[Any]:
    rows = rows.filter(workspace_id=f.workspace.pk)
    if f.channel:
        rows = rows.filter(channel_id=f.channel)
    if f.network:
        rows = rows.filter(network=f.network)
    if f.rubric:
        rows = rows.filter(post_id__in=_rubric_posts(f))
    return rows


def _clicks(f: Filters) -> QuerySet[ClickDaily]:
    """Clicks per link over the period (its months, weeks and days: spans.py)."""
    return _click_filter(
        ClickDaily.objects.filter(spans.cover_q(ClickDaily._meta.db_table, f.start, f.end)), f
    )


def _click_days(f: Filters) -> QuerySet[Any]:
    """Clicks per day and channel: the small per-channel table, or per link with a rubric filter."""
    model: Any = ClickDaily if f.rubric else ClickChannelDaily
    return _click_filter(model.objects.filter(spans.days_q(f.start, f.end)), f)


def _post_clicks(f: Filters) -> QuerySet[Any]:
    """Clicks over the period for ranking posts: the per-post table, or per link with a channel or network
    filter (the per-post table knows neither)."""
    if f.channel or f.network:
        return _clicks(f)
    return _click_filter(
        ClickPostDaily.objects.filter(spans.cover_q(ClickPostDaily._meta.db_table, f.start, f.end)), f
    )


def panel_clicks(f: Filters, *, totals_only: bool = False) -> dict[str, Any]:
    per_day: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0])
    per_channel: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for day, channel_id, network, humans, bots in (
        _click_days(f)
        .values_list("day", "channel_id", "network")
        .annotate(h=Sum("humans"), b=Sum("bots"))
        .order_by()
    ):
        for counts in (per_day[day], per_channel[(channel_id, network)]):
            counts[0] += humans
            counts[1] += bots
    totals = {"humans": sum(v[0] for v in per_day.values()), "bots": sum(v[1] for v in per_day.values())}
    if totals_only:
        return {"totals": totals}
    days = _days(f)
    networks: dict[str, dict[str, Any]] = {}
    for (_channel_id, network), (humans, bots) in per_channel.items():
        entry = networks.setdefault(network, {"network": network, "humans": 0, "bots": 0})
        entry["humans"] += humans
        entry["bots"] += bots
    by_channel = sorted(per_channel.items(), key=lambda item: (-item[1][0], item[0]))[:TOP]
    by_post = list(
        _post_clicks(f)
        .exclude(post_id=0)
        .values("post_id")
        .annotate(humans=Sum("humans"), bots=Sum("bots"))
        .order_by("-humans", "post_id")[:TOP]
    )
    names = _channel_names(f.workspace, (key[0] for key, _values in by_channel))
    titles = _titles(f.workspace, (item["post_id"] for item in by_post))
    return {
        "totals": totals,
        "days": [day.isoformat() for day in days],
        "humans": [per_day[day][0] if day in per_day else 0 for day in days],
        "bots": [per_day[day][1] if day in per_day else 0 for day in days],
        "by_network": sorted(networks.values(), key=lambda item: (-item["humans"], item["network"])),
        "by_channel": [
            {
                "channel_id": channel_id,
                "channel_name": names.get(channel_id, ""),
                "humans": humans,
                "bots": bots,
            }
            for (channel_id, _network), (humans, bots) in by_channel
        ],
        "by_post": [{**item, "title": titles.get(item["post_id"], "")} for item in by_post],
        "formulas": _formulas("clicks"),
    }
