"""``visits_by``: the figures and formulas, grouping by network, campaign, post and day, days in the
workspace's time zone across a DST change, and "not available" rather than 0 for rates without visits."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portevoix.analytics.models import Conversion, Visit
from portevoix.analytics.selectors import visits_by
from portevoix.content import services as content_services
from portevoix.core.errors import ValidationFailed
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def visit(site, at, *, network="", campaign="", post=None, pageviews=1, seconds=0, bounced=True, visitor="v"):
    return Visit.objects.create(
        workspace_id=site.workspace_id,
        site=site,
        visitor=visitor,
        started_at=at,
        last_seen_at=at,
        network=network,
        campaign=campaign,
        post=post,
        pageviews=pageviews,
        engaged_seconds=seconds,
        engaged=not bounced,
        bounced=bounced,
    )


def conversion(site, at, *, visit=None, network="", revenue=None, currency="", goal="purchase", post=None):
    return Conversion.objects.create(
        workspace_id=site.workspace_id,
        site=site,
        visit=visit,
        at=at,
        goal=goal,
        revenue=revenue,
        currency=currency,
        network=network,
        post=post,
        source="page",
    )


def test_by_network_with_every_formula(site, team):
    at = dt.datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    vk = [
        visit(site, at, network="vk", seconds=0),
        visit(site, at, network="vk", seconds=30, pageviews=3, bounced=False),
        visit(site, at, network="vk", seconds=60, bounced=False),
        visit(site, at, network="vk", seconds=5),
    ]
    visit(site, at, network="", seconds=100, bounced=False)
    conversion(site, at, visit=vk[1], network="vk", revenue=Decimal("10.00"), currency="EUR")
    conversion(site, at, visit=vk[1], network="vk", revenue=Decimal("2.50"), currency="EUR", goal="signup")
    conversion(site, at, visit=vk[2], network="vk", revenue=Decimal("7.00"), currency="USD")
    rows = visits_by(team.workspace, dt.date(2026, 5, 1), dt.date(2026, 5, 31), group="network")
    first, second = rows
    assert (first.key, first.label, first.visits, first.bounces) == ("vk", "VK", 4, 2)
    assert first.bounce_rate == 50.0
    assert first.avg_engaged_seconds == pytest.approx(23.75)
    assert first.median_engaged_seconds == 17.5
    assert (first.conversions, first.converted_visits) == (3, 2)
    assert first.conversion_rate == 50.0
    assert first.revenue == {"EUR": Decimal("12.50"), "USD": Decimal("7.00")}
    assert (second.key, second.visits, second.bounce_rate, second.conversion_rate) == ("", 1, 0.0, 0.0)
    assert second.revenue == {}
    social = visits_by(team.workspace, dt.date(2026, 5, 1), dt.date(2026, 5, 31), social_only=True)
    assert [row.key for row in social] == ["vk"]


def test_by_campaign_and_post(site, team):
    post = content_services.post_create(by=team.member(Role.OWNER), text="Spring launch")
    at = dt.datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    visit(site, at, network="vk", campaign="spring", post=post)
    visit(site, at, network="telegram", campaign="spring", post=post)
    visit(site, at, network="telegram", campaign="")
    campaigns = visits_by(team.workspace, dt.date(2026, 5, 4), dt.date(2026, 5, 4), group="campaign")
    assert [(row.key, row.visits) for row in campaigns] == [("spring", 2), ("", 1)]
    posts = visits_by(team.workspace, dt.date(2026, 5, 4), dt.date(2026, 5, 4), group="post")
    assert [(row.key, row.label, row.visits) for row in posts] == [
        (str(post.pk), "Spring launch", 2),
        ("", "No post", 1),
    ]


def test_days_follow_the_workspace_zone_across_the_dst_change(site, team):
    # Europe/Paris moves from +01:00 to +02:00 at 02:00 on 29 March 2026.
    assert team.workspace.timezone == "Europe/Paris"
    visit(site, dt.datetime(2026, 3, 28, 22, 59, tzinfo=UTC))  # 23:59 on the 28th in Paris
    visit(site, dt.datetime(2026, 3, 28, 23, 30, tzinfo=UTC))  # 00:30 on the 29th
    visit(site, dt.datetime(2026, 3, 29, 21, 59, tzinfo=UTC))  # 23:59 on the 29th (summer time)
    visit(site, dt.datetime(2026, 3, 29, 22, 30, tzinfo=UTC))  # 00:30 on the 30th, the 29th in UTC
    conversion(site, dt.datetime(2026, 3, 29, 22, 30, tzinfo=UTC), revenue=Decimal("3.00"), currency="EUR")
    rows = visits_by(team.workspace, dt.date(2026, 3, 27), dt.date(2026, 3, 30), group="day")
    assert [(row.key, row.visits, row.conversions) for row in rows] == [
        ("2026-03-27", 0, 0),
        ("2026-03-28", 1, 0),
        ("2026-03-29", 2, 0),
        ("2026-03-30", 1, 1),
    ]
    assert rows[0].bounce_rate is None
    assert rows[0].avg_engaged_seconds is None
    assert rows[0].conversion_rate is None
    assert rows[0].median_engaged_seconds is None
    only_29 = visits_by(team.workspace, dt.date(2026, 3, 29), dt.date(2026, 3, 29), group="day")
    assert [(row.key, row.visits) for row in only_29] == [("2026-03-29", 2)]
    # the same instants in New York (-04:00 after its own change on 8 March)
    team.workspace.timezone = "America/New_York"
    team.workspace.save()
    rows = visits_by(team.workspace, dt.date(2026, 3, 28), dt.date(2026, 3, 29), group="day")
    assert [(row.key, row.visits) for row in rows] == [("2026-03-28", 2), ("2026-03-29", 2)]


def test_other_workspaces_are_not_counted(site, team, other_team):
    from portevoix.analytics import services

    theirs = services.site_create(by=other_team.member(Role.OWNER), name="Theirs").site
    at = dt.datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    visit(theirs, at, network="vk")
    conversion(theirs, at, network="vk")
    assert visits_by(team.workspace, dt.date(2026, 5, 4), dt.date(2026, 5, 4)) == []


def test_bad_periods_and_groups(team):
    with pytest.raises(ValidationFailed):
        visits_by(team.workspace, dt.date(2026, 5, 4), dt.date(2026, 5, 1))
    with pytest.raises(ValidationFailed):
        visits_by(team.workspace, dt.date(2024, 1, 1), dt.date(2026, 1, 1))
    with pytest.raises(ValidationFailed):
        visits_by(team.workspace, dt.date(2026, 5, 1), dt.date(2026, 5, 4), group="browser")
