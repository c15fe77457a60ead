"""Readings and roll-ups (latest values, daily followers in the workspace's zone) and the selectors the
dashboards read."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta

import pytest

from portevoix.metrics import selectors
from portevoix.metrics.models import FollowerDaily, PostMetricLatest, Source
from portevoix.metrics.services.record import Reading, Values, followers_write, snapshots_write
from portevoix.planning.models import Rubric

pytestmark = pytest.mark.django_db

PARIS_DAY = dt.date(2026, 3, 10)


def at(day: dt.date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_latest_keeps_older_values_the_newer_reading_leaves_empty(make_channel, make_published):
    target = make_published(make_channel())
    t1, t2, t0 = at(PARIS_DAY, 10), at(PARIS_DAY, 11), at(PARIS_DAY, 9)
    snapshots_write(readings=[Reading(target, Values(reach=900, likes=5), t1)], source=Source.MANUAL)
    snapshots_write(readings=[Reading(target, Values(likes=8, comments=1), t2)], source=Source.API)
    latest = PostMetricLatest.objects.get(target=target)
    assert (latest.reach, latest.likes, latest.comments, latest.views) == (900, 8, 1, None)
    assert latest.collected_at == t2
    assert latest.source == Source.API
    # An older reading (history) only fills what is still empty.
    snapshots_write(readings=[Reading(target, Values(views=4000, likes=2), t0)], source=Source.CSV)
    latest.refresh_from_db()
    assert (latest.views, latest.likes, latest.collected_at) == (4000, 8, t2)
    # An empty reading is not stored at all.
    assert snapshots_write(readings=[Reading(target, Values(), t2)], source=Source.API) == 0


def test_daily_followers_use_the_workspace_zone_and_keep_the_day_s_last_reading(team, make_channel):
    channel = make_channel()  # the team's workspace is in Europe/Paris (UTC+1 in March)
    followers_write(channel=channel, followers=100, collected_at=at(PARIS_DAY, 22, 30))  # 23:30 in Paris
    followers_write(channel=channel, followers=105, collected_at=at(PARIS_DAY, 23, 30))  # 00:30 next day
    followers_write(channel=channel, followers=99, collected_at=at(PARIS_DAY, 12))  # earlier that day
    rows = dict(FollowerDaily.objects.filter(channel=channel).values_list("day", "followers"))
    assert rows == {PARIS_DAY: 100, PARIS_DAY + timedelta(days=1): 105}


def test_post_metrics_lists_published_posts_with_latest_values_and_rates(
    team, other_team, make_channel, make_published
):
    workspace = team.workspace
    vk = make_channel(name="VK")
    other = make_channel("countnet", name="Counts")
    rubric = Rubric.objects.create(workspace=workspace, name="News")
    now = at(PARIS_DAY, 12)
    measured = make_published(vk, age=timedelta(hours=3), now=now)
    measured.post.rubric = rubric
    measured.post.save()
    bare = make_published(other, age=timedelta(days=1), now=now)  # no reading yet: listed with None
    make_published(vk, age=timedelta(days=40), now=now)  # outside the period
    foreign_channel = make_channel(workspace=other_team.workspace)
    make_published(foreign_channel, age=timedelta(hours=1), now=now)
    followers_write(channel=vk, followers=1000, collected_at=at(PARIS_DAY - timedelta(days=2), 12))
    snapshots_write(
        readings=[
            Reading(measured, Values(views=2000, reach=500, likes=20, comments=5, shares=4, quotes=1), now)
        ],
        source=Source.API,
    )

    rows = selectors.post_metrics(workspace, PARIS_DAY - timedelta(days=6), PARIS_DAY)
    assert [row.target_id for row in rows] == [measured.pk, bare.pk]
    row = rows[0]
    assert (row.views, row.reach, row.likes, row.saves) == (2000, 500, 20, None)
    assert row.followers == 1000
    assert row.engagements == 30
    assert row.er == pytest.approx(3.0)
    assert row.err == pytest.approx(6.0)  # by reach, not views
    assert row.love_rate == pytest.approx(2.0)
    assert row.amplification == pytest.approx(0.5)  # (4 shares + 1 quote) / 1000
    assert row.virality == pytest.approx(0.25)
    empty = rows[1]
    assert empty.collected_at is None
    assert empty.engagements is None
    assert empty.er is None
    assert empty.views is None

    assert [r.target_id for r in selectors.post_metrics(workspace, PARIS_DAY, PARIS_DAY, channel=vk)] == [
        measured.pk
    ]
    assert [
        r.target_id
        for r in selectors.post_metrics(
            workspace, PARIS_DAY - timedelta(days=6), PARIS_DAY, network="countnet"
        )
    ] == [bare.pk]
    assert [
        r.target_id
        for r in selectors.post_metrics(workspace, PARIS_DAY - timedelta(days=6), PARIS_DAY, rubric=rubric)
    ] == [measured.pk]


def test_period_boundaries_are_local_days(team, make_channel, make_published):
    channel = make_channel()
    # 23:30 UTC on the 9th is 00:30 on the 10th in Paris: it belongs to the 10th.
    target = make_published(channel, age=timedelta(0), now=at(PARIS_DAY - timedelta(days=1), 23, 30))
    assert [r.target_id for r in selectors.post_metrics(team.workspace, PARIS_DAY, PARIS_DAY)] == [target.pk]
    assert (
        selectors.post_metrics(team.workspace, PARIS_DAY - timedelta(days=1), PARIS_DAY - timedelta(days=1))
        == []
    )


def test_follower_series_and_growth(team, make_channel):
    channel = make_channel()
    start, end = dt.date(2026, 3, 1), dt.date(2026, 3, 5)
    followers_write(channel=channel, followers=1000, collected_at=at(dt.date(2026, 2, 27), 12))
    followers_write(channel=channel, followers=1010, collected_at=at(dt.date(2026, 3, 2), 12))
    followers_write(channel=channel, followers=1050, collected_at=at(dt.date(2026, 3, 4), 12))
    series = selectors.follower_series(team.workspace, channel, start, end)
    assert [(d.date.day, d.followers) for d in series] == [
        (1, None),
        (2, 1010),
        (3, None),
        (4, 1050),
        (5, None),
    ]
    growth = selectors.follower_growth(team.workspace, channel, start, end)
    assert (growth.start_followers, growth.end_followers, growth.growth) == (1000, 1050, 50)
    assert growth.start_date == dt.date(2026, 2, 27)
    assert growth.end_date == dt.date(2026, 3, 4)
    assert growth.rate == pytest.approx(5.0)

    empty = make_channel()
    nothing = selectors.follower_growth(team.workspace, empty, start, end)
    assert nothing.growth is None
    assert nothing.rate is None
    assert nothing.start_followers is None

    zero = make_channel()
    followers_write(channel=zero, followers=0, collected_at=at(dt.date(2026, 2, 28), 12))
    followers_write(channel=zero, followers=12, collected_at=at(dt.date(2026, 3, 3), 12))
    from_zero = selectors.follower_growth(team.workspace, zero, start, end)
    assert from_zero.growth == 12
    assert from_zero.rate is None


def test_follower_reads_refuse_another_workspace_s_channel(team, other_team, make_channel):
    foreign = make_channel(workspace=other_team.workspace)
    with pytest.raises(Exception, match="No such channel"):
        selectors.follower_series(team.workspace, foreign, PARIS_DAY, PARIS_DAY)
    with pytest.raises(Exception, match="No such channel"):
        selectors.follower_growth(team.workspace, foreign, PARIS_DAY, PARIS_DAY)
