"""The calendar page: its four views, filters, colours, the viewer's time zone, query counts, and moving a
post by drag and drop (the JSON endpoint calendar.js calls)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from portevoix.content.models import Post
from portevoix.planning.tests.calendar_factory import make_channel, make_posts, make_rubric
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def url(team, **params):
    base = reverse("planning:calendar", args=[team.workspace.slug])
    if not params:
        return base
    return base + "?" + "&".join(f"{k}={v}" for k, v in params.items())


def move_url(team, post):
    return reverse("planning:calendar_reschedule", args=[team.workspace.slug, post.pk])


def future_month():
    """The first day of the month after next (Paris), and a Paris instant in its 10th day at 09:30."""
    today = timezone.now().astimezone(PARIS).date()
    month = (today.replace(day=1) + timedelta(days=62)).replace(day=1)
    return month, datetime(month.year, month.month, 10, 9, 30, tzinfo=PARIS)


@pytest.fixture
def owner(team, client_for):
    return client_for(team.user(Role.OWNER))


@pytest.fixture
def planned(team):
    """Two rubrics and three posts on the 10th, 11th and 12th of a future month at 09:30 Paris time."""
    month, first = future_month()
    telegram = make_channel(team.workspace, "telegram", "Acme TG")
    bluesky = make_channel(team.workspace, "bluesky", "Acme BS")
    news = make_rubric(team.workspace, "News", "#ff0000", 60)
    tips = make_rubric(team.workspace, "Tips", "#00aa00", 40)
    posts = make_posts(
        team.workspace,
        count=3,
        first=first,
        step=timedelta(days=1),
        channels=[telegram],
        rubrics=[news, tips, None],
        author=team.user(Role.COPYWRITER),
    )
    Target.objects.create(
        workspace=team.workspace,
        post=posts[1],
        channel=bluesky,
        state=TargetState.SCHEDULED,
        due_at=posts[1].scheduled_at,
        idempotency_key="cal-extra-key",
    )
    return {
        "month": month,
        "posts": posts,
        "telegram": telegram,
        "bluesky": bluesky,
        "news": news,
        "tips": tips,
    }


def chips(response):
    return re.findall(r'data-testid="calendar-chip" data-post="(\d+)"', response.content.decode())


# --- Views ----------------------------------------------------------------------------------------


def test_month_view_is_the_default_and_shows_posts_coloured_by_rubric(team, owner, planned):
    response = owner.get(url(team, date=planned["month"].isoformat()))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-view="month"' in html
    assert sorted(chips(response)) == sorted(str(p.pk) for p in planned["posts"])
    assert "--pv-rubric:#ff0000" in html
    assert "--pv-rubric:#00aa00" in html
    assert "--pv-rubric:#868e96" in html  # the post without a rubric is grey
    assert 'data-time="09:30"' in html
    assert "Bluesky" in html
    assert "Telegram" in html
    # The month grid starts on a Monday and holds whole weeks.
    days = re.findall(r'data-date="(\d{4}-\d{2}-\d{2})" data-drop="day"', html)
    assert len(days) % 7 == 0
    assert datetime.fromisoformat(days[0]).weekday() == 0


def test_the_default_date_is_today(team, owner):
    response = owner.get(url(team))
    today = timezone.now().astimezone(PARIS).date()
    assert f'data-date="{today.isoformat()}"' in response.content.decode()
    assert "pv-today" in response.content.decode()


@pytest.mark.parametrize("view", ["day", "week", "month", "year"])
def test_each_view_renders(team, owner, planned, view):
    response = owner.get(url(team, view=view, date=(planned["month"] + timedelta(days=9)).isoformat()))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-view="{view}"' in html
    assert 'data-testid="rubric-mix"' in html
    if view == "day":
        assert chips(response) == [str(planned["posts"][0].pk)]
        assert 'data-hour="9" data-drop="slot"' in html
    if view == "week":
        assert len(re.findall(r'data-hour="0" data-drop="slot"', html)) == 7
    if view == "year":
        assert 'data-testid="calendar-year"' in html
        day = planned["month"] + timedelta(days=9)
        assert f'data-date="{day.isoformat()}" data-count="1"' in html
        assert html.count('data-testid="year-day"') in {365, 366}


def test_navigation_links_keep_the_view_and_the_filters(team, owner, planned):
    month = planned["month"]
    response = owner.get(url(team, view="month", date=month.isoformat(), network="telegram"))
    html = response.content.decode()
    previous = (month - timedelta(days=1)).replace(day=1)
    assert f"view=month&amp;date={previous.isoformat()}&amp;network=telegram" in html
    week = owner.get(url(team, view="week", date="2030-01-02")).content.decode()  # a Wednesday
    assert "date=2029-12-26" in week
    assert "date=2030-01-09" in week
    assert 'data-date="2029-12-31"' in week
    assert 'data-date="2030-01-06"' in week


def test_bad_query_values_fall_back_to_defaults(team, owner):
    for query in (
        "view=decade&date=yesterday",
        "date=0001-01-01",
        "date=9999-12-31&view=year",
        "channel=abc&author=-1&rubric=x&status=lost&network=Not%20valid!",
        "channel=99999999999999999999999",
    ):
        response = owner.get(url(team) + "?" + query)
        assert response.status_code == 200, query
        assert 'data-view="' in response.content.decode()


def test_filters(team, owner, planned):
    month = planned["month"].isoformat()
    posts = planned["posts"]
    assert chips(owner.get(url(team, date=month, rubric=planned["news"].pk))) == [str(posts[0].pk)]
    assert chips(owner.get(url(team, date=month, rubric="none"))) == [str(posts[2].pk)]
    assert chips(owner.get(url(team, date=month, network="bluesky"))) == [str(posts[1].pk)]
    assert chips(owner.get(url(team, date=month, channel=planned["bluesky"].pk))) == [str(posts[1].pk)]
    assert len(chips(owner.get(url(team, date=month, status="scheduled")))) == 3
    assert chips(owner.get(url(team, date=month, status="published"))) == []
    Target.objects.filter(post=posts[0]).update(state=TargetState.PUBLISHED)
    assert chips(owner.get(url(team, date=month, status="published"))) == [str(posts[0].pk)]
    author = team.user(Role.COPYWRITER).pk
    assert len(chips(owner.get(url(team, date=month, author=author)))) == 3
    assert chips(owner.get(url(team, date=month, author=team.user(Role.OWNER).pk))) == []
    response = owner.get(url(team, date=month, rubric=planned["news"].pk))
    assert "Clear filters" in response.content.decode()


def test_times_are_in_the_viewers_zone(team, client_for, planned):
    user = team.user(Role.MANAGER)
    user.timezone = "America/New_York"
    user.save()
    response = client_for(user).get(url(team, date=planned["month"].isoformat()))
    html = response.content.decode()
    local = planned["posts"][0].scheduled_at.astimezone(ZoneInfo("America/New_York"))
    assert f'data-time="{local:%H:%M}"' in html
    assert "America/New_York" in html


def test_a_post_late_in_the_evening_utc_lands_on_the_next_day_in_a_zone_ahead(team, owner):
    month, _first = future_month()
    channel = make_channel(team.workspace)
    late = datetime(month.year, month.month, 15, 23, 30, tzinfo=UTC)  # 00:30 or 01:30 on the 16th in Paris
    (post,) = make_posts(team.workspace, count=1, first=late, step=timedelta(0), channels=[channel])
    response = owner.get(url(team, view="day", date=f"{month:%Y-%m}-16"))
    assert chips(response) == [str(post.pk)]
    assert chips(owner.get(url(team, view="day", date=f"{month:%Y-%m}-15"))) == []


def test_busy_month_days_show_a_few_chips_and_link_to_the_day(team, owner):
    month, first = future_month()
    channel = make_channel(team.workspace)
    make_posts(team.workspace, count=9, first=first, step=timedelta(minutes=10), channels=[channel])
    response = owner.get(url(team, date=month.isoformat()))
    html = response.content.decode()
    assert len(chips(response)) == 4
    assert "+5 more" in html
    day = owner.get(url(team, view="day", date=first.date().isoformat()))
    assert len(chips(day)) == 9


def test_rubric_mix_of_the_period(team, owner, planned):
    html = owner.get(url(team, date=planned["month"].isoformat())).content.decode()
    mix = html.split('data-testid="rubric-mix"', 1)[1]
    assert "News" in mix
    assert "Tips" in mix
    assert "No rubric" in mix
    assert "33.3 %" in mix
    assert "60 %" in mix
    assert "40 %" in mix


# --- Roles ----------------------------------------------------------------------------------------


def test_only_publishers_get_drag_handles_and_only_writers_get_new_post_slots(team, client_for, planned):
    month = planned["month"].isoformat()
    owner_html = client_for(team.user(Role.OWNER)).get(url(team, date=month)).content.decode()
    assert 'data-movable="1"' in owner_html
    assert 'data-can-move="1"' in owner_html
    assert "data-new=" in owner_html
    writer_html = client_for(team.user(Role.COPYWRITER)).get(url(team, date=month)).content.decode()
    assert 'data-movable="1"' not in writer_html
    assert "data-can-move" not in writer_html
    assert f"/posts/new/?at={planned['month']:%Y-%m}-01T09:00" in writer_html
    client_html = client_for(team.user(Role.CLIENT)).get(url(team, date=month)).content.decode()
    assert 'data-movable="1"' not in client_html
    assert "data-new=" not in client_html
    assert len(chips_html(client_html)) == 3


def chips_html(html):
    return re.findall(r'data-testid="calendar-chip" data-post="(\d+)"', html)


def test_sent_posts_have_no_drag_handle(team, owner, planned):
    Target.objects.filter(post=planned["posts"][0]).update(state=TargetState.PUBLISHED)
    html = owner.get(url(team, date=planned["month"].isoformat())).content.decode()
    chip = re.search(rf'data-post="{planned["posts"][0].pk}"[^>]*>', html).group(0)
    assert 'draggable="false"' in chip


def test_foreign_posts_are_not_shown(team, other_team, owner, planned):
    theirs = make_channel(other_team.workspace)
    _month, first = future_month()
    foreign = make_posts(
        other_team.workspace, count=2, first=first, step=timedelta(hours=1), channels=[theirs]
    )
    found = chips(owner.get(url(team, date=planned["month"].isoformat())))
    assert not {str(p.pk) for p in foreign} & set(found)


# --- Query counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("view", ["month", "week", "day", "year"])
def test_query_count_does_not_grow_with_the_number_of_posts(team, owner, django_assert_max_num_queries, view):
    _month, first = future_month()
    channels = [make_channel(team.workspace, "telegram"), make_channel(team.workspace, "bluesky")]
    rubrics = [make_rubric(team.workspace, "A", "#111111"), make_rubric(team.workspace, "B", "#222222"), None]
    address = url(team, view=view, date=first.date().isoformat())
    owner.get(address)  # warm up: session, caches
    make_posts(
        team.workspace, count=10, first=first, step=timedelta(hours=1), channels=channels, rubrics=rubrics
    )
    with django_assert_max_num_queries(20) as small:
        assert owner.get(address).status_code == 200
    make_posts(
        team.workspace,
        count=190,
        first=first - timedelta(days=3),
        step=timedelta(minutes=37),
        channels=channels,
        rubrics=rubrics,
    )
    with django_assert_max_num_queries(20) as large:
        assert owner.get(address).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)
    assert Post.objects.filter(workspace=team.workspace).count() == 200


# --- Moving a post --------------------------------------------------------------------------------


def test_move_to_another_day_keeps_the_time_and_returns_the_previous_one(team, owner, planned):
    post = planned["posts"][0]
    before = post.scheduled_at
    target_day = planned["month"] + timedelta(days=19)
    response = owner.post(move_url(team, post), {"at": f"{target_day.isoformat()}T09:30"})
    assert response.status_code == 200, response.content
    data = response.json()
    post.refresh_from_db()
    assert post.scheduled_at == datetime(
        target_day.year, target_day.month, target_day.day, 9, 30, tzinfo=PARIS
    )
    assert post.timezone == "Europe/Paris"
    assert set(Target.objects.filter(post=post).values_list("due_at", flat=True)) == {post.scheduled_at}
    assert datetime.fromisoformat(data["previous"]["at"]) == before
    assert datetime.fromisoformat(data["scheduled_at"]) == post.scheduled_at
    assert data["message"].startswith("Moved to")
    assert AuditEvent.objects.filter(action="post.schedule", object_id=str(post.pk)).exists()
    # Undo: the previous time, as the page sends it back.
    undo = owner.post(move_url(team, post), {"at": data["previous"]["at"]})
    assert undo.status_code == 200
    post.refresh_from_db()
    assert post.scheduled_at == before


def test_move_reads_the_time_in_the_viewers_zone_and_keeps_the_posts_zone(team, client_for, planned):
    user = team.user(Role.MANAGER)
    user.timezone = "America/New_York"
    user.save()
    post = planned["posts"][0]
    day = planned["month"] + timedelta(days=20)
    response = client_for(user).post(move_url(team, post), {"at": f"{day.isoformat()}T08:00"})
    assert response.status_code == 200, response.content
    post.refresh_from_db()
    assert post.scheduled_at == datetime(
        day.year, day.month, day.day, 8, 0, tzinfo=ZoneInfo("America/New_York")
    )
    assert post.timezone == "Europe/Paris"


@pytest.mark.parametrize(
    ("at", "status", "words"),
    [
        ("2020-01-01T09:00", 422, "passed"),
        ("soon", 422, "such as"),
        ("", 422, "such as"),
        ("2030-13-45T25:61", 422, "such as"),
        ("9999-12-31T23:59", 422, "five years"),
    ],
)
def test_move_refusals_are_readable_json(team, owner, planned, at, status, words):
    post = planned["posts"][0]
    before = post.scheduled_at
    response = owner.post(move_url(team, post), {"at": at})
    assert response.status_code == status, response.content
    assert words in response.json()["error"]["message"]
    post.refresh_from_db()
    assert post.scheduled_at == before


def test_move_into_a_dst_gap_is_refused(team, owner, planned):
    from portevoix.content.tests.conftest import next_paris_transitions

    spring, _autumn = next_paris_transitions(timezone.now())
    response = owner.post(move_url(team, planned["posts"][0]), {"at": f"{spring}T02:30"})
    assert response.status_code == 422
    assert "does not exist" in response.json()["error"]["message"]


def test_a_sent_post_cannot_be_moved(team, owner, planned):
    post = planned["posts"][0]
    Target.objects.filter(post=post).update(state=TargetState.PUBLISHED)
    response = owner.post(move_url(team, post), {"at": f"{planned['month'] + timedelta(days=20)}T09:30"})
    assert response.status_code == 409
    assert "already sent" in response.json()["error"]["message"]


def test_move_needs_post_publish_and_the_workspace(team, other_team, client_for, planned):
    post = planned["posts"][0]
    at = {"at": f"{planned['month'] + timedelta(days=20)}T09:30"}
    assert client_for(team.user(Role.COPYWRITER)).post(move_url(team, post), at).status_code == 403
    assert client_for(team.user(Role.CLIENT)).post(move_url(team, post), at).status_code == 403
    foreign_channel = make_channel(other_team.workspace)
    (theirs,) = make_posts(
        other_team.workspace, count=1, first=post.scheduled_at, step=timedelta(0), channels=[foreign_channel]
    )
    response = client_for(team.user(Role.OWNER)).post(move_url(team, theirs), at)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.scheduled_at == post.scheduled_at
    assert client_for(team.user(Role.OWNER)).get(move_url(team, post)).status_code == 405


# --- Writing a post from an empty slot ------------------------------------------------------------


def test_the_composer_is_prefilled_from_a_slot(team, client_for):
    client = client_for(team.user(Role.MANAGER))
    new = reverse("content:new", args=[team.workspace.slug])
    html = client.get(new, {"at": "2030-03-05T14:00"}).content.decode()
    assert 'value="2030-03-05T14:00"' in html
    for garbage in ("2030-02-30T10:00", "tomorrow", "2030-03-05T14:00:00Z", "2030-03-05 14:00"):
        response = client.get(new, {"at": garbage})
        assert response.status_code == 200, garbage
        assert f'value="{garbage}"' not in response.content.decode()


def test_the_slot_time_is_converted_to_the_workspaces_zone(team, client_for):
    user = team.user(Role.OWNER)
    user.timezone = "America/New_York"
    user.save()
    new = reverse("content:new", args=[team.workspace.slug])
    html = client_for(user).get(new, {"at": "2030-03-05T09:00"}).content.decode()
    assert 'value="2030-03-05T15:00"' in html  # 09:00 in New York is 15:00 in Paris that day


def test_a_post_awaiting_approval_can_be_moved_and_keeps_waiting(team, owner, planned):
    from portevoix.content.models import ApprovalState

    post = planned["posts"][0]
    Post.objects.filter(pk=post.pk).update(approval_state=ApprovalState.PENDING)
    Target.objects.filter(post=post).update(state=TargetState.AWAITING_APPROVAL)
    html = owner.get(url(team, date=planned["month"].isoformat())).content.decode()
    chip = re.search(rf'data-post="{post.pk}"[^>]*>', html).group(0)
    assert 'data-movable="1"' in chip
    day = planned["month"] + timedelta(days=21)
    response = owner.post(move_url(team, post), {"at": f"{day.isoformat()}T09:30"})
    assert response.status_code == 200, response.content
    post.refresh_from_db()
    assert post.scheduled_at == datetime(day.year, day.month, day.day, 9, 30, tzinfo=PARIS)
    assert set(Target.objects.filter(post=post).values_list("state", flat=True)) == {
        TargetState.AWAITING_APPROVAL
    }
