"""The funnel panel: posts -> clicks -> visits from social -> conversions attributed to a social network ->
revenue, in total and per post."""

from __future__ import annotations

from typing import Any

from django.db.models import (
    Count,
    QuerySet,
)

from portevoix.dashboards import spans
from portevoix.dashboards.models import (
    ClickChannelDaily,
    ClickDaily,
    ClickPostDaily,
    ConversionDaily,
    VisitDaily,
    VisitNetworkDaily,
    VisitPostDaily,
)
from portevoix.dashboards.selectors.common import Raw, _formulas, _rate, _together
from portevoix.dashboards.selectors.conversions import (
    ConversionSums,
    _conversion_groups_query,
    _paid,
    _post_conversions,
)
from portevoix.dashboards.selectors.filters import TOP, Filters
from portevoix.dashboards.selectors.posts import _published
from portevoix.dashboards.selectors.site import _tracker_filter, _tracker_raw


def _funnel_ranking(f: Filters) -> Raw:
    """The TOP posts by human clicks, then visits from social networks, then id, ranked in the database
    from the per-post tables (per link and per network with a channel or network filter, which they do
    not know): (post, clicks, visits)."""
    by_link = bool(f.channel or f.network)
    clicks = _tracker_raw(
        ClickDaily if by_link else ClickPostDaily,
        f,
        "post_id, SUM(humans) AS h, 0 AS v",
        (),
        group="post_id",
        where="post_id <> 0",
        network_filter=bool(f.network),  # as _click_filter: the network asked for, and the channel
        channel_filter=True,
    )
    by_network = bool(f.network or f.channel_network)
    visits = _tracker_raw(
        VisitDaily if by_network else VisitPostDaily,
        f,
        "post_id, 0 AS h, SUM(visits) AS v",
        (),
        group="post_id",
        where="post_id <> 0 AND network <> ''" if by_network else "post_id <> 0 AND social = %s",
        network_filter=by_network,
        extra=() if by_network else (True,),
    )
    parts = [part for part in (clicks, visits) if part.sql]
    types = ("bigint", "numeric", "numeric")
    if not parts:
        return Raw("", (), types)
    sql = (
        f"SELECT u.post_id, SUM(u.h), SUM(u.v) FROM ({' UNION ALL '.join(p.sql for p in parts)}) u "  # noqa: S608
        f"GROUP BY u.post_id ORDER BY 2 DESC, 3 DESC, 1 LIMIT {TOP}"
    )
    return Raw(sql, tuple(value for part in parts for value in part.params), types)


def panel_funnel(f: Filters, *, totals_only: bool = False) -> dict[str, Any]:
    """Totals from the small tables; the 20 posts with most clicks (then visits, then id; posts with only
    conversions come last) ranked in the database from the per-post roll-ups, with the conversions of
    those 20 only. One round trip, then one for the posts' conversions and titles."""
    queries: list[QuerySet[Any] | Raw] = [
        _conversion_groups_query(f),
        _tracker_raw(  # the small per-channel table (per link with a rubric filter)
            ClickDaily if f.rubric else ClickChannelDaily,
            f,
            "SUM(humans)",
            ("numeric",),
            group="",
            days_only=True,
            network_filter=bool(f.network),
            channel_filter=True,
        ),
        _tracker_raw(
            VisitDaily if f.rubric else VisitNetworkDaily,
            f,
            "SUM(visits)",
            ("numeric",),
            group="",
            where="network <> ''",
        ),
        _published(f).order_by().values("workspace_id").annotate(n=Count("pk")).values_list("n"),
    ]
    if not totals_only:
        queries.append(_funnel_ranking(f))
    groups, clicks_found, visits_found, published, *ranked = _together(*queries)
    total = ConversionSums()
    for _goal, network, _campaign, currency, count, paid, revenue in groups:
        if network:  # the funnel follows social visits: conversions with no social touch are not its own
            total.add(int(count), currency, _paid(paid, revenue))
    clicks_total = int(clicks_found[0][0] or 0) if clicks_found else 0
    visits_total = int(visits_found[0][0] or 0) if visits_found else 0
    totals = {
        "published": int(published[0][0]) if published else 0,
        "clicks": clicks_total,
        "visits": visits_total,
        "conversions": total.conversions,
        "revenue": total.money(),
        "click_to_visit": _rate(visits_total, clicks_total),
        "visit_to_conversion": _rate(total.conversions, visits_total),
    }
    if totals_only:
        return {"totals": totals}
    clicks = {int(pk): int(h) for pk, h, _v in ranked[0]}
    visits = {int(pk): int(v) for pk, _h, v in ranked[0]}
    ordered = sorted(clicks, key=lambda pk: (-clicks[pk], -visits[pk], pk))
    if len(ordered) < TOP:
        converting = (
            _tracker_filter(
                ConversionDaily.objects.filter(spans.cover_q(ConversionDaily._meta.db_table, f.start, f.end)),
                f,
            )
            .exclude(post_id=0)
            .exclude(post_id__in=ordered)
            .values_list("post_id", flat=True)
            .distinct()
            .order_by("post_id")
        )
        ordered += list(converting[: TOP - len(ordered)])
    ordered = ordered[:TOP]
    per_post_conv, titles = _post_conversions(f, ordered)
    per_post = [
        {
            "post_id": pk,
            "title": titles.get(pk, ""),
            "clicks": clicks.get(pk, 0),
            "visits": visits.get(pk, 0),
            "conversions": per_post_conv[pk].conversions if pk in per_post_conv else 0,
            "revenue": per_post_conv[pk].money() if pk in per_post_conv else {},
        }
        for pk in ordered
    ]
    return {
        "totals": totals,
        "posts": per_post,
        "formulas": _formulas("clicks", "visits_social", "conversions", "revenue"),
    }
