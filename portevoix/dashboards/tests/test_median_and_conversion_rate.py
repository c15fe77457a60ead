"""The median engaged time and the conversion rate (METRICS.md, "Site and conversions"), by hand: a visit
with two conversions counts once, a conversion outside any visit does not count, an empty period gives
None (shown as "—"), and a period across the end of summer time keeps exactly its local days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from portevoix.dashboards import selectors, services
from portevoix.dashboards.tests import factory
from portevoix.planning.models import Rubric
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db
OCTOBER = (dt.date(2025, 10, 1), dt.date(2025, 10, 31))


def at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2025, 10, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def shop(team):
    """Eight visits in October (Paris): vk 0, 0, 12, 40, 95 s (campaign "autumn"), telegram 30, 30 s,
    one visit not from social 7 s. The vk visit of 12 s converts twice (a purchase and a sign-up), a
    telegram visit once, and a server-side conversion joins no visit."""
    ws = team.workspace
    ws.timezone = "Europe/Paris"
    ws.save(update_fields=["timezone"])
    site = factory.site(ws)
    rubric = Rubric.objects.create(workspace=ws, name="Recipes")
    post = factory.published(ws, factory.channel(ws, "vk"), at(1), rubric=rubric).post
    vk = [
        factory.visit(site, at(3), network="vk", campaign="autumn", seconds=s, bounced=s == 0, post=post)
        for s in (0, 0, 12, 40, 95)
    ]
    telegram = [factory.visit(site, at(4), network="telegram", seconds=30) for _ in range(2)]
    factory.visit(site, at(5), network="", seconds=7)
    factory.conversion(site, at(3, 13), revenue="20.00", currency="EUR", campaign="autumn", visit=vk[2])
    factory.conversion(site, at(3, 14), goal="signup", campaign="autumn", visit=vk[2])
    factory.conversion(site, at(4, 13), goal="signup", network="telegram", visit=telegram[0])
    factory.conversion(site, at(6), goal="signup", network="vk")  # server-side, no visit
    services.rollups_refresh(settle=dt.timedelta(0))
    return {"ws": ws, "team": team, "rubric": rubric}


def _filters(shop, start=OCTOBER[0], end=OCTOBER[1], **kw):
    return selectors.filters_make(shop["ws"], start, end, **kw)


def test_median_engaged_time_by_hand(shop):
    site = selectors.panel_site(_filters(shop))
    totals = site["totals"]
    # All: 0 0 7 12 | 30 30 40 95 -> (12 + 30) / 2. Social: 0 0 12 30 30 40 95 -> 30.
    assert totals["median_duration"] == 21.0
    assert totals["social_median_duration"] == 30.0
    assert totals["avg_duration"] == round((0 + 0 + 12 + 40 + 95 + 30 + 30 + 7) / 8, 1)
    medians = {g["network"]: g["median_duration"] for g in site["by_network"]}
    assert medians == {"vk": 12.0, "telegram": 30.0}
    assert "median_duration" in site["formulas"]
    assert "10 %" in site["formulas"]["median_duration"]
    # Only vk: 0 0 12 40 95.
    assert selectors.panel_site(_filters(shop, network="vk"))["totals"]["median_duration"] == 12.0


def test_conversion_rate_counts_each_converted_visit_once(shop):
    panel = selectors.panel_conversions(_filters(shop))
    totals = panel["totals"]
    assert totals["conversions"] == 4  # the conversion without a visit is a conversion...
    assert (totals["sessions"], totals["converted_sessions"]) == (8, 2)  # ...but converts no session
    assert totals["conversion_rate"] == 25.0
    assert (totals["social_sessions"], totals["social_converted_sessions"]) == (7, 2)
    assert totals["social_conversion_rate"] == round(2 / 7 * 100, 2)
    networks = {g["network"]: g for g in panel["by_network"]}
    assert (networks["vk"]["sessions"], networks["vk"]["converted_sessions"]) == (5, 1)
    assert networks["vk"]["conversion_rate"] == 20.0
    assert networks["vk"]["conversions"] == 3  # attributed to vk: the two of one visit and the server one
    assert networks["telegram"]["conversion_rate"] == 50.0
    campaigns = {g["campaign"]: g for g in panel["by_campaign"]}
    assert campaigns["autumn"]["conversion_rate"] == 20.0
    assert campaigns["autumn"]["conversions"] == 2
    assert "conversion_rate" in panel["formulas"]
    # With a rubric filter the sessions come from the per-post roll-up: the vk visits of the post.
    rubric = selectors.panel_conversions(_filters(shop, rubric=shop["rubric"].pk))["totals"]
    assert (rubric["sessions"], rubric["converted_sessions"], rubric["conversion_rate"]) == (5, 1, 20.0)
    rubric_site = selectors.panel_site(_filters(shop, rubric=shop["rubric"].pk))["totals"]
    assert rubric_site["median_duration"] == 12.0  # exact, from the raw visits of the rubric's posts


def test_a_period_without_visits_gives_none_not_a_division_by_zero(shop):
    empty = _filters(shop, dt.date(2025, 6, 1), dt.date(2025, 6, 30))
    site = selectors.panel_site(empty)["totals"]
    assert (site["visits"], site["median_duration"], site["social_median_duration"]) == (0, None, None)
    assert site["avg_duration"] is None
    conversions = selectors.panel_conversions(empty)["totals"]
    assert (conversions["sessions"], conversions["conversion_rate"]) == (0, None)
    assert conversions["social_conversion_rate"] is None


def test_the_previous_period_and_its_change(shop):
    november = _filters(shop, dt.date(2025, 11, 1), dt.date(2025, 11, 30))  # previous: 2025-10-02..10-31
    conversions = selectors.panel(november, "conversions", compare=True)
    assert conversions["totals"]["conversion_rate"] is None
    assert conversions["previous_totals"]["conversion_rate"] == 25.0
    assert "conversion_rate" not in conversions["deltas"]  # nothing to compare: no change shown
    site = selectors.panel(november, "site", compare=True)
    assert site["previous_totals"]["median_duration"] == 21.0
    assert site["totals"]["median_duration"] is None
    assert "median_duration" not in site["deltas"]


def test_deltas_of_the_new_figures(team):
    ws = team.workspace
    site = factory.site(ws)
    first = [factory.visit(site, dt.datetime(2025, 9, d, 12, tzinfo=dt.UTC), seconds=20) for d in (1, 2)]
    second = [factory.visit(site, dt.datetime(2025, 10, d, 12, tzinfo=dt.UTC), seconds=50) for d in (1, 2)]
    factory.conversion(site, dt.datetime(2025, 9, 1, 13, tzinfo=dt.UTC), visit=first[0])
    factory.conversion(site, dt.datetime(2025, 10, 1, 13, tzinfo=dt.UTC), visit=second[0])
    factory.conversion(site, dt.datetime(2025, 10, 2, 13, tzinfo=dt.UTC), visit=second[1])
    services.rollups_refresh(settle=dt.timedelta(0))
    october = selectors.filters_make(ws, dt.date(2025, 10, 1), dt.date(2025, 10, 30))
    conversions = selectors.panel(october, "conversions", compare=True)
    assert conversions["previous_totals"]["conversion_rate"] == 50.0
    assert conversions["totals"]["conversion_rate"] == 100.0
    assert conversions["deltas"]["conversion_rate"] == {"change": 50.0, "percent": 100.0}
    site_panel = selectors.panel(october, "site", compare=True)
    assert site_panel["deltas"]["median_duration"] == {"change": 30.0, "percent": 150.0}


def test_a_period_across_the_end_of_summer_time_keeps_its_local_days(team):
    """Paris, 2025-10-20 (Monday) to 2025-10-26 (Sunday, 25 hours: summer time ends at 01:00 UTC). The
    period is one whole ISO week: it is read from the week rows."""
    ws = team.workspace
    ws.timezone = "Europe/Paris"
    ws.save(update_fields=["timezone"])
    site = factory.site(ws)
    utc = dt.UTC
    outside_before = factory.visit(site, dt.datetime(2025, 10, 19, 21, 59, tzinfo=utc), seconds=500)  # 19th
    factory.visit(site, dt.datetime(2025, 10, 19, 22, 30, tzinfo=utc), seconds=10)  # 00:30 the 20th
    factory.visit(site, dt.datetime(2025, 10, 26, 0, 30, tzinfo=utc), seconds=20)  # 02:30 CEST
    last = factory.visit(site, dt.datetime(2025, 10, 26, 22, 30, tzinfo=utc), seconds=40)  # 23:30 CET
    outside_after = factory.visit(site, dt.datetime(2025, 10, 26, 23, 0, tzinfo=utc), seconds=900)  # 27th
    for visit in (outside_before, last, outside_after):
        factory.conversion(site, visit.started_at, visit=visit)
    services.rollups_refresh(settle=dt.timedelta(0))
    week = selectors.filters_make(ws, dt.date(2025, 10, 20), dt.date(2025, 10, 26))
    site_totals = selectors.panel_site(week)["totals"]
    assert site_totals["visits"] == 3
    assert site_totals["median_duration"] == 20.0  # 10, 20, 40
    conversion = selectors.panel_conversions(week)["totals"]
    assert (conversion["sessions"], conversion["converted_sessions"]) == (3, 1)
    assert conversion["conversion_rate"] == round(1 / 3 * 100, 2)
    # A period that is not a whole week is read from day rows: without the 20th.
    six = selectors.filters_make(ws, dt.date(2025, 10, 21), dt.date(2025, 10, 26))
    assert selectors.panel_site(six)["totals"]["median_duration"] == 30.0  # 20, 40


def test_api_gives_the_new_figures_with_their_changes(shop, api_client_for):
    client = api_client_for(shop["team"].member(Role.ANALYST))
    body = client.get("/api/v1/dashboards/summary", {"start": "2025-10-01", "end": "2025-10-31"}).json()
    site = body["panels"]["site"]
    assert site["totals"]["median_duration"] == 21.0
    assert site["previous_totals"]["median_duration"] is None
    assert site["formulas"]["median_duration"]
    conversions = body["panels"]["conversions"]
    assert conversions["totals"]["conversion_rate"] == 25.0
    assert conversions["previous_totals"]["conversion_rate"] is None
    assert "conversion_rate" not in conversions["deltas"]
    assert conversions["formulas"]["conversion_rate"]
    one = client.get("/api/v1/dashboards/panels/conversions", {"start": "2025-10-01", "end": "2025-10-31"})
    assert {g["network"]: g["conversion_rate"] for g in one.json()["panel"]["by_network"]} == {
        "vk": 20.0,
        "telegram": 50.0,
    }


def test_page_shows_the_median_and_the_conversion_rates(shop, client_for):
    client = client_for(shop["team"].user(Role.OWNER))
    url = reverse("dashboards:page", args=[shop["ws"].slug])
    html = client.get(url, {"preset": "custom", "start": "2025-10-01", "end": "2025-10-31", "compare": "on"})
    text = html.content.decode()
    assert 'data-testid="site-median"' in text
    assert 'data-testid="site-median">30.0<' in text  # the median of the visits from social
    assert 'data-testid="conversion-rate"' in text
    assert ">25.00<" in text
    assert 'data-testid="conversions-by-network"' in text
    assert ">50.00<" in text  # telegram's rate
    empty = client.get(url, {"preset": "custom", "start": "2025-06-01", "end": "2025-06-30"}).content.decode()
    assert 'data-testid="conversion-rate"><span class="pv-muted" title=' in empty
    assert "—" in empty
