"""Reads for analytics integrations and their imported traffic, scoped to the workspace.

``traffic_by_source`` is what the dashboards show beside the tracker's own figures: sums of sessions,
conversions and revenue, and bounce rate and visit duration weighted by sessions, per group. GA4 and
Metrica count the same visits in their own ways: group by ``integration`` (or filter one) rather than add
them up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, FloatField, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Cast
from django.utils.translation import gettext as _

from portevoix.core.errors import NotFound
from portevoix.core.periods import period_days
from portevoix.integrations.models import AnalyticsIntegration, TrafficDaily
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership, Workspace

GROUPS = {
    "integration": "integration_id",
    "kind": "integration__kind",
    "day": "day",
    "source": "source",
    "medium": "medium",
    "campaign": "campaign",
    "content": "content",
}
MAX_RANGE_DAYS = 731
CENT = Decimal("0.01")


def _cents(value: Any) -> Decimal:
    return Decimal(value).quantize(CENT)


def integration_list(*, by: Membership) -> QuerySet[AnalyticsIntegration]:
    permissions.require(by, "analytics.view")
    return AnalyticsIntegration.objects.filter(workspace=by.workspace)


def integration_get(*, by: Membership, integration_id: int) -> AnalyticsIntegration:
    """An integration of the caller's workspace: NotFound first (for every role, so that foreign ids are
    not disclosed), then the role check."""
    integration = AnalyticsIntegration.objects.filter(workspace=by.workspace, pk=integration_id).first()
    if integration is None:
        raise NotFound(_("No such integration."))
    permissions.require(by, "analytics.view")
    return integration


def period(workspace: Workspace, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """Default: the last 30 days in the workspace's time zone. Refuses reversed or over-long ranges."""
    return period_days(start, end, today=dt.datetime.now(workspace.tzinfo).date(), max_days=MAX_RANGE_DAYS)


def traffic_by_source(
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    group_by: Sequence[str] = ("source", "medium", "campaign"),
    *,
    integration_id: int | None = None,
    kind: str | None = None,
    source: str | None = None,
    medium: str | None = None,
    campaign: str | None = None,
) -> list[dict[str, Any]]:
    """One dict per group (keys named as in ``group_by``), most sessions first, with:
    ``sessions``, ``engaged_sessions`` (None where the service gives none), ``conversions``, ``revenue``
    and ``currency`` (revenue is None when the group mixes currencies), ``bounce_rate`` (percent) and
    ``avg_duration`` (seconds), both weighted by the sessions of the rows that have them (None if none).
    Days from ``start`` to ``end`` inclusive, as each service dated them (its own time zone)."""
    unknown = [name for name in group_by if name not in GROUPS]
    if unknown:
        raise ValueError(f"Unknown grouping: {unknown}")
    rows = TrafficDaily.objects.filter(workspace=workspace, day__gte=start, day__lte=end)
    if integration_id is not None:
        rows = rows.filter(integration_id=integration_id)
    if kind:
        rows = rows.filter(integration__kind=kind)
    for field, value in (("source", source), ("medium", medium), ("campaign", campaign)):
        if value:
            rows = rows.filter(**{field: value})
    fields = [GROUPS[name] for name in group_by]
    has_bounce = Q(bounce_rate__isnull=False)
    has_duration = Q(avg_duration__isnull=False)
    sessions_f = Cast("sessions", FloatField())
    aggregated = (
        rows.values(*fields)
        .annotate(
            total_sessions=Sum("sessions"),
            total_engaged=Sum("engaged_sessions"),
            total_conversions=Sum("conversions"),
            total_revenue=Sum("revenue"),
            min_currency=Min("currency", filter=Q(revenue__isnull=False)),
            max_currency=Max("currency", filter=Q(revenue__isnull=False)),
            bounce_weighted=Sum(F("bounce_rate") * sessions_f, filter=has_bounce, output_field=FloatField()),
            bounce_sessions=Sum("sessions", filter=has_bounce),
            duration_weighted=Sum(
                F("avg_duration") * sessions_f, filter=has_duration, output_field=FloatField()
            ),
            duration_sessions=Sum("sessions", filter=has_duration),
            row_count=Count("pk"),
        )
        .order_by("-total_sessions", *fields)
    )
    result = []
    for item in aggregated:
        mixed = item["min_currency"] != item["max_currency"]
        entry: dict[str, Any] = {name: item[GROUPS[name]] for name in group_by}
        entry.update(
            sessions=item["total_sessions"] or 0,
            engaged_sessions=item["total_engaged"],
            conversions=item["total_conversions"],
            revenue=None if mixed or item["total_revenue"] is None else _cents(item["total_revenue"]),
            currency="" if mixed else (item["min_currency"] or ""),
            bounce_rate=(
                round(item["bounce_weighted"] / item["bounce_sessions"], 2)
                if item["bounce_sessions"]
                else None
            ),
            avg_duration=(
                round(item["duration_weighted"] / item["duration_sessions"], 1)
                if item["duration_sessions"]
                else None
            ),
        )
        result.append(entry)
    return result


def traffic_report(
    *,
    by: Membership,
    start: dt.date | None,
    end: dt.date | None,
    integration_id: int | None = None,
    source: str | None = None,
    medium: str | None = None,
    campaign: str | None = None,
) -> tuple[dt.date, dt.date, list[dict[str, Any]]]:
    """The traffic table of the page and the API: per integration, source, medium and campaign."""
    permissions.require(by, "analytics.view")
    start, end = period(by.workspace, start, end)
    if integration_id is not None:
        integration_get(by=by, integration_id=integration_id)
    rows = traffic_by_source(
        by.workspace,
        start,
        end,
        group_by=("integration", "source", "medium", "campaign"),
        integration_id=integration_id,
        source=source,
        medium=medium,
        campaign=campaign,
    )
    return start, end, rows
