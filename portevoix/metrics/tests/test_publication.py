"""What the latest-values rows keep beside the figures for the dashboards: the post's rubric and the
channel's followers at publication, kept in step by every write that changes them."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta

import pytest

from portevoix.content import services as content_services
from portevoix.dashboards import services as dashboards_services
from portevoix.metrics.models import PostMetricLatest, Source
from portevoix.metrics.services import publication
from portevoix.metrics.services.record import Reading, Values, followers_write, snapshots_write
from portevoix.planning.models import Rubric
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)


def at(day: dt.date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def published_on(make_published, channel, instant: datetime, **extra):
    return make_published(channel, now=instant, age=timedelta(0), **extra)


def latest(target) -> PostMetricLatest:
    return PostMetricLatest.objects.get(target=target)


def test_a_new_row_takes_its_rubric_and_the_followers_of_its_day_or_of_the_week_before(
    team, make_channel, make_published
):
    channel = make_channel()
    rubric = Rubric.objects.create(workspace=team.workspace, name="Recipes")
    followers_write(channel=channel, followers=500, collected_at=at(DAY - timedelta(days=3), 20))
    target = published_on(make_published, channel, at(DAY, 9))
    target.post.rubric = rubric
    target.post.save(update_fields=["rubric"])
    snapshots_write(readings=[Reading(target, Values(likes=5), at(DAY, 12))], source=Source.API)
    row = latest(target)
    assert (row.rubric_id, row.followers) == (rubric.pk, 500)  # the count of three days before
    old = published_on(make_published, channel, at(DAY + timedelta(days=20), 9))
    snapshots_write(
        readings=[Reading(old, Values(likes=1), at(DAY + timedelta(days=20), 12))], source=Source.API
    )
    assert latest(old).followers is None  # the last count is more than a week old: not known


def test_a_daily_count_updates_the_posts_of_its_day_and_of_the_week_after_it(
    team, make_channel, make_published
):
    channel, other = make_channel(), make_channel()
    same_day = published_on(make_published, channel, at(DAY, 9))
    week_later = published_on(make_published, channel, at(DAY + timedelta(days=7), 9))
    too_late = published_on(make_published, channel, at(DAY + timedelta(days=8), 9))
    before = published_on(make_published, channel, at(DAY - timedelta(days=1), 9))
    elsewhere = published_on(make_published, other, at(DAY, 9))
    targets = (same_day, week_later, too_late, before, elsewhere)
    snapshots_write(
        readings=[Reading(t, Values(views=10), at(DAY + timedelta(days=9), 12)) for t in targets],
        source=Source.API,
    )
    assert [latest(t).followers for t in targets] == [None] * 5
    followers_write(channel=channel, followers=1000, collected_at=at(DAY, 8))
    assert [latest(t).followers for t in targets] == [1000, 1000, None, None, None]
    # A later reading of the same day replaces the day's count, and the posts follow it.
    followers_write(channel=channel, followers=1010, collected_at=at(DAY, 22))
    # An older reading of that day (history from a file) leaves the day's last count alone.
    followers_write(channel=channel, followers=1, collected_at=at(DAY, 6), source=Source.CSV)
    # A newer day's count is the count at publication for the posts from that day on.
    followers_write(channel=channel, followers=1200, collected_at=at(DAY + timedelta(days=7), 6))
    assert [latest(t).followers for t in targets] == [1010, 1200, 1200, None, None]


def test_changing_a_post_s_rubric_moves_its_figures(team, make_channel, make_published):
    channel = make_channel()
    first = Rubric.objects.create(workspace=team.workspace, name="News")
    second = Rubric.objects.create(workspace=team.workspace, name="Offers")
    target = published_on(make_published, channel, at(DAY, 9))
    snapshots_write(readings=[Reading(target, Values(likes=5), at(DAY, 12))], source=Source.API)
    assert latest(target).rubric_id is None
    content_services.post_update(by=team.member(Role.OWNER), post=target.post, rubric_id=first.pk)
    assert latest(target).rubric_id == first.pk
    content_services.post_update(by=team.member(Role.OWNER), post=target.post, rubric_id=second.pk)
    assert latest(target).rubric_id == second.pk
    content_services.post_update(by=team.member(Role.OWNER), post=target.post, rubric_id=None)
    assert latest(target).rubric_id is None


def test_a_time_zone_change_moves_the_day_of_publication(team, make_channel, make_published):
    """Published at 23:30 UTC: 10 March in UTC, 11 March in Paris; the counts of those two days differ."""
    ws = team.workspace
    ws.timezone = "UTC"
    ws.save(update_fields=["timezone"])
    dashboards_services.zones_check()  # remembers the zone
    channel = make_channel()
    followers_write(channel=channel, followers=700, collected_at=at(DAY, 12))
    followers_write(channel=channel, followers=900, collected_at=at(DAY + timedelta(days=1), 12))
    target = published_on(make_published, channel, at(DAY, 23, 30))
    snapshots_write(
        readings=[Reading(target, Values(likes=5), at(DAY + timedelta(days=1), 12))], source=Source.API
    )
    assert latest(target).followers == 700
    ws.timezone = "Europe/Paris"
    ws.save(update_fields=["timezone"])
    assert dashboards_services.zones_check() == [ws.pk]  # the minute job sees the change
    assert latest(target).followers == 900


def test_workspace_refresh_repairs_rows_written_in_bulk(team, make_channel, make_published):
    channel = make_channel()
    rubric = Rubric.objects.create(workspace=team.workspace, name="Recipes")
    followers_write(channel=channel, followers=42, collected_at=at(DAY, 6))
    target = published_on(make_published, channel, at(DAY, 9))
    target.post.rubric = rubric
    target.post.save(update_fields=["rubric"])
    PostMetricLatest.objects.create(
        target=target,
        workspace=team.workspace,
        post=target.post,
        channel=channel,
        published_at=target.published_at,
        collected_at=at(DAY, 12),
        likes=3,
    )
    assert (latest(target).rubric_id, latest(target).followers) == (None, None)
    assert publication.workspace_refresh(workspace=team.workspace) == 1
    assert (latest(target).rubric_id, latest(target).followers) == (rubric.pk, 42)
