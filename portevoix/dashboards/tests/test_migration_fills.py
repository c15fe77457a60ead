"""The data migrations that fill what decision 0013 keeps beside the figures give the same values as the
services that keep them in step: metrics.0002 (each latest-values row's rubric and followers at
publication), metrics.0003 (the followers' month rows) and dashboards.0003 (the per-post roll-ups, summed
from the finer ones)."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.db import connection

from portevoix.content.models import Post
from portevoix.dashboards import services
from portevoix.dashboards.models import ClickPostDaily, VisitPostDaily
from portevoix.dashboards.tests import factory
from portevoix.metrics import selectors as metrics_selectors
from portevoix.metrics.models import PostMetricLatest
from portevoix.metrics.services import publication
from portevoix.planning.models import Rubric

pytestmark = pytest.mark.django_db

metrics_0002 = importlib.import_module("portevoix.metrics.migrations.0002_latest_rubric_and_followers")
metrics_0003 = importlib.import_module("portevoix.metrics.migrations.0003_follower_month")
dashboards_0003 = importlib.import_module("portevoix.dashboards.migrations.0003_post_rollups")


def at(month: int, day: int, hour: int) -> dt.datetime:
    return dt.datetime(2025, month, day, hour, tzinfo=dt.UTC)


@pytest.fixture
def posts(team, other_team):
    """Posts in two zones, on days with a count, a week after one, beyond the lookback, near midnight."""
    ws = team.workspace
    ws.timezone = "Pacific/Auckland"  # 13 hours ahead in October: a UTC evening is the next local day
    ws.save(update_fields=["timezone"])
    recipes = Rubric.objects.create(workspace=ws, name="Recipes")
    vk, tg = factory.channel(ws, "vk"), factory.channel(ws, "telegram")
    factory.followers(vk, dt.date(2025, 10, 1), 1000)
    factory.followers(vk, dt.date(2025, 10, 2), 1010)
    factory.followers(tg, dt.date(2025, 9, 1), 50)
    made = [
        factory.published(ws, vk, at(10, 1, 12), rubric=recipes, views=10),  # 2 October local: 1010
        factory.published(ws, vk, at(10, 8, 9), views=10),  # 8 October local, 6 days after: 1010
        factory.published(ws, vk, at(10, 20, 9), rubric=recipes, views=10),  # beyond the week: None
        factory.published(ws, tg, at(9, 3, 1), views=10),  # 3 September local: 50
        factory.published(ws, tg, at(8, 31, 9), views=10),  # before any count: None
    ]
    other = other_team.workspace  # Europe/Paris by default
    elsewhere = factory.channel(other, "vk")
    factory.followers(elsewhere, dt.date(2025, 10, 1), 7)
    made.append(factory.published(other, elsewhere, at(10, 1, 21), views=3))  # 1 October in Paris: 7
    return made


def kept() -> dict[int, tuple[int | None, int | None]]:
    rows = PostMetricLatest.objects.values_list("target_id", "rubric_id", "followers")
    return {target_id: (rubric_id, followers) for target_id, rubric_id, followers in rows}


def test_metrics_0002_fills_what_the_publication_service_keeps(posts):
    by_service = kept()
    assert [by_service[t.pk][1] for t in posts] == [1010, 1010, None, 50, None, 7]
    assert by_service[posts[0].pk][0] == posts[0].post.rubric_id is not None
    assert metrics_selectors.FOLLOWERS_LOOKBACK.days == metrics_0002.LOOKBACK_DAYS
    PostMetricLatest.objects.update(rubric=None, followers=None)
    metrics_0002.fill(apps, None)
    assert kept() == by_service


def test_metrics_0002_fill_survives_an_unknown_zone_and_rows_without_a_publication_time(posts, team):
    PostMetricLatest.objects.filter(target=posts[1]).update(published_at=None)
    team.workspace.__class__.objects.filter(pk=team.workspace.pk).update(timezone="Not/AZone")
    PostMetricLatest.objects.update(followers=None)
    metrics_0002.fill(apps, None)
    found = kept()
    assert found[posts[1].pk][1] is None  # no publication time: nothing to look up
    assert found[posts[0].pk][1] == 1000  # read in UTC: 1 October
    assert found[posts[5].pk][1] == 7


def test_dashboards_0003_fills_the_per_post_rollups_as_the_refresh_does(team):
    ws = team.workspace
    ch = factory.channel(ws, "vk")
    first = factory.published(ws, ch, dt.datetime(2025, 10, 5, 12, tzinfo=dt.UTC), views=1)
    second = factory.published(ws, ch, dt.datetime(2025, 10, 6, 12, tzinfo=dt.UTC), views=1)
    for target, days in ((first, (5, 6, 20)), (second, (6, 30))):
        link = factory.link(ws, post=target.post, ch=ch)
        for day in days:
            factory.clicks(link, dt.datetime(2025, 10, day, 10, tzinfo=dt.UTC), humans=day % 4 + 1, bots=1)
    site = factory.site(ws)
    for n in range(5):
        factory.visit(site, dt.datetime(2025, 10, 5 + n, 9, tzinfo=dt.UTC), post=first.post, seconds=30 * n)
    factory.visit(site, dt.datetime(2025, 10, 7, 9, tzinfo=dt.UTC), post=second.post, network="", seconds=5)
    services.rollups_refresh(settle=dt.timedelta(0))

    def rows(model):
        fields = [f.attname for f in model._meta.concrete_fields if f.name != "id"]
        return sorted(model.objects.values_list(*fields))

    clicks, visits = rows(ClickPostDaily), rows(VisitPostDaily)
    daily = ClickPostDaily.objects.filter(span="d")
    assert sorted(daily.values_list("post_id", "humans")) == sorted(
        [(first.post_id, 2), (first.post_id, 3), (first.post_id, 1), (second.post_id, 3), (second.post_id, 3)]
    )
    assert sum(VisitPostDaily.objects.filter(span="d").values_list("visits", flat=True)) == 6
    ClickPostDaily.objects.all().delete()
    VisitPostDaily.objects.all().delete()
    with connection.cursor() as cursor:
        for statement in dashboards_0003.FILL:
            cursor.execute(statement)
    assert rows(ClickPostDaily) == clicks
    assert rows(VisitPostDaily) == visits


def test_the_publication_service_and_the_fill_agree_after_a_rubric_change(posts):
    """A later rubric change (the post, then the service, as content.services.post_update does); the fill,
    run again, agrees with it."""
    target = posts[1]
    rubric = Rubric.objects.create(workspace=target.workspace, name="News")
    Post.objects.filter(pk=target.post_id).update(rubric=rubric)
    publication.rubric_changed(post_id=target.post_id, rubric_id=rubric.pk)
    by_service = kept()
    metrics_0002.fill(apps, None)
    assert kept() == by_service
    assert by_service[target.pk][0] == rubric.pk


def test_metrics_0003_fills_the_month_rows_the_follower_writes_keep(posts):
    from portevoix.metrics.models import FollowerMonth

    def months():
        return sorted(FollowerMonth.objects.values_list("workspace_id", "channel_id", "month", "counts"))

    by_service = months()
    assert len(by_service) == 3  # vk: October; telegram: September; the other workspace: October
    FollowerMonth.objects.all().delete()
    metrics_0003.fill(apps, None)
    assert months() == by_service
