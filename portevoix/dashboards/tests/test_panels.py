"""Each panel's figures on a small world, the comparison period, "not available" kept apart from 0, the API
and the page (with a bounded number of queries)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from portevoix.dashboards import selectors, services
from portevoix.dashboards.tests import factory
from portevoix.planning.models import Rubric
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db
START, END = dt.date(2025, 10, 1), dt.date(2025, 10, 31)


def at(day: int, hour: int = 12, month: int = 10) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def world(team):
    ws = team.workspace
    ws.timezone = "Europe/Paris"
    ws.save(update_fields=["timezone"])
    vk = factory.channel(ws, "vk", "VK page")
    tg = factory.channel(ws, "telegram", "TG channel")
    rubric = Rubric.objects.create(workspace=ws, name="Recipes")
    # Two VK posts with reach, a Telegram post with views only (no reach, no likes: not available).
    good = factory.published(
        ws, vk, at(5), rubric=rubric, title="Good", views=1000, reach=500, likes=40, comments=5, shares=5
    )
    weak = factory.published(ws, vk, at(6), title="Weak", views=800, reach=400, likes=4, comments=0, shares=0)
    tgp = factory.published(ws, tg, at(7), title="Telegram", views=300)
    factory.published(
        ws, vk, at(6, month=9), title="Before", views=100, reach=50, likes=5, comments=0, shares=0
    )
    for day, count in (
        (dt.date(2025, 9, 30), 1000),
        (dt.date(2025, 10, 5), 1050),
        (dt.date(2025, 10, 31), 1100),
    ):
        factory.followers(vk, day, count)
    factory.followers(vk, dt.date(2025, 8, 31), 900)
    link = factory.link(ws, post=good.post, ch=vk)
    factory.clicks(link, at(5), humans=10, bots=3)
    factory.clicks(link, at(6, month=9), humans=4)
    site = factory.site(ws)
    visits = [
        factory.visit(site, at(5), network="vk", campaign="autumn", post=good.post, bounced=n < 2, seconds=60)
        for n in range(6)
    ]
    factory.visit(site, at(5), network="", seconds=10)
    factory.conversion(
        site, at(6), revenue="30.00", currency="EUR", post=good.post, campaign="autumn", visit=visits[3]
    )
    factory.conversion(site, at(6), goal="signup", network="telegram")
    services.rollups_refresh(settle=dt.timedelta(0))
    return {
        "ws": ws,
        "vk": vk,
        "tg": tg,
        "rubric": rubric,
        "good": good,
        "weak": weak,
        "tg_post": tgp,
        "team": team,
    }


def f(world, **kw):
    return selectors.filters_make(world["ws"], START, END, **kw)


def test_followers_growth_and_rate(world):
    panel = selectors.panel_followers(f(world))
    vk = next(c for c in panel["channels"] if c["network"] == "vk")
    assert (vk["start_followers"], vk["end_followers"], vk["growth"]) == (1000, 1100, 100)
    assert vk["growth_rate"] == 10.0
    tg = next(c for c in panel["channels"] if c["network"] == "telegram")
    assert tg["growth"] is None
    assert tg["growth_rate"] is None
    assert panel["totals"] == {"followers": 1100, "growth": 100, "growth_rate": 10.0}
    assert panel["series"][0] == 1000
    assert panel["series"][4] == 1050
    assert panel["series"][5] == 1050


def test_followers_filtered_by_network_and_channel_and_scoped_to_the_workspace(world, other_team):
    """A network or channel filter keeps its channels (one without any count is listed with None), the
    last count of the month before the period is the start, and another workspace's counts never count."""
    ws = world["ws"]
    empty = factory.channel(ws, "vk", "A VK page without counts")
    elsewhere = factory.channel(other_team.workspace, "vk", "Not ours")
    factory.followers(elsewhere, dt.date(2025, 10, 10), 99_999)
    by_network = selectors.panel_followers(f(world, network="vk"))
    assert [c["channel_name"] for c in by_network["channels"]] == ["A VK page without counts", "VK page"]
    assert by_network["channels"][0]["series"] == [None] * 31
    assert by_network["channels"][0]["growth"] is None
    assert by_network["totals"] == {"followers": 1100, "growth": 100, "growth_rate": 10.0}
    assert max(value or 0 for value in by_network["series"]) == 1100
    one = selectors.panel_followers(f(world, channel=world["vk"].pk))
    assert [c["channel_id"] for c in one["channels"]] == [world["vk"].pk]
    assert one["channels"][0]["start_followers"] == 1000  # 30 September, the day before the period
    assert one["channels"][0]["series"][4] == 1050
    alone = selectors.panel_followers(f(world, channel=empty.pk))
    assert alone["totals"] == {"followers": None, "growth": None, "growth_rate": None}
    assert alone["series"] == [None] * 31


