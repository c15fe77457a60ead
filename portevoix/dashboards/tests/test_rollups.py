"""The roll-ups against the raw rows: sums equal, incremental and idempotent refresh, several runs, local
days across DST, time-zone changes, visits recomputed while their sessions go on."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from portevoix.analytics.models import Conversion, Visit
from portevoix.dashboards import services
from portevoix.dashboards.models import (
    ClickChannelDaily,
    ClickDaily,
    ClickPostDaily,
    ConversionDaily,
    ConversionGoalDaily,
    RollupState,
    VisitDaily,
    VisitDurationDaily,
    VisitNetworkDaily,
    VisitPostDaily,
)
from portevoix.dashboards.tests import factory
from portevoix.links.models import Click

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2025, 11, 10, 12, 0, tzinfo=dt.UTC)
NO_WAIT = dt.timedelta(0)


def _zone(team, name):
    team.workspace.timezone = name
    team.workspace.save(update_fields=["timezone"])


def _raw_by_day(workspace):
    tz = workspace.tzinfo
    totals = {}
    for link_id, at, bot in Click.objects.filter(workspace_id=workspace.pk).values_list(
        "link_id", "at", "is_bot"
    ):
        key = (link_id, at.astimezone(tz).date())
        humans, bots = totals.get(key, (0, 0))
        totals[key] = (humans + (not bot), bots + bot)
    return totals


def _rolled(workspace, span="d"):
    return {
        (row.link_id, row.day): (row.humans, row.bots)
        for row in ClickDaily.objects.filter(workspace_id=workspace.pk, span=span)
    }


@pytest.mark.parametrize("zone", ["Europe/Paris", "Asia/Kolkata", "UTC", "America/St_Johns"])
def test_random_clicks_roll_up_to_the_raw_sums_per_local_day(team, zone):
    _zone(team, zone)
    rng = random.Random(zone)
    channel = factory.channel(team.workspace, "vk")
    links = [factory.link(team.workspace, ch=channel) for _ in range(4)]
    start = dt.datetime(2025, 3, 28, tzinfo=dt.UTC)
    for _ in range(60):
        at = start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 5))
        factory.clicks(rng.choice(links), at, humans=rng.randrange(0, 4), bots=rng.randrange(0, 2))
    services.clicks_refresh(now=NOW, settle=NO_WAIT, batch=17)  # many small batches
    assert _rolled(team.workspace) == _raw_by_day(team.workspace)
    humans = Click.objects.filter(is_bot=False).count()
    for span in ("d", "w", "m"):  # every click once in its day, its week and its month
        assert ClickDaily.objects.filter(span=span).aggregate(h=Sum("humans"))["h"] == humans
        assert ClickChannelDaily.objects.filter(span=span).aggregate(h=Sum("humans"))["h"] == humans
    assert {row.network for row in ClickDaily.objects.all()} == {"vk"}
    assert {row.channel_id for row in ClickDaily.objects.all()} == {channel.pk}


def test_refresh_is_incremental_and_idempotent(team):
    link = factory.link(team.workspace)
    at = dt.datetime(2025, 6, 1, 10, tzinfo=dt.UTC)
    factory.clicks(link, at, humans=3, bots=1)
    assert services.clicks_refresh(now=NOW, settle=NO_WAIT) == 4
    assert services.clicks_refresh(now=NOW, settle=NO_WAIT) == 0  # nothing new: nothing added twice
    assert _rolled(team.workspace) == {(link.pk, at.date()): (3, 1)}
    factory.clicks(link, at, humans=2)
    assert services.clicks_refresh(now=NOW, settle=NO_WAIT) == 2
    assert _rolled(team.workspace) == {(link.pk, at.date()): (5, 1)}
    assert RollupState.objects.get(source="clicks").watermark == Click.objects.order_by("-id").first().pk


def test_new_ids_wait_for_the_settle_time_before_they_are_added(team):
    link = factory.link(team.workspace)
    factory.clicks(link, NOW - dt.timedelta(minutes=5), humans=2)
    settle = dt.timedelta(seconds=20)
    assert services.clicks_refresh(now=NOW, settle=settle) == 0  # first run: notes the newest id
    assert services.clicks_refresh(now=NOW + dt.timedelta(seconds=5), settle=settle) == 0  # too soon
    factory.clicks(link, NOW, humans=1)
    assert services.clicks_refresh(now=NOW + dt.timedelta(seconds=30), settle=settle) == 2  # the settled ones
    assert services.clicks_refresh(now=NOW + dt.timedelta(seconds=60), settle=settle) == 1
    assert _rolled(team.workspace) == {(link.pk, NOW.date()): (3, 0)}


def test_a_failed_batch_adds_nothing_and_the_next_run_adds_it_once(team, monkeypatch):
    link = factory.link(team.workspace)
    factory.clicks(link, NOW, humans=5)
    real = services._add_clicks

    def broken(rows):
        real(rows)
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_add_clicks", broken)
    with pytest.raises(RuntimeError):
        services.clicks_refresh(now=NOW, settle=NO_WAIT)
    assert not ClickDaily.objects.exists()  # rolled back with the watermark
    monkeypatch.setattr(services, "_add_clicks", real)
    services.clicks_refresh(now=NOW, settle=NO_WAIT)
    assert _rolled(team.workspace) == {(link.pk, NOW.date()): (5, 0)}


def test_days_are_cut_at_local_midnight_across_both_dst_changes(team):
    """Paris: summer time from 2025-03-30 01:00 UTC, winter time from 2025-10-26 01:00 UTC."""
    _zone(team, "Europe/Paris")
    link = factory.link(team.workspace)
    for at in (
        dt.datetime(2025, 3, 29, 22, 59, tzinfo=dt.UTC),  # 23:59 on the 29th (UTC+1)
        dt.datetime(2025, 3, 29, 23, 0, tzinfo=dt.UTC),  # 00:00 on the 30th
        dt.datetime(2025, 3, 30, 21, 59, tzinfo=dt.UTC),  # 23:59 on the 30th (UTC+2): a 23-hour day
        dt.datetime(2025, 3, 30, 22, 0, tzinfo=dt.UTC),  # 00:00 on the 31st
        dt.datetime(2025, 10, 25, 21, 59, tzinfo=dt.UTC),  # 23:59 on the 25th (UTC+2)
        dt.datetime(2025, 10, 25, 22, 0, tzinfo=dt.UTC),  # 00:00 on the 26th: a 25-hour day
        dt.datetime(2025, 10, 26, 22, 59, tzinfo=dt.UTC),  # 23:59 on the 26th (UTC+1)
        dt.datetime(2025, 10, 26, 23, 0, tzinfo=dt.UTC),  # 00:00 on the 27th
    ):
        factory.clicks(link, at)
    services.clicks_refresh(now=NOW, settle=NO_WAIT)
    days = dict(ClickDaily.objects.filter(span="d").values_list("day", "humans"))
    assert days == {
        dt.date(2025, 3, 29): 1,
        dt.date(2025, 3, 30): 2,
        dt.date(2025, 3, 31): 1,
        dt.date(2025, 10, 25): 1,
        dt.date(2025, 10, 26): 2,
        dt.date(2025, 10, 27): 1,
    }


def test_a_time_zone_change_rebuilds_the_workspace(team, other_team):
    _zone(team, "UTC")
    _zone(other_team, "UTC")
    link = factory.link(team.workspace)
    other = factory.link(other_team.workspace)
    at = dt.datetime(2025, 6, 1, 23, 30, tzinfo=dt.UTC)  # the 1st in UTC, the 2nd in Moscow
    factory.clicks(link, at, humans=2)
    factory.clicks(other, at, humans=1)
    services.rollups_refresh(now=NOW, settle=NO_WAIT)
    assert _rolled(team.workspace) == {(link.pk, dt.date(2025, 6, 1)): (2, 0)}
    _zone(team, "Europe/Moscow")
    report = services.rollups_refresh(now=NOW, settle=NO_WAIT)
    assert report.rebuilt == [team.workspace.pk]
    assert _rolled(team.workspace) == {(link.pk, dt.date(2025, 6, 2)): (2, 0)}
    assert _rolled(other_team.workspace) == {(other.pk, dt.date(2025, 6, 1)): (1, 0)}  # untouched
    assert services.rollups_refresh(now=NOW, settle=NO_WAIT).rebuilt == []


def test_a_time_zone_change_moves_the_follower_days_and_the_followers_at_publication(team, other_team):
    """Follower readings are filed by local day: a new zone files them again (the month rows and each
    post's followers at publication follow); another workspace is left alone."""
    from portevoix.metrics.models import FollowerDaily, FollowerMonth, PostMetricLatest
    from portevoix.metrics.services import followers_write

    _zone(team, "UTC")
    _zone(other_team, "UTC")
    services.rollups_refresh(now=NOW, settle=NO_WAIT)  # the zones are noted
    vk = factory.channel(team.workspace, "vk")
    elsewhere = factory.channel(other_team.workspace, "vk")
    evening = dt.datetime(2025, 5, 31, 22, 30, tzinfo=dt.UTC)  # 31 May in UTC, 1 June in Moscow
    followers_write(channel=vk, followers=100, collected_at=evening - dt.timedelta(hours=10))
    followers_write(channel=vk, followers=120, collected_at=evening)
    followers_write(channel=vk, followers=130, collected_at=evening + dt.timedelta(days=1))
    followers_write(channel=elsewhere, followers=7, collected_at=evening)
    post = factory.published(team.workspace, vk, dt.datetime(2025, 6, 1, 6, tzinfo=dt.UTC), views=5)

    def days(channel):
        return dict(FollowerDaily.objects.filter(channel=channel).values_list("day", "followers"))

    assert days(vk) == {dt.date(2025, 5, 31): 120, dt.date(2025, 6, 1): 130}
    assert PostMetricLatest.objects.get(target=post).followers == 130  # 1 June: 130
    _zone(team, "Europe/Moscow")
    assert services.rollups_refresh(now=NOW, settle=NO_WAIT).rebuilt == [team.workspace.pk]
    assert days(vk) == {dt.date(2025, 5, 31): 100, dt.date(2025, 6, 1): 120, dt.date(2025, 6, 2): 130}
    months = dict(FollowerMonth.objects.filter(channel=vk).values_list("month", "counts"))
    assert months[dt.date(2025, 5, 1)][30] == 100
    assert months[dt.date(2025, 6, 1)][:2] == [120, 130]
    assert PostMetricLatest.objects.get(target=post).followers == 120  # 1 June in Moscow: 120
    daily = FollowerDaily.objects.get(channel=vk, day=dt.date(2025, 6, 1))
    assert (daily.collected_at, daily.workspace_id) == (evening, team.workspace.pk)
    assert days(elsewhere) == {dt.date(2025, 5, 31): 7}


def test_random_visits_and_conversions_roll_up_to_the_raw_sums(team):
    _zone(team, "Europe/Paris")
    rng = random.Random(5)
    site = factory.site(team.workspace)
    post = factory.published(team.workspace, factory.channel(team.workspace), NOW).post
    start = dt.datetime(2025, 10, 24, tzinfo=dt.UTC)  # over the end of summer time (the 26th)
    for _ in range(80):
        at = start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 4))
        visit = factory.visit(
            site, at, network=rng.choice(["vk", "", "telegram"]), campaign=rng.choice(["", "spring"]),
            post=rng.choice([None, post]), bounced=rng.random() < 0.4, seconds=rng.randrange(0, 100),
        )  # fmt: skip
        for _conversion in range(rng.choice([0, 0, 0, 1, 2])):  # some visits convert twice
            factory.conversion(
                site, at, revenue=rng.choice([None, "9.99", "20.00"]), currency=rng.choice(["EUR", "RUB"]),
                post=rng.choice([None, post]), visit=rng.choice([visit, None]),
            )  # fmt: skip
    services.rollups_refresh(now=NOW, settle=NO_WAIT)
    tz = team.workspace.tzinfo
    converted = set(Conversion.objects.exclude(visit=None).values_list("visit_id", flat=True))
    raw: dict = {}
    networks: dict = {}
    histograms: dict = {}
    for v in Visit.objects.all():
        day = v.started_at.astimezone(tz).date()
        for table, key in (
            (raw, (day, v.network, v.campaign, v.post_id or 0)),
            (networks, (day, v.network, v.campaign)),
        ):
            a = table.setdefault(key, [0, 0, 0, 0, 0])
            a[0] += 1
            a[1] += v.bounced
            a[2] += v.engaged_seconds
            a[3] += v.pageviews
            a[4] += v.pk in converted
        histograms.setdefault((day, v.network), []).append(v.engaged_seconds)
    measures = ("visits", "bounces", "engaged_seconds", "pageviews", "converted")
    rolled = {
        (r["day"], r["network"], r["campaign"], r["post_id"]): [r[m] for m in measures]
        for r in VisitDaily.objects.filter(span="d").values()
    }
    assert rolled == raw
    assert sum(row[4] for row in raw.values()) == len(converted) > 0
    rolled_networks = {
        (r["day"], r["network"], r["campaign"]): [r[m] for m in measures]
        for r in VisitNetworkDaily.objects.filter(span="d").values()
    }
    assert rolled_networks == networks
    expected = {
        (day, network, number): [len(values), min(values), max(values)]
        for (day, network), seconds in histograms.items()
        for number, values in _by_bucket(seconds).items()
    }
    rolled_durations = {
        (r.day, r.network, r.bucket): [r.visits, r.min_seconds, r.max_seconds]
        for r in VisitDurationDaily.objects.filter(span="d")
    }
    assert rolled_durations == expected
    for model in (VisitDaily, VisitNetworkDaily, VisitDurationDaily):
        for span in ("w", "m"):  # the week and month rows add up the days
            assert model.objects.filter(span=span).aggregate(v=Sum("visits"))["v"] == Visit.objects.count()
    assert VisitNetworkDaily.objects.filter(span="m").aggregate(c=Sum("converted"))["c"] == len(converted)
    raw_money = sum((c.revenue or Decimal(0) for c in Conversion.objects.all()), Decimal(0))
    for model in (ConversionDaily, ConversionGoalDaily):
        for span in ("d", "w", "m"):
            rows = model.objects.filter(span=span)
            assert rows.aggregate(s=Sum("revenue"))["s"] == raw_money
            assert rows.aggregate(s=Sum("conversions"))["s"] == Conversion.objects.count()
            assert (
                rows.aggregate(s=Sum("with_revenue"))["s"] == Conversion.objects.exclude(revenue=None).count()
            )


