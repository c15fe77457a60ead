"""Reads of the site tracker, scoped to the caller's workspace, and the aggregation the dashboards use
(``visits_by``). Formulas (METRICS.md "Site and conversions"; docs/tracker.md):

- visits: sessions started in the period (the workspace's time zone, ``start`` and ``end`` days included);
- bounce rate = bounced visits / visits x 100 (bounced: one pageview, no goal, under 10 engaged seconds);
- average and median engaged seconds over the visits (visible-tab time);
- conversions: goal completions whose time is in the period, attributed (network, campaign, post) to the
  visitor's last social visit within 30 days; revenue summed per currency (never converted);
- conversion rate = visits with at least one goal completion / visits x 100.
A rate whose denominator is 0 is None ("not available"), never 0.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from portevoix.analytics import networks
from portevoix.analytics.models import SECRET_PREFIX, Conversion, Site, Visit
from portevoix.core.errors import NotFound, ValidationFailed
from portevoix.core.periods import MAX_DAYS, period_days
from portevoix.core.secrets import digest
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership, Workspace

GROUPS = ("network", "campaign", "post", "day")
MAX_RANGE_DAYS = MAX_DAYS
RECENT = 20


def site_list(*, by: Membership) -> QuerySet[Site]:
    permissions.require(by, "analytics.view")
    return Site.objects.filter(workspace=by.workspace)


def site_get(*, by: Membership, site_id: int) -> Site:
    """A site of the caller's workspace: another workspace's id is "not found" whatever the role."""
    site = Site.objects.filter(workspace=by.workspace, pk=site_id).first()
    if site is None:
        raise NotFound(_("No such site."))
    permissions.require(by, "analytics.view")
    return site


def recent_events(*, by: Membership, site: Site) -> dict[str, list[Any]]:
    """The last visits (by last hit) and conversions received for a site: the installation check."""
    permissions.require(by, "analytics.view")
    visits = list(
        Visit.objects.filter(site=site, workspace=by.workspace).order_by("-last_seen_at", "-id")[:RECENT]
    )
    conversions = list(
        Conversion.objects.filter(site=site, workspace=by.workspace).order_by("-at", "-id")[:RECENT]
    )
    return {"visits": visits, "conversions": conversions}


def snippet(site: Site, base: str = "") -> str:
    """The tags to paste in the site's pages (a queue for calls made before the script loads, then the
    script itself)."""
    base = (settings.PORTEVOIX_BASE_URL or base).rstrip("/")
    return (
        "<script>window.portevoix=window.portevoix||function(){(window.portevoix.q=window.portevoix.q||[])"
        ".push(arguments)};</script>\n"
        f'<script defer src="{base}/t/pv.js" data-site="{site.public_key}"></script>'
    )


# --- For the fast path and the server-side endpoint (no member: the key is the capability) -----------


def resolve_site(public_key: str) -> tuple[int, int, tuple[str, ...]] | None:
    """(site id, workspace id, allowed hosts) of a snippet's key; None for an unknown key."""
    row = Site.objects.filter(public_key=public_key).values_list("pk", "workspace_id", "domains").first()
    if row is None:
        return None
    return row[0], row[1], tuple(line.strip() for line in row[2].splitlines() if line.strip())


def site_for_secret(secret: str) -> Site | None:
    """The site whose server-side conversions key this is; None for anything else."""
    if not secret.startswith(SECRET_PREFIX) or len(secret) > 100 or "\x00" in secret:
        return None
    return Site.objects.filter(secret_hash=digest(secret)).select_related("workspace").first()


# --- Aggregation --------------------------------------------------------------------------------------


@dataclass
class VisitRow:
    key: str  # network key, campaign, post id or ISO date ("" = none)
    label: str
    visits: int = 0
    bounces: int = 0
    bounce_rate: float | None = None
    avg_engaged_seconds: float | None = None
    median_engaged_seconds: float | None = None
    converted_visits: int = 0
    conversion_rate: float | None = None
    conversions: int = 0
    revenue: dict[str, Decimal] = field(default_factory=dict)


