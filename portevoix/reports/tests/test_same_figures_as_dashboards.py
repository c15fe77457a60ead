"""A report and the dashboards compute their figures apart (the report from the metrics' and the tracker's
tables, the dashboards from their roll-ups): for the same period they must show the same numbers, or a
reader comparing the PDF with the page would find two answers. Every figure both show is compared, on a
month of figures plus what tells the definitions apart (visits and conversions from outside social
networks, bots, a channel without counts, a local day that is not the UTC day)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from portevoix.dashboards import selectors, services
from portevoix.dashboards.tests import factory
from portevoix.reports.data import report_build

pytestmark = pytest.mark.django_db


def close(report_value: float | None, panel_value: float | None, places: int = 2) -> bool:
    """The panels round rates to 2 places and durations to 1; the report keeps the exact value."""
    if report_value is None or panel_value is None:
        return report_value is panel_value
    return round(report_value, places) == pytest.approx(panel_value, abs=10**-places / 2 + 1e-9)


@pytest.fixture
def month(team):
    ws = team.workspace
    ws.timezone = "America/New_York"
    ws.save(update_fields=["timezone"])
    factory.month_of_figures(ws)
    end = selectors.today(ws)
    start = end - dt.timedelta(days=29)
    noon = timezone.now().replace(hour=12, minute=0, second=0, microsecond=0) - dt.timedelta(days=3)
    site = factory.site(ws)
    # Outside social networks: a direct visit and a conversion; they count on neither side's social figures.
    direct = factory.visit(site, noon, network="", seconds=400, bounced=False)
    factory.conversion(site, noon, network="", revenue="99.00", currency="EUR", visit=direct)
    # From social: a bounced visit late in the evening (New York), and a conversion with revenue.
    late = noon.replace(hour=3)  # 23:00 or 22:00 the day before in New York
    social = factory.visit(site, late, network="telegram", campaign="autumn", seconds=0, bounced=True)
    factory.conversion(site, late, network="telegram", revenue="12.50", currency="EUR", visit=social)
    factory.channel(ws, "mastodon", "No counts yet")
    services.rollups_refresh(settle=dt.timedelta(0))
    return ws, start, end


def test_report_kpis_equal_the_dashboards_figures(month):
    ws, start, end = month
    report = report_build(ws, start, end)
    panels = selectors.summary(selectors.filters_make(ws, start, end), compare=False)["panels"]
    kpi = {figure.key: figure.value for figure in report.kpis}
    followers, posts = panels["followers"]["totals"], panels["posts"]["totals"]
    site, funnel = panels["site"]["totals"], panels["funnel"]["totals"]
    assert kpi["followers"] == followers["followers"]
    assert kpi["follower_growth"] == followers["growth"]
    assert close(kpi["growth_rate"], followers["growth_rate"])
    assert kpi["posts"] == posts["posts"]
    assert kpi["views"] == posts["views"]
    assert kpi["engagements"] == posts["engagements"]
    assert close(kpi["er"], posts["er"])
    assert close(kpi["err"], posts["err"])
    assert kpi["clicks"] == panels["clicks"]["totals"]["humans"]
    assert kpi["visits"] == site["social_visits"]
    assert site["visits"] == site["social_visits"] + 1  # the direct visit counts on the page's "all visits"
    assert close(kpi["bounce_rate"], site["social_bounce_rate"])
    assert close(kpi["avg_duration"], site["social_avg_duration"], places=1)
    assert kpi["conversions"] == funnel["conversions"]
    revenue = report.kpi("revenue")
    assert (Decimal(str(revenue.value)), revenue.unit) == (Decimal(funnel["revenue"]["EUR"]), "EUR")


def test_report_per_network_visits_equal_the_dashboards(month):
    ws, start, end = month
    report = report_build(ws, start, end)
    site = selectors.panel_site(selectors.filters_make(ws, start, end))
    by_network = {row["network"]: row["visits"] for row in site["by_network"] if row["network"]}
    assert {row.network: row.visits for row in report.networks if row.visits} == by_network