def _by_bucket(seconds):
    from portevoix.dashboards import durations

    found: dict = {}
    for value in seconds:
        found.setdefault(durations.bucket(value), []).append(value)
    return found


def test_a_late_conversion_of_an_old_visit_marks_the_visit_converted(team):
    """A server-side conversion sent days later, joined to a visit whose day is no longer recomputed."""
    site = factory.site(team.workspace)
    old = factory.visit(site, NOW - dt.timedelta(days=10), network="vk")
    services.rollups_refresh(now=NOW, settle=NO_WAIT)
    assert RollupState.objects.get(source="visits").watermark == old.pk  # settled: not recomputed again
    day = old.started_at.date()
    assert VisitDaily.objects.get(span="d", day=day).converted == 0
    factory.conversion(site, NOW, visit=old)
    factory.conversion(site, NOW, goal="signup", visit=old)  # a second one: the visit counts once
    services.rollups_refresh(now=NOW + dt.timedelta(minutes=1), settle=NO_WAIT)
    for span in ("d", "w", "m"):
        assert VisitDaily.objects.get(span=span).converted == 1
        assert VisitNetworkDaily.objects.get(span=span).converted == 1
    assert VisitDaily.objects.get(span="d").day == day


def test_a_visit_that_goes_on_is_recomputed_and_old_days_stay(team):
    site = factory.site(team.workspace)
    old = factory.visit(site, NOW - dt.timedelta(days=3), bounced=True, seconds=0, pages=1)
    services.visits_refresh(now=NOW - dt.timedelta(days=3))
    live = factory.visit(site, NOW, bounced=True, seconds=0, pages=1)
    services.visits_refresh(now=NOW)
    assert VisitDaily.objects.get(span="d", day=NOW.date()).bounces == 1
    live.bounced, live.engaged_seconds, live.pageviews = False, 40, 3
    live.save()
    services.visits_refresh(now=NOW + dt.timedelta(minutes=1))
    today = VisitDaily.objects.get(span="d", day=NOW.date())
    assert (today.visits, today.bounces, today.engaged_seconds, today.pageviews) == (1, 0, 40, 3)
    assert VisitDaily.objects.get(span="d", day=old.started_at.date()).visits == 1
    assert VisitDaily.objects.filter(span="d").count() == 2
    # Hours later the floor passes both visits: nothing more to recompute.
    services.visits_refresh(now=NOW + dt.timedelta(hours=7))
    assert services.visits_refresh(now=NOW + dt.timedelta(hours=14)) == 0
    for span in ("d", "w", "m"):
        assert VisitDaily.objects.filter(span=span).aggregate(v=Sum("visits"))["v"] == 2


