"""Beacons become visits and conversions: the 30-minute rule, the bounce rule, engaged time, sources,
posts, attribution and deduplication; the in-memory state is bounded and read back after a restart."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from portevoix.analytics.models import Conversion, Visit
from portevoix.analytics.sessions import Sessions
from portevoix.content import services as content_services
from portevoix.links import services as link_services
from portevoix.workspaces.roles import Role

from .conftest import GOOGLEBOT, T0, hit, visitor

pytestmark = pytest.mark.django_db
MIN = 60


def test_thirty_minutes_of_inactivity_ends_a_session(site):
    sessions = Sessions()
    vid = visitor()
    sessions.store([hit(site, at=T0, vid=vid), hit(site, at=T0 + 29 * MIN, vid=vid, path="/b")])
    assert Visit.objects.count() == 1
    sessions.store([hit(site, at=T0 + 59 * MIN + 1, vid=vid)])  # 30 min and 1 s after the last hit
    visits = list(Visit.objects.order_by("started_at"))
    assert [v.pageviews for v in visits] == [2, 1]
    first = visits[0]
    assert first.last_seen_at == dt.datetime.fromtimestamp(T0 + 29 * MIN, dt.UTC)
    assert first.landing_path == "/"
    assert len(first.visitor) == 32
    assert first.visitor != vid


def test_visitors_are_apart_and_bots_are_dropped(site):
    sessions = Sessions()
    sessions.store(
        [hit(site, vid=visitor()), hit(site, vid=visitor()), hit(site, vid=visitor(), ua=GOOGLEBOT)]
    )
    assert Visit.objects.count() == 2
    assert sessions.bots == 1


def test_bounce_rule(site):
    sessions = Sessions()
    bounced, two_pages, long_read, short_read, goal = (visitor() for _ in range(5))
    sessions.store(
        [
            hit(site, vid=bounced),
            hit(site, vid=two_pages),
            hit(site, vid=two_pages, at=T0 + 5, path="/2"),
            hit(site, vid=long_read),
            hit(site, "engagement", vid=long_read, at=T0 + 12, seconds=6),
            hit(site, "engagement", vid=long_read, at=T0 + 20, seconds=5),
            hit(site, vid=short_read),
            hit(site, "engagement", vid=short_read, at=T0 + 9, seconds=9),
            hit(site, vid=goal),
            hit(site, "goal", vid=goal, at=T0 + 3, goal="signup"),
        ]
    )
    by_path = {v.pk: v for v in Visit.objects.all()}
    assert len(by_path) == 5
    states = sorted((v.pageviews, v.engaged_seconds, v.engaged, v.bounced) for v in by_path.values())
    assert states == [
        (1, 0, False, True),  # one page, nothing else: a bounce
        (1, 0, True, False),  # one page and a goal
        (1, 9, False, True),  # one page, 9 s: still a bounce
        (1, 11, True, False),  # one page, 6 + 5 = 11 s engaged
        (2, 0, True, False),  # two pages
    ]


def test_engagement_without_an_open_visit_is_ignored(site):
    sessions = Sessions()
    sessions.store([hit(site, "engagement", seconds=30)])
    assert Visit.objects.count() == 0
    assert sessions.orphans == 1


def test_a_restart_continues_the_session_from_the_database(site):
    vid = visitor()
    Sessions().store([hit(site, vid=vid)])
    fresh = Sessions()  # a new process: nothing in memory
    fresh.store(
        [hit(site, "engagement", vid=vid, at=T0 + 20 * MIN, seconds=40), hit(site, vid=vid, at=T0 + 21 * MIN)]
    )
    visit = Visit.objects.get()
    assert (visit.pageviews, visit.engaged_seconds, visit.bounced) == (2, 40, False)


def test_the_session_state_is_bounded(site):
    sessions = Sessions(max_sessions=3)
    vids = [visitor() for _ in range(10)]
    sessions.store([hit(site, vid=vid, at=T0 + n) for n, vid in enumerate(vids)])
    assert len(sessions) == 3
    sessions.store([hit(site, vid=vids[0], at=T0 + 60)])  # evicted, read back: same visit
    assert Visit.objects.count() == 10
    assert Visit.objects.filter(pageviews=2).count() == 1


def test_a_failed_batch_stores_nothing_and_forgets_its_state(site, monkeypatch):
    sessions = Sessions()
    vid = visitor()
    sessions.store([hit(site, vid=vid)])

    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr(Visit.objects, "bulk_update", broken)
    with pytest.raises(RuntimeError):
        sessions.store([hit(site, vid=vid, at=T0 + 10)])
    monkeypatch.undo()
    assert len(sessions) == 0
    sessions.store([hit(site, vid=vid, at=T0 + 10)])  # the retry counts the page once
    assert Visit.objects.get().pageviews == 2


def test_source_from_utm_and_post_from_utm_content_of_the_same_workspace_only(site, team, other_team):
    own = content_services.post_create(by=team.member(Role.OWNER), text="Spring sale")
    foreign = content_services.post_create(by=other_team.member(Role.OWNER), text="Not theirs")
    utm = (("source", "vk"), ("medium", "social"), ("campaign", "spring"))
    Sessions().store(
        [
            hit(site, vid=visitor(), referrer="https://t.co/x", utm=(*utm, ("content", str(own.pk)))),
            hit(site, vid=visitor(), utm=(*utm, ("content", str(foreign.pk)))),
            hit(site, vid=visitor(), referrer="https://away.vk.com/away.php?to=x"),
            hit(site, vid=visitor(), referrer="https://shop.example/other"),
        ]
    )
    rows = list(
        Visit.objects.order_by("id").values_list(
            "source", "medium", "campaign", "network", "post_id", "referrer_host"
        )
    )
    assert rows == [
        ("vk", "social", "spring", "vk", own.pk, "t.co"),
        ("vk", "social", "spring", "vk", None, ""),
        ("away.vk.com", "social", "", "vk", None, "away.vk.com"),
        ("(direct)", "(none)", "", "", None, "shop.example"),
    ]


def test_a_short_link_code_gives_the_link_and_its_post(site, team):
    post = content_services.post_create(by=team.member(Role.OWNER), text="Spring sale")
    link = link_services.link_create(by=team.member(Role.OWNER), url="https://shop.example/", post=post)
    Sessions().store(
        [hit(site, vid=visitor(), link_code=link.code), hit(site, vid=visitor(), link_code="ZZZZZZZZ")]
    )
    assert list(Visit.objects.order_by("id").values_list("link_id", "post_id")) == [
        (link.pk, post.pk),
        (None, None),
    ]


def test_a_goal_is_attributed_to_the_last_social_visit_within_30_days(site, team):
    post = content_services.post_create(by=team.member(Role.OWNER), text="Spring sale")
    sessions = Sessions()
    vid, late = visitor(), visitor()
    day = 24 * 3600
    social = (("source", "telegram"), ("medium", "social"), ("campaign", "spring"), ("content", str(post.pk)))
    sessions.store(
        [
            hit(site, vid=vid, at=T0, utm=social),
            hit(site, vid=vid, at=T0 + 10 * day),  # a direct visit later
            hit(
                site,
                "goal",
                vid=vid,
                at=T0 + 10 * day + 60,
                goal="purchase",
                revenue=Decimal("20.00"),
                currency="EUR",
                order_id="A-1",
            ),
            hit(site, vid=late, at=T0, utm=social),
            hit(site, vid=late, at=T0 + 31 * day),
            hit(site, "goal", vid=late, at=T0 + 31 * day + 60, goal="signup"),
        ]
    )
    attributed, outside = Conversion.objects.order_by("id")
    assert (attributed.network, attributed.campaign, attributed.post_id) == ("telegram", "spring", post.pk)
    assert attributed.visit.started_at == dt.datetime.fromtimestamp(
        T0 + 10 * day, dt.UTC
    )  # the session it happened in
    assert (attributed.revenue, attributed.currency, attributed.source) == (Decimal("20.00"), "EUR", "page")
    assert (outside.network, outside.post_id) == ("", None)  # the social visit was 31 days before


def test_page_goals_are_deduplicated_by_order_id(site):
    sessions = Sessions()
    vid = visitor()
    purchase = {"goal": "purchase", "revenue": Decimal("5.00"), "currency": "EUR", "order_id": "A-7"}
    sessions.store(
        [
            hit(site, vid=vid),
            hit(site, "goal", vid=vid, at=T0 + 1, **purchase),
            hit(site, "goal", vid=vid, at=T0 + 2, **purchase),
        ]
    )
    sessions.store([hit(site, "goal", vid=vid, at=T0 + 3, **purchase)])
    sessions.store(
        [
            hit(site, "goal", vid=vid, at=T0 + 4, goal="signup"),
            hit(site, "goal", vid=vid, at=T0 + 5, goal="signup"),
        ]
    )
    assert Conversion.objects.filter(order_id="A-7").count() == 1
    assert Conversion.objects.filter(goal="signup").count() == 2  # without an order id nothing is merged


def test_last_event_time_is_kept_for_the_installation_check(site):
    assert site.last_event_at is None
    Sessions().store([hit(site, vid=visitor(), at=T0 + 5)])
    site.refresh_from_db()
    assert site.last_event_at == dt.datetime.fromtimestamp(T0 + 5, dt.UTC)


def test_beacons_of_a_site_deleted_meanwhile_are_dropped_not_retried(site, team):
    from portevoix.analytics import services

    other = services.site_create(by=team.member(Role.OWNER), name="Gone").site
    waiting = [hit(other, vid=visitor()), hit(site, vid=visitor())]
    services.site_delete(by=team.member(Role.OWNER), site=other)
    assert Sessions().store(waiting) == 1
    assert list(Visit.objects.values_list("site_id", flat=True)) == [site.pk]