def period(workspace: Workspace, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """Default: the last 30 days in the workspace's zone; at most 366 days."""
    return period_days(start, end, today=dt.datetime.now(workspace.tzinfo).date(), max_days=MAX_RANGE_DAYS)


def _bounds(workspace: Workspace, start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = workspace.tzinfo
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _key_expression(group: str, time_field: str, tz: Any, prefix: str = "") -> Any:
    if group == "day":
        return TruncDate(f"{prefix}{time_field}", tzinfo=tz)
    return F(f"{prefix}{'post_id' if group == 'post' else group}")


def _key(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def visits_by(
    workspace: Workspace,
    start: dt.date,
    end: dt.date,
    group: str = "network",
    social_only: bool = False,
    site_id: int | None = None,
) -> list[VisitRow]:
    """Visits, bounces, engaged time, conversions and revenue per ``group`` ("network", "campaign", "post"
    or "day": every day of the period listed) for the days ``start``..``end`` of the workspace's time zone.
    Sorted by visits (most first), days in order. Not permission-checked: callers check analytics.view."""
    if group not in GROUPS:
        raise ValidationFailed(
            _("Group by one of: %(groups)s.") % {"groups": ", ".join(GROUPS)},
            fields={"group": [_("Group by one of: %(groups)s.") % {"groups": ", ".join(GROUPS)}]},
        )
    start, end = period(workspace, start, end)
    since, until = _bounds(workspace, start, end)
    tz = workspace.tzinfo
    visits = Visit.objects.filter(workspace=workspace, started_at__gte=since, started_at__lt=until)
    conversions = Conversion.objects.filter(workspace=workspace, at__gte=since, at__lt=until)
    if site_id is not None:
        visits, conversions = visits.filter(site_id=site_id), conversions.filter(site_id=site_id)
    if social_only:
        visits, conversions = visits.exclude(network=""), conversions.exclude(network="")
    rows: dict[str, VisitRow] = {}

    def row(key: str) -> VisitRow:
        if key not in rows:
            rows[key] = VisitRow(key=key, label=key)
        return rows[key]

    for found in (
        visits.annotate(k=_key_expression(group, "started_at", tz))
        .values("k")
        .annotate(n=Count("id"), b=Count("id", filter=Q(bounced=True)), s=Sum("engaged_seconds"))
        .order_by()
    ):
        item = row(_key(found["k"]))
        item.visits, item.bounces = found["n"], found["b"]
        item.avg_engaged_seconds = (found["s"] or 0) / found["n"] if found["n"] else None
    seconds: dict[str, list[int]] = defaultdict(list)
    for key, value in visits.annotate(k=_key_expression(group, "started_at", tz)).values_list(
        "k", "engaged_seconds"
    ):
        seconds[_key(key)].append(value)
    for key, values in seconds.items():
        row(key).median_engaged_seconds = float(statistics.median(values))
    for converted in (
        Conversion.objects.filter(visit__in=visits.values("pk"))
        .annotate(k=_key_expression(group, "started_at", tz, prefix="visit__"))
        .values("k")
        .annotate(n=Count("visit", distinct=True))
        .order_by()
    ):
        row(_key(converted["k"])).converted_visits = converted["n"]
    for sums in (
        conversions.annotate(k=_key_expression(group, "at", tz))
        .values("k", "currency")
        .annotate(n=Count("id"), r=Sum("revenue"))
        .order_by()
    ):
        item = row(_key(sums["k"]))
        item.conversions += sums["n"]
        if sums["r"] is not None and sums["currency"]:
            item.revenue[sums["currency"]] = item.revenue.get(sums["currency"], Decimal("0")) + sums["r"]
    for item in rows.values():
        if item.visits:
            item.bounce_rate = item.bounces / item.visits * 100
            item.conversion_rate = item.converted_visits / item.visits * 100
    if group == "day":
        day = start
        while day <= end:
            row(day.isoformat())
            day += dt.timedelta(days=1)
        return [rows[key] for key in sorted(rows)]
    _label(group, workspace, rows)
    return sorted(rows.values(), key=lambda item: (-item.visits, -item.conversions, item.key))


def _label(group: str, workspace: Workspace, rows: dict[str, VisitRow]) -> None:
    if group == "network":
        for item in rows.values():
            item.label = networks.label(item.key) if item.key else _("Not social")
    elif group == "campaign":
        for item in rows.values():
            item.label = item.key or _("No campaign")
    elif group == "post":
        from portevoix.content.models import Post

        ids = [int(key) for key in rows if key]
        titles = {post.pk: str(post)[:80] for post in Post.objects.filter(workspace=workspace, pk__in=ids)}
        for item in rows.values():
            item.label = titles.get(int(item.key), item.key) if item.key else _("No post")
