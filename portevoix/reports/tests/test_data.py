"""Report figures against values counted by hand (see conftest.py), and "not available" handling."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from portevoix.integrations.models import AnalyticsIntegration, TrafficDaily
from portevoix.reports.data import report_build, social_network_of
from portevoix.reports.tests.conftest import END, START

pytestmark = pytest.mark.django_db


def build(workspace, start=START, end=END):
    with translation.override("en"):
        return report_build(workspace, start, end)


def values(report) -> dict[str, object]:
    return {figure.key: figure.value for figure in report.kpis}


def test_network_figures_and_clicks_match_the_hand_count(fixture):
    report = build(fixture.workspace)
    kpi = values(report)
    assert (report.previous_start, report.previous_end) == (dt.date(2026, 2, 22), dt.date(2026, 2, 28))
    assert kpi["followers"] == 1550
    assert kpi["follower_growth"] == 50
    assert kpi["growth_rate"] == pytest.approx(50 / 1500 * 100)
    assert kpi["posts"] == 3
    assert kpi["views"] == 1200  # Telegram's post has no views: left out, not counted as 0
    assert kpi["engagements"] == 71
    assert kpi["er"] == pytest.approx(71 / 3 / (2000 / 3) * 100)  # 3.55 %
    assert kpi["err"] == pytest.approx((50 + 6) / (800 + 200) * 100)  # 5.6 %
    assert kpi["clicks"] == 5  # the bot is excluded
    previous = {figure.key: figure.previous for figure in report.kpis}
    assert previous["clicks"] == 1
    assert previous["posts"] == 0
    assert previous["views"] is None
    assert report.kpi("clicks").change == pytest.approx(400.0)
    # Every figure names its formula.
    assert all(figure.formula for figure in report.kpis)

    by_network = {row.network: row for row in report.networks}
    assert by_network["vk"].followers == 450
    assert by_network["vk"].growth == -50
    assert by_network["vk"].clicks == 5
    assert by_network["vk"].err == pytest.approx(5.6)
    assert by_network["telegram"].views is None
    assert by_network["telegram"].clicks == 0

    posts = {row.title: row for row in report.posts}
    assert posts["Лампа «Опалин»"].clicks == 5
    assert posts["Bougies d'hiver"].clicks is None  # no tracked link: not available
    assert posts["Лампа «Опалин»"].er == pytest.approx(10.0)
    assert [row.title for row in report.top_posts] == ["Лампа «Опалин»", "Bougies d'hiver", '=HYPERLINK("x")']
    clicks_chart = next(chart for chart in report.charts if chart.key == "clicks")
    points = dict(clicks_chart.series[0].points)
    assert points[dt.date(2026, 3, 3)] == 3
    assert points[dt.date(2026, 3, 4)] == 2
    assert sum(value for value in points.values() if value) == 5
    followers_chart = next(chart for chart in report.charts if chart.key == "followers")
    assert len(followers_chart.series) == 2
    assert dict(followers_chart.series[0].points)[dt.date(2026, 3, 6)] is None  # nothing known yet
    assert dict(followers_chart.series[0].points)[dt.date(2026, 3, 7)] == 1100


def test_site_figures_are_not_available_without_a_source(fixture):
    report = build(fixture.workspace)
    kpi = values(report)
    for key in ("visits", "bounce_rate", "avg_duration", "conversions", "revenue"):
        assert kpi[key] is None, key
    assert report.site_source == ""
    assert any("not available" in note for note in report.notes)
    funnel = {step.key: step.value for step in report.funnel}
    assert funnel == {"posts": 3, "clicks": 5, "visits": None, "conversions": None, "revenue": None}


def test_tracker_figures(fixture):
    fixture.add_tracker()
    report = build(fixture.workspace)
    kpi = values(report)
    assert report.site_source == "tracker"
    assert kpi["visits"] == 4  # the visit that is not from a social network is left out
    assert kpi["bounce_rate"] == pytest.approx(50.0)
    assert kpi["avg_duration"] == pytest.approx(22.5)
    assert kpi["conversions"] == 2
    assert kpi["revenue"] == Decimal("49.90")
    assert report.kpi("revenue").unit == "EUR"
    posts = {row.title: row for row in report.posts}
    assert (posts["Лампа «Опалин»"].visits, posts["Лампа «Опалин»"].conversions) == (3, 1)
    assert posts["Лампа «Опалин»"].revenue == Decimal("49.90")
    assert posts["Bougies d'hiver"].visits == 0
    visits_chart = next(chart for chart in report.charts if chart.key == "visits_by_network")
    assert visits_chart.categories == ["vk", "telegram"]
    assert [value for _day, value in visits_chart.series[0].points] == [3.0, 1.0]
    funnel = {step.key: step for step in report.funnel}
    assert funnel["visits"].value == 4
    assert funnel["conversions"].rate == pytest.approx(50.0)


def test_imported_traffic_is_used_without_the_tracker(fixture):
    integration = AnalyticsIntegration.objects.create(workspace=fixture.workspace, kind="ga4", name="GA4")
    rows = [
        ("vk", "social", 10, 40.0, 60.0, 1.0, Decimal("20.00")),
        ("google", "organic", 100, 70.0, 10.0, 5.0, Decimal("500.00")),
        ("t.me", "referral", 5, 20.0, 30.0, None, None),
    ]
    for source, medium, sessions, bounce, duration, conversions, revenue in rows:
        TrafficDaily.objects.create(
            workspace=fixture.workspace,
            integration=integration,
            day=dt.date(2026, 3, 2),
            source=source,
            medium=medium,
            campaign="",
            sessions=sessions,
            bounce_rate=bounce,
            avg_duration=duration,
            conversions=conversions,
            revenue=revenue,
            currency="EUR" if revenue else "",
        )
    report = build(fixture.workspace)
    kpi = values(report)
    assert report.site_source == "ga4"
    assert kpi["visits"] == 15
    assert kpi["bounce_rate"] == pytest.approx((40 * 10 + 20 * 5) / 15)
    assert kpi["avg_duration"] == pytest.approx((60 * 10 + 30 * 5) / 15)
    assert kpi["conversions"] == 1
    assert kpi["revenue"] == Decimal("20.00")
    assert {row.network: row.visits for row in report.networks}["telegram"] == 5
    assert report.posts[0].visits is None  # per-post visits need the tracker


def test_empty_workspace_gives_not_available_not_zero(team):
    report = build(team.workspace)
    kpi = values(report)
    assert kpi["posts"] == 0
    for key in ("followers", "follower_growth", "views", "engagements", "er", "err", "clicks", "visits"):
        assert kpi[key] is None, key
    assert report.posts == []
    assert report.top_posts == []
    assert report.networks == []
    assert all(chart.empty for chart in report.charts)


def test_social_sources():
    assert social_network_of("away.vk.com", "referral") == "vk"
    assert social_network_of("Newsletter", "social") == "newsletter"
    assert social_network_of("google", "organic") is None