def test_followers_start_looks_back_a_month_at_most_and_keeps_zero_counts(world):
    """The start is the last count at most FOLLOWER_START_LOOKBACK (31 days) before the period, else the
    period's first; a count of 0 is a count (growth from 0 has no rate)."""
    ws = world["ws"]
    old = factory.channel(ws, "mastodon", "Counted long ago")
    factory.followers(old, START - dt.timedelta(days=32), 500)
    factory.followers(old, dt.date(2025, 10, 10), 520)
    edge = factory.channel(ws, "bluesky", "Counted a month ago")
    factory.followers(edge, START - dt.timedelta(days=31), 300)
    zero = factory.channel(ws, "x", "Started from nothing")
    factory.followers(zero, dt.date(2025, 9, 20), 0)
    factory.followers(zero, dt.date(2025, 10, 3), 0)
    factory.followers(zero, dt.date(2025, 10, 20), 25)
    panel = selectors.panel_followers(f(world))
    by_name = {c["channel_name"]: c for c in panel["channels"]}
    assert (by_name["Counted long ago"]["start_followers"], by_name["Counted long ago"]["growth"]) == (520, 0)
    assert by_name["Counted long ago"]["series"][:10] == [None] * 9 + [520]
    assert (
        by_name["Counted a month ago"]["start_followers"],
        by_name["Counted a month ago"]["end_followers"],
    ) == (
        300,
        300,
    )
    assert by_name["Counted a month ago"]["series"] == [None] * 31
    started = by_name["Started from nothing"]
    assert (started["start_followers"], started["end_followers"], started["growth"]) == (0, 25, 25)
    assert started["growth_rate"] is None
    assert started["series"][2] == 0
    # The total carries each channel's last count forward: 1000 (VK) + 300 + 0 on the 1st.
    assert panel["series"][0] == 1300
    assert panel["series"][-1] == 1100 + 520 + 300 + 25


def test_posts_totals_groups_and_not_available(world):
    panel = selectors.panel_posts(f(world))
    t = panel["totals"]
    assert t["published"] == 3
    assert t["posts"] == 3
    assert (t["views"], t["reach"], t["likes"]) == (2100, 900, 44)
    assert t["engagements"] == 54
    assert t["err"] == round(54 / 900 * 100, 2)  # Telegram has no engagements: left out of ERR
    by_network = {g["network"]: g for g in panel["by_network"]}
    assert by_network["telegram"]["engagements"] is None
    assert by_network["telegram"]["err"] is None
    assert by_network["telegram"]["views"] == 300
    good = next(p for p in panel["posts"] if p["title"] == "Good")
    assert good["followers"] == 1050
    assert good["er"] == round(50 / 1050 * 100, 2)
    assert good["err"] == 10.0
    rubrics = {g["rubric_name"]: g["posts"] for g in panel["by_rubric"]}
    assert rubrics == {"Recipes": 1, "": 2}
    assert "er" in panel["formulas"]
    assert "err" in panel["formulas"]