def test_the_periodic_job_is_registered():
    from portevoix.core.scheduling import load_periodic_jobs

    assert "dashboards.refresh" in {job.name for job in load_periodic_jobs()}


def test_local_midnight_of_a_day_without_midnight():
    """America/Santiago skipped 2022-09-11 00:00: the day starts at 01:00 local."""
    tz = timezone.get_default_timezone().__class__("America/Santiago")
    start = services.local_midnight(dt.date(2022, 9, 11), tz)
    assert start.astimezone(tz).hour in (0, 1)


def test_the_first_visit_run_computes_everything_then_only_recent_visits(team):
    site = factory.site(team.workspace)
    old = [factory.visit(site, NOW - dt.timedelta(days=d)) for d in (30, 10, 2)]
    recent = factory.visit(site, NOW - dt.timedelta(hours=1))
    assert services.visits_refresh(now=NOW) == 1
    assert VisitDaily.objects.filter(span="d").aggregate(v=Sum("visits"))["v"] == 4
    assert RollupState.objects.get(source="visits").watermark == old[-1].pk  # older than 6 hours: settled
    recent.pageviews = 9
    recent.save()
    services.visits_refresh(now=NOW + dt.timedelta(minutes=1))
    assert VisitDaily.objects.get(span="d", day=recent.started_at.date()).pageviews == 9
    for span in ("d", "w", "m"):
        assert VisitDaily.objects.filter(span=span).aggregate(v=Sum("visits"))["v"] == 4


