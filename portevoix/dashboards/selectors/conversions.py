"""The conversions panel (goals, revenue, conversion rates) and the imported GA4 / Metrica traffic beside
the tracker's visits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import (
    Sum,
)

from portevoix.content.models import Post
from portevoix.dashboards.models import (
    ConversionDaily,
    ConversionGoalDaily,
)
from portevoix.dashboards.selectors.common import Raw, _formulas, _money, _together, cte
from portevoix.dashboards.selectors.filters import TOP, Filters
from portevoix.dashboards.selectors.site import (
    VisitSums,
    _tracker_raw,
    _visit_groups,
    _visit_sums,
    _visit_sums_query,
)


def _paid(paid: Any, revenue: Any) -> Decimal | None:
    """A group row's revenue, converted once (None: none of its conversions has revenue)."""
    return Decimal(str(revenue or 0)) if int(paid or 0) else None


class ConversionSums:
    """Conversions of a group and their revenue per currency ("?" when none was given), added up."""

    __slots__ = ("conversions", "revenue")

    def __init__(self) -> None:
        self.conversions = 0
        self.revenue: dict[str, Decimal] = {}

    def add(self, conversions: int, currency: str, revenue: Decimal | None) -> None:
        self.conversions += conversions
        if revenue is not None:
            key = currency or "?"
            self.revenue[key] = self.revenue[key] + revenue if key in self.revenue else revenue

    def money(self) -> dict[str, str]:
        return {currency: _money(value) for currency, value in sorted(self.revenue.items())}


def _conversion_groups_query(f: Filters) -> Raw:
    """(goal, network, campaign, currency, conversions, with revenue, revenue) over the period."""
    return _tracker_raw(
        ConversionDaily if f.rubric else ConversionGoalDaily,
        f,
        "goal, network, campaign, currency, SUM(conversions), SUM(with_revenue), SUM(revenue)",
        ("text", "text", "text", "text", "numeric", "numeric", "numeric"),
        group="goal, network, campaign, currency",
    )


def _post_conversions_queries(f: Filters, posts: str, params: Iterable[Any]) -> tuple[Raw, Raw]:
    """Conversions and revenue per currency over the period of the posts ``posts`` selects (SQL with
    ``params``: a list of ids, or an earlier query of the same round trip), from their day rows (an index
    leads with the post: a handful of rows each); and the posts' titles."""
    table = connection.ops.quote_name(Post._meta.db_table)
    return (
        _tracker_raw(
            ConversionDaily,
            f,
            "post_id, currency, SUM(conversions), SUM(with_revenue), SUM(revenue)",
            ("bigint", "text", "numeric", "numeric", "numeric"),
            group="post_id, currency",
            days_only=True,
            where=f"post_id IN ({posts})",
            extra=params,
        ),
        Raw(
            f"SELECT id, title, SUBSTR(text, 1, 80) FROM {table} WHERE workspace_id = %s AND id IN ({posts})",  # noqa: S608
            (f.workspace.pk, *params),
            ("bigint", "text", "text"),
        ),
    )


def _post_sums(
    conversions: Iterable[tuple[Any, ...]], titles: Iterable[tuple[Any, ...]]
) -> tuple[dict[int, ConversionSums], dict[int, str]]:
    sums: dict[int, ConversionSums] = defaultdict(ConversionSums)
    for post_id, currency, count, paid, revenue in conversions:
        sums[int(post_id)].add(int(count), currency, _paid(paid, revenue))
    return sums, {int(pk): (title or text or f"#{pk}")[:80] for pk, title, text in titles}


def _post_conversions(f: Filters, post_ids: list[int]) -> tuple[dict[int, ConversionSums], dict[int, str]]:
    """Conversions and revenue of a few posts over the period, and their titles: one round trip."""
    if not post_ids:
        return defaultdict(ConversionSums), {}
    return _post_sums(*_together(*_post_conversions_queries(f, ", ".join(["%s"] * len(post_ids)), post_ids)))


def _ranked_conversion_posts_query(f: Filters) -> Raw:
    """(post, conversions) of the TOP posts with most conversions over the period, most first (then by id),
    from the fewest day, week and month rows."""
    return _tracker_raw(
        ConversionDaily,
        f,
        "post_id, SUM(conversions)",
        ("bigint", "numeric"),
        group="post_id",
        where="post_id <> 0",
        order=f"ORDER BY 2 DESC, 1 LIMIT {TOP}",
    )