def test_best_and_worst_by_err(world):
    panel = selectors.panel_best_worst(f(world))
    assert panel["totals"]["ranked_by"] == "err"
    assert [p["title"] for p in panel["best"]] == ["Good", "Weak"]
    assert panel["worst"] == []  # only two ranked: all are in "best"


def test_clicks_humans_and_bots_apart_and_filters(world):
    panel = selectors.panel_clicks(f(world))
    assert panel["totals"] == {"humans": 10, "bots": 3}
    assert panel["humans"][4] == 10
    assert sum(panel["humans"]) == 10
    assert panel["by_post"][0]["title"] == "Good"
    assert selectors.panel_clicks(f(world, network="telegram"))["totals"] == {"humans": 0, "bots": 0}
    assert selectors.panel_clicks(f(world, rubric=world["rubric"].pk))["totals"]["humans"] == 10


def test_site_conversions_and_funnel(world):
    site = selectors.panel_site(f(world))
    assert site["totals"]["social_visits"] == 6
    assert site["totals"]["visits"] == 7
    assert site["totals"]["social_bounce_rate"] == round(2 / 6 * 100, 2)
    assert site["totals"]["social_avg_duration"] == 60.0
    assert site["totals"]["social_median_duration"] == 60.0
    assert site["totals"]["median_duration"] == 60.0  # 10, 60, 60, 60, 60, 60, 60
    assert site["by_campaign"][0]["campaign"] == "autumn"
    conv = selectors.panel_conversions(f(world))
    assert conv["totals"] == {
        "conversions": 2,
        "revenue": {"EUR": "30.00"},
        "sessions": 7,
        "converted_sessions": 1,
        "conversion_rate": round(1 / 7 * 100, 2),
        "social_sessions": 6,
        "social_converted_sessions": 1,
        "social_conversion_rate": round(1 / 6 * 100, 2),
    }
    assert {g["goal"]: g["conversions"] for g in conv["by_goal"]} == {"purchase": 1, "signup": 1}
    funnel = selectors.panel_funnel(f(world))
    assert funnel["totals"]["published"] == 3
    assert (funnel["totals"]["clicks"], funnel["totals"]["visits"], funnel["totals"]["conversions"]) == (
        10,
        6,
        2,
    )
    assert funnel["totals"]["revenue"] == {"EUR": "30.00"}
    assert funnel["posts"][0] == {
        "post_id": world["good"].post_id, "title": "Good", "clicks": 10, "visits": 6, "conversions": 1,
        "revenue": {"EUR": "30.00"},
    }  # fmt: skip
    # A channel filter keeps its network for the tracker's figures.
    assert selectors.panel_site(f(world, channel=world["tg"].pk))["totals"]["social_visits"] == 0
    assert selectors.panel_conversions(f(world, channel=world["tg"].pk))["totals"]["conversions"] == 1


def test_the_funnel_counts_conversions_attributed_to_a_social_network_only(world):
    """A conversion with no social touch (network "") counts in the conversions panel's total but in none of
    its networks, and not in the funnel, whose visits are visits from social networks (as the report's
    KPI): the funnel's conversions are the sum of the panel's networks."""
    site = factory.site(world["ws"])
    factory.conversion(site, at(8), network="", revenue="99.00", currency="EUR")
    services.rollups_refresh(settle=dt.timedelta(0))
    funnel = selectors.panel_funnel(f(world))["totals"]
    assert (funnel["conversions"], funnel["revenue"]) == (2, {"EUR": "30.00"})
    assert funnel["visit_to_conversion"] == round(2 / 6 * 100, 2)
    conversions = selectors.panel_conversions(f(world))
    assert (conversions["totals"]["conversions"], conversions["totals"]["revenue"]) == (3, {"EUR": "129.00"})
    assert sum(g["conversions"] for g in conversions["by_network"]) == 2
    assert "" not in {g["network"] for g in conversions["by_network"]}