def _sums(rows, keys, measures, **where):
    """{key: sums} of the rows (a model or a queryset), leaving out keys whose sums are all 0."""
    found = rows.filter(**where) if hasattr(rows, "filter") else rows.objects.filter(**where)
    found = found.values(*keys).annotate(**{m: Sum(m) for m in measures}).order_by()
    return {
        tuple(row[k] for k in keys): tuple(row[m] for m in measures)
        for row in found
        if any(row[m] for m in measures)
    }


def test_the_per_post_tables_hold_the_sums_of_the_per_link_and_per_network_ones(team):
    """ClickPostDaily and VisitPostDaily (the rankings of posts) equal ClickDaily and VisitDaily summed
    per post (and social or not), for every day, week and month, after incremental runs and a rebuild."""
    _zone(team, "Europe/Paris")
    rng = random.Random(5)
    ws = team.workspace
    vk, tg = factory.channel(ws, "vk"), factory.channel(ws, "telegram")
    posts = [factory.published(ws, vk, NOW - dt.timedelta(days=40)).post for _ in range(3)]
    links = [factory.link(ws, post=post, ch=ch) for post in posts for ch in (vk, tg)] + [factory.link(ws)]
    site = factory.site(ws)
    start = NOW - dt.timedelta(days=35)
    for _ in range(80):
        at = start + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 34))
        factory.clicks(rng.choice(links), at, humans=rng.randrange(0, 3), bots=rng.randrange(0, 2))
        factory.visit(
            site,
            at,
            network=rng.choice(["vk", "telegram", ""]),
            campaign=rng.choice(["a", "b"]),
            post=rng.choice([*posts, None]),
            seconds=rng.randrange(0, 300),
        )
    services.rollups_refresh(now=NOW, settle=NO_WAIT)
    services.rollups_refresh(now=NOW, settle=NO_WAIT)

    def check():
        for span in ("d", "w", "m"):
            by_link = _sums(ClickDaily, ("day", "post_id"), ("humans", "bots"), span=span)
            assert _sums(ClickPostDaily, ("day", "post_id"), ("humans", "bots"), span=span) == by_link
            visits = ("visits", "bounces", "engaged_seconds", "converted")
            for social in (True, False):
                rows = (
                    VisitDaily.objects.exclude(network="")
                    if social
                    else VisitDaily.objects.filter(network="")
                )
                by_network = _sums(rows, ("day", "post_id"), visits, span=span)
                assert (
                    _sums(VisitPostDaily, ("day", "post_id"), visits, span=span, social=social) == by_network
                )
        assert ClickPostDaily.objects.filter(span="d").aggregate(h=Sum("humans"))["h"] == (
            Click.objects.filter(is_bot=False).count()
        )

    check()
    services.workspace_rebuild(workspace_id=ws.pk)
    check()