def _conversions_by_post(
    ranked: list[tuple[Any, ...]], sums: dict[int, ConversionSums], titles: dict[int, str]
) -> list[dict[str, Any]]:
    """The ranked posts (_ranked_conversion_posts_query's rows) with their conversions and revenue."""
    post_ids = [int(post_id) for post_id, _count in sorted(ranked, key=lambda row: (-int(row[1]), row[0]))]
    return [
        {
            "post_id": pk,
            "conversions": sums[pk].conversions,
            "revenue": sums[pk].money(),
            "title": titles.get(pk, ""),
        }
        for pk in post_ids
    ]


def _merge_rates(
    conversions: dict[str, ConversionSums], sessions: dict[str, VisitSums], field: str, limit: int | None
) -> list[dict[str, Any]]:
    """Conversions and revenue per ``field`` value beside the conversion rate of its sessions."""
    keys = sorted(
        set(conversions) | set(sessions),
        key=lambda k: (
            -(conversions[k].conversions if k in conversions else 0),
            -(sessions[k].visits if k in sessions else 0),
            k,
        ),
    )
    result = []
    for key in keys[:limit] if limit else keys:
        found = conversions.get(key)
        rate = (sessions[key] if key in sessions else VisitSums()).conversion()
        result.append(
            {
                field: key,
                "conversions": found.conversions if found else 0,
                "revenue": found.money() if found else {},
                **rate,
            }
        )
    return result


def panel_conversions(f: Filters, *, totals_only: bool = False) -> dict[str, Any]:
    goals: dict[str, ConversionSums] = defaultdict(ConversionSums)
    networks: dict[str, ConversionSums] = defaultdict(ConversionSums)
    campaigns: dict[str, ConversionSums] = defaultdict(ConversionSums)
    total = ConversionSums()
    queries = [_conversion_groups_query(f), _visit_sums_query(f)]
    if not totals_only:
        # The top posts, then their sums per currency and titles, read from the ranking in the same round
        # trip (a round trip, with the wake-up after it, costs more on a busy machine than the join).
        ranking = _ranked_conversion_posts_query(f)
        queries.append(ranking)
        if ranking.sql:
            queries += _post_conversions_queries(f, f"SELECT c0 FROM {cte(len(queries) - 1)}", ())  # noqa: S608
    groups, visit_rows, *ranked = _together(*queries)
    for goal, network, campaign, currency, count, paid, revenue in groups:
        count, money = int(count), _paid(paid, revenue)
        total.add(count, currency, money)
        goals[goal].add(count, currency, money)
        if network:
            networks[network].add(count, currency, money)
        if campaign:
            campaigns[campaign].add(count, currency, money)
    everything, social, visit_networks, visit_campaigns = _visit_sums(f, visit_rows)
    totals = {
        "conversions": total.conversions,
        "revenue": total.money(),
        **everything.conversion(),
        **{f"social_{key}": value for key, value in social.conversion().items()},
    }
    if totals_only:
        return {"totals": totals}
    visit_campaigns.pop("", None)
    return {
        "totals": totals,
        "by_goal": [
            {"goal": goal, "conversions": sums.conversions, "revenue": sums.money()}
            for goal, sums in sorted(goals.items(), key=lambda item: (-item[1].conversions, item[0]))
        ],
        "by_network": _merge_rates(networks, visit_networks, "network", None),
        "by_campaign": _merge_rates(campaigns, visit_campaigns, "campaign", TOP),
        "by_post": _conversions_by_post(ranked[0], *_post_sums(*ranked[1:])) if ranked[0] else [],
        "formulas": _formulas("conversions", "revenue", "conversion_rate"),
    }


def panel_traffic(f: Filters, *, totals_only: bool = False) -> dict[str, Any]:
    from portevoix.integrations.selectors import traffic_by_source

    imported = traffic_by_source(f.workspace, f.start, f.end, ("kind", "source", "medium"))
    for item in imported:
        item["service"] = item.pop("kind")
        if isinstance(item.get("revenue"), Decimal):
            item["revenue"] = _money(item["revenue"])
    tracker = [
        {"network": item["network"], "visits": item["v"]}
        for item in _visit_groups(f)
        .exclude(network="")
        .values("network")
        .annotate(v=Sum("visits"))
        .order_by("-v")
    ]
    sessions: dict[str, int] = defaultdict(int)
    for item in imported:
        sessions[item["service"]] += item["sessions"] or 0
    return {
        "totals": {
            "tracker_social_visits": sum(t["visits"] for t in tracker),
            **{f"{k}_sessions": v for k, v in sessions.items()},
        },
        "imported": imported[:50],
        "tracker": tracker,
        "formulas": _formulas("visits_social", "ga_bounce_rate"),
    }