def test_comparison_with_the_previous_period(world):
    filters = f(world)
    assert (filters.previous().start, filters.previous().end) == (dt.date(2025, 8, 31), dt.date(2025, 9, 30))
    clicks = selectors.panel(filters, "clicks", compare=True)
    assert clicks["previous_totals"]["humans"] == 4
    assert clicks["deltas"]["humans"] == {"change": 6, "percent": 150.0}
    site = selectors.panel(filters, "site", compare=True)
    assert "social_bounce_rate" not in site["deltas"]  # previous is not available: no change shown
    followers = selectors.panel(filters, "followers", compare=True)
    assert followers["previous_totals"]["growth"] == 100  # 900 -> 1000


def test_presets_and_bad_ranges(world):
    ws = world["ws"]
    today = dt.date(2025, 3, 15)
    assert selectors.preset_range(ws, "7d", today) == (dt.date(2025, 3, 9), today)
    assert selectors.preset_range(ws, "this_month", today) == (dt.date(2025, 3, 1), today)
    assert selectors.preset_range(ws, "previous_month", today) == (dt.date(2025, 2, 1), dt.date(2025, 2, 28))
    from portevoix.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        selectors.filters_make(ws, END, START)
    with pytest.raises(ValidationFailed):
        selectors.filters_make(ws, dt.date(2024, 1, 1), END)
    with pytest.raises(ValidationFailed):
        selectors.filters_make(ws, START, END, channel=10**9)


def test_api_summary_and_panels(world, api_client_for):
    client = api_client_for(world["team"].member(Role.ANALYST))
    response = client.get("/api/v1/dashboards/summary", {"start": "2025-10-01", "end": "2025-10-31"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body["panels"]) == set(selectors.PANELS)
    assert body["panels"]["clicks"]["totals"] == {"humans": 10, "bots": 3}
    assert body["panels"]["clicks"]["deltas"]["humans"]["change"] == 6
    assert body["previous"]["start"] == "2025-08-31"
    tg = next(g for g in body["panels"]["posts"]["by_network"] if g["network"] == "telegram")
    assert tg["err"] is None
    one = client.get(
        "/api/v1/dashboards/panels/funnel", {"start": "2025-10-01", "end": "2025-10-31", "compare": "false"}
    )
    assert one.status_code == 200
    assert one.json()["panel"]["totals"]["clicks"] == 10
    assert one.json()["previous"] is None
    assert client.get("/api/v1/dashboards/panels/nope").status_code == 404
    for name in selectors.PANELS:
        assert client.get(f"/api/v1/dashboards/panels/{name}").status_code == 200, name
    bad = client.get("/api/v1/dashboards/summary", {"start": "2025-10-31", "end": "2025-10-01"})
    assert bad.status_code == 422
    assert bad.json()["error"]["fields"]["start"]
    assert (
        client.get("/api/v1/dashboards/summary", {"start": "2020-01-01", "end": "2025-10-01"}).status_code
        == 422
    )
    assert client.get("/api/v1/dashboards/summary", {"start": "garbage"}).status_code == 422
    assert client.get("/api/v1/dashboards/summary", {"channel": 10**9}).status_code == 422
    assert (
        api_client_for(world["team"].member(Role.CLIENT)).get("/api/v1/dashboards/summary").status_code == 403
    )


def test_page_renders_tables_without_js_in_bounded_queries(world, client_for, django_assert_max_num_queries):
    client = client_for(world["team"].user(Role.OWNER))
    url = reverse("dashboards:page", args=[world["ws"].slug])
    with django_assert_max_num_queries(90):
        response = client.get(
            url, {"preset": "custom", "start": "2025-10-01", "end": "2025-10-31", "compare": "on"}
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="funnel"' in html
    assert "Good" in html
    assert 'id="dashboard-charts"' in html
    assert "chart.umd.min.js" in html
    assert 'data-testid="delta-humans"' in html
    bad = client.get(url, {"preset": "custom", "start": "2025-10-31", "end": "2025-10-01"})
    assert bad.status_code == 422
    assert client.get(url, {"preset": "nonsense"}).status_code == 422
    assert client_for(world["team"].user(Role.CLIENT)).get(url).status_code == 403


def test_the_page_query_count_does_not_grow_with_the_data(world, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(world["team"].user(Role.OWNER))
    url = reverse("dashboards:page", args=[world["ws"].slug])
    params = {"preset": "custom", "start": "2025-10-01", "end": "2025-10-31", "compare": "on"}
    client.get(url, params)
    with CaptureQueriesContext(connection) as before:
        client.get(url, params)
    ws, vk = world["ws"], world["vk"]
    for n in range(15):
        target = factory.published(ws, vk, at(10 + n), title=f"Extra {n}", views=10 * n, reach=5 * n, likes=n)
        factory.clicks(factory.link(ws, post=target.post, ch=vk), at(10 + n), humans=n + 1)
    services.rollups_refresh(settle=dt.timedelta(0))
    with CaptureQueriesContext(connection) as after:
        assert client.get(url, params).status_code == 200
    assert len(after) == len(before)
    assert len(after) <= 70, len(after)


def test_every_panel_of_a_workspace_without_channels_or_visits(team):
    filters = selectors.filters_make(team.workspace, START, END)
    result = selectors.summary(filters, compare=True)
    assert result["panels"]["followers"]["totals"] == {"followers": None, "growth": None, "growth_rate": None}
    assert result["panels"]["posts"]["totals"]["posts"] == 0
    assert result["panels"]["posts"]["totals"]["er"] is None
    assert result["panels"]["best_worst"]["totals"] == {"ranked": 0, "ranked_by": None}
    assert result["panels"]["site"]["totals"]["median_duration"] is None
    assert result["panels"]["conversions"]["totals"]["conversion_rate"] is None
    assert result["panels"]["funnel"]["totals"]["clicks"] == 0


@pytest.mark.parametrize("count", [3, 7, 13])
def test_best_and_worst_match_a_ranking_in_python(team, count):
    """The database ranks by ERR with ties broken by target (older first among the best, newer first
    among the worst): the same lists as sorting every post in Python."""
    ws = team.workspace
    vk = factory.channel(ws, "vk")
    targets = []
    for n in range(count):
        reach = 100 + 10 * (n % 4)
        targets.append(
            factory.published(
                ws, vk, at(1 + n), views=2 * reach, reach=reach, likes=n % 5, comments=0, shares=1
            )
        )
    panel = selectors.panel_best_worst(selectors.filters_make(ws, START, END))
    rows = [(t.pk, (n % 5 + 1) / (100 + 10 * (n % 4)) * 100) for n, t in enumerate(targets)]
    ordered = sorted(rows, key=lambda r: (-r[1], r[0]))
    best = [pk for pk, _err in ordered[:5]]
    worst = [pk for pk, _err in reversed(ordered) if pk not in best][:5]
    assert [p["target_id"] for p in panel["best"]] == best
    assert [p["target_id"] for p in panel["worst"]] == worst
    assert panel["totals"] == {"ranked": count, "ranked_by": "err"}


def test_best_and_worst_by_engagements_when_no_post_has_reach_or_views(team):
    ws = team.workspace
    tg = factory.channel(ws, "bluesky")
    posts = [factory.published(ws, tg, at(2 + n), likes=n, comments=1) for n in range(3)]
    panel = selectors.panel_best_worst(selectors.filters_make(ws, START, END))
    assert panel["totals"] == {"ranked": 3, "ranked_by": "engagements"}
    assert [p["target_id"] for p in panel["best"]] == [t.pk for t in reversed(posts)]
