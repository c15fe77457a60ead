"""Posting queues: slots in local wall time (with the DST rule), add to the next free slot, reorder, remove,
pause and resume; the API and the pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from portevoix.content.models import Post
from portevoix.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portevoix.planning.models import ChannelQueue, QueueEntry
from portevoix.planning.selectors import queues as selectors
from portevoix.planning.services import queues as services
from portevoix.planning.tests.queue_helpers import api, draft, frozen, telegram, token_client
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# Saturday 27 March 2027, noon UTC: the clocks in Paris jump from 02:00 to 03:00 the next night.
BEFORE_SPRING = datetime(2027, 3, 27, 12, 0, tzinfo=UTC)
# Monday 4 January 2027, 08:00 UTC (09:00 in Paris).
MONDAY = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)


def _due(post: Post, channel) -> datetime | None:
    return Target.objects.get(post=post, channel=channel).due_at


# --- The DST rule -----------------------------------------------------------------------------------


def test_slot_in_the_spring_gap_lands_just_after_the_jump():
    instant = selectors.slot_instant(date(2027, 3, 28), time(2, 30), PARIS)
    assert instant == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert instant.astimezone(PARIS).strftime("%H:%M %Z") == "03:30 CEST"


def test_slot_in_the_repeated_autumn_hour_is_its_first_occurrence():
    instant = selectors.slot_instant(date(2027, 10, 31), time(2, 30), PARIS)
    assert instant == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 CEST, not 02:30 CET
    assert instant.astimezone(PARIS).strftime("%H:%M %Z") == "02:30 CEST"


def test_slots_landing_on_one_instant_count_once_and_keep_local_time_across_dst():
    slots = [(6, time(2, 30)), (6, time(3, 30)), (6, time(9, 0))]
    instants = list(
        selectors.slot_instants(
            slots, PARIS, after=datetime(2027, 3, 20, tzinfo=UTC), until=datetime(2027, 4, 5, tzinfo=UTC)
        )
    )
    local = [i.astimezone(PARIS).strftime("%m-%d %H:%M") for i in instants]
    assert local == [
        "03-21 02:30", "03-21 03:30", "03-21 09:00",
        "03-28 03:30", "03-28 09:00",  # 02:30 does not exist: it is 03:30, once
        "04-04 02:30", "04-04 03:30", "04-04 09:00",
    ]  # fmt: skip
    assert instants == sorted(instants)


def test_new_york_gap_too():
    instant = selectors.slot_instant(date(2027, 3, 14), time(2, 15), ZoneInfo("America/New_York"))
    assert instant.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M") == "03:15"


def test_queue_plans_a_post_into_the_dst_gap_slot(team):
    owner = team.member(Role.OWNER)
    channel = telegram(team.workspace)
    with frozen(BEFORE_SPRING):
        services.queue_slots_set(by=owner, channel=channel, slots=[{"weekday": 6, "time": "02:30"}])
        post = draft(owner, channel)
        services.queue_entry_add(by=owner, channel=channel, post=post)
    post.refresh_from_db()
    assert post.scheduled_at == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert post.timezone == "Europe/Paris"
    assert Target.objects.get(post=post).state == TargetState.SCHEDULED


# --- Slots ------------------------------------------------------------------------------------------


def test_slots_are_validated(team):
    owner = team.member(Role.OWNER)
    channel = telegram(team.workspace)
    for bad in (
        [{"weekday": 7, "time": "09:00"}],
        [{"weekday": 0, "time": "25:00"}],
        [{"weekday": 0}],
        ["x"],
    ):
        with pytest.raises(ValidationFailed):
            services.queue_slots_set(by=owner, channel=channel, slots=bad)
    with pytest.raises(ValidationFailed):
        services.queue_slots_set(by=owner, channel=channel, slots=[], timezone_name="Mars/Olympus")
    services.queue_slots_set(
        by=owner,
        channel=channel,
        slots=[(0, "09:00"), (0, "09:00"), (2, "17:45")],
        timezone_name="Asia/Tokyo",
    )
    queue = ChannelQueue.objects.get(channel=channel)
    assert queue.timezone == "Asia/Tokyo"
    assert [(s.weekday, s.local_time) for s in queue.slots.all()] == [(0, time(9)), (2, time(17, 45))]
    with pytest.raises(Conflict):
        services.queue_slot_add(by=owner, channel=channel, weekday=0, local_time="09:00")
    with pytest.raises(NotFound):
        services.queue_slot_remove(by=owner, channel=channel, weekday=1, local_time="09:00")


def test_roles_and_workspaces_are_checked(team, other_team):
    channel = telegram(team.workspace)
    with pytest.raises(PermissionDenied):
        services.queue_slots_set(by=team.member(Role.COPYWRITER), channel=channel, slots=[])
    with pytest.raises(NotFound):
        services.queue_slots_set(by=other_team.member(Role.OWNER), channel=channel, slots=[])
    foreign_post = draft(other_team.member(Role.OWNER))
    with pytest.raises(NotFound):
        services.queue_entry_add(by=team.member(Role.OWNER), channel=channel, post=foreign_post)


# --- Entries ----------------------------------------------------------------------------------------


def _queue_with_daily_slot(team, local: str = "10:00"):
    owner = team.member(Role.OWNER)
    channel = telegram(team.workspace)
    services.queue_slots_set(
        by=owner, channel=channel, slots=[{"weekday": d, "time": local} for d in range(7)]
    )
    return owner, channel


def test_add_takes_the_next_free_slot_skipping_taken_instants(team):
    with frozen(MONDAY):  # 09:00 in Paris: today's 10:00 slot is still ahead
        owner, channel = _queue_with_daily_slot(team)
        # Someone scheduled a post by hand at today's 10:00: that slot is taken.
        manual = draft(owner, channel, text="By hand")
        from portevoix.content import services as content_services

        content_services.post_schedule(by=owner, post=manual, at="2027-01-04T10:00")
        first = draft(owner, channel, text="First")
        second = draft(owner, channel, text="Second")
        services.queue_entry_add(by=owner, channel=channel, post=first)
        services.queue_entry_add(by=owner, channel=channel, post=second)
    assert _due(first, channel) == datetime(2027, 1, 5, 9, 0, tzinfo=UTC)  # Tuesday 10:00 Paris
    assert _due(second, channel) == datetime(2027, 1, 6, 9, 0, tzinfo=UTC)
    assert _due(manual, channel) == datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"queue.entry_add", "post.schedule", "queue.slots_set"} <= actions


def test_add_gives_the_post_the_channel_when_missing(team):
    with frozen(MONDAY):
        owner, channel = _queue_with_daily_slot(team)
        post = draft(owner, None, text="No channel yet")
        services.queue_entry_add(by=owner, channel=channel, post=post)
    assert Target.objects.get(post=post).channel == channel
    assert _due(post, channel) == datetime(2027, 1, 4, 9, 0, tzinfo=UTC)


def test_add_refusals(team):
    with frozen(MONDAY):
        owner, channel = _queue_with_daily_slot(team)
        other_channel = telegram(team.workspace)
        services.queue_slots_set(by=owner, channel=other_channel, slots=[(1, "11:00")])
        post = draft(owner, channel)
        services.queue_entry_add(by=owner, channel=channel, post=post)
        with pytest.raises(Conflict):  # twice in one queue
            services.queue_entry_add(by=owner, channel=channel, post=post)
        with pytest.raises(Conflict):  # one queue per post
            services.queue_entry_add(by=owner, channel=other_channel, post=post)
        too_long = draft(owner, channel, text="x" * 5000)  # over Telegram's limit
        with pytest.raises(ValidationFailed):
            services.queue_entry_add(by=owner, channel=channel, post=too_long)
        assert not QueueEntry.objects.filter(post=too_long).exists()
        sent = draft(owner, channel)
        Target.objects.filter(post=sent).update(state=TargetState.PUBLISHED)
        with pytest.raises(Conflict):
            services.queue_entry_add(by=owner, channel=channel, post=sent)


def test_queue_without_slots_keeps_the_post_waiting(team):
    owner = team.member(Role.OWNER)
    channel = telegram(team.workspace)
    post = draft(owner, channel)
    services.queue_entry_add(by=owner, channel=channel, post=post)
    rows = selectors.queue_entries(queue=ChannelQueue.objects.get(channel=channel))
    assert [(row.entry.post_id, row.planned_at) for row in rows] == [(post.pk, None)]
    assert Target.objects.get(post=post).state == TargetState.DRAFT


def test_move_reassigns_the_times_in_order(team):
    with frozen(MONDAY):
        owner, channel = _queue_with_daily_slot(team)
        posts = [draft(owner, channel, text=f"Post {n}") for n in range(3)]
        for post in posts:
            services.queue_entry_add(by=owner, channel=channel, post=post)
        times = [_due(post, channel) for post in posts]
        services.queue_entry_move(by=owner, channel=channel, post_id=posts[2].pk, position=0)
        assert [_due(post, channel) for post in (posts[2], posts[0], posts[1])] == times
        services.queue_entry_move(by=owner, channel=channel, post_id=posts[2].pk, position=99)
        assert [_due(post, channel) for post in posts] == times
        order = list(QueueEntry.objects.order_by("position").values_list("post_id", flat=True))
        assert order == [post.pk for post in posts]
        with pytest.raises(NotFound):
            services.queue_entry_move(by=owner, channel=channel, post_id=999_999, position=0)


def test_remove_cancels_and_the_next_ones_move_up(team):
    with frozen(MONDAY):
        owner, channel = _queue_with_daily_slot(team)
        posts = [draft(owner, channel, text=f"Post {n}") for n in range(3)]
        for post in posts:
            services.queue_entry_add(by=owner, channel=channel, post=post)
        times = [_due(post, channel) for post in posts]
        services.queue_entry_remove(by=owner, channel=channel, post_id=posts[0].pk)
    assert Post.objects.filter(pk=posts[0].pk).exists()
    assert Target.objects.get(post=posts[0]).state == TargetState.CANCELLED
    assert [_due(posts[1], channel), _due(posts[2], channel)] == times[:2]


def test_pause_cancels_and_resume_replans_from_now(team):
    with frozen(MONDAY):
        owner, channel = _queue_with_daily_slot(team)
        posts = [draft(owner, channel, text=f"Post {n}") for n in range(2)]
        for post in posts:
            services.queue_entry_add(by=owner, channel=channel, post=post)
        services.queue_pause(by=owner, channel=channel)
        assert {t.state for t in Target.objects.filter(post__in=posts)} == {TargetState.CANCELLED}
        assert QueueEntry.objects.filter(post__in=posts).count() == 2  # nothing lost
        with pytest.raises(Conflict):
            services.queue_pause(by=owner, channel=channel)
        # Added while paused: waits.
        waiting = draft(owner, channel, text="Waiting")
        services.queue_entry_add(by=owner, channel=channel, post=waiting)
        assert Target.objects.get(post=waiting).state == TargetState.DRAFT
    with frozen(MONDAY + timedelta(days=2)):  # Wednesday 09:00 Paris
        services.queue_resume(by=owner, channel=channel)
        with pytest.raises(Conflict):
            services.queue_resume(by=owner, channel=channel)
    assert [_due(post, channel) for post in [*posts, waiting]] == [
        datetime(2027, 1, 6, 9, 0, tzinfo=UTC),
        datetime(2027, 1, 7, 9, 0, tzinfo=UTC),
        datetime(2027, 1, 8, 9, 0, tzinfo=UTC),
    ]
    assert {t.state for t in Target.objects.filter(post__in=[*posts, waiting])} == {TargetState.SCHEDULED}


def test_sent_entries_leave_the_queue_at_the_next_replan(team):
    with frozen(MONDAY):
        owner, channel = _queue_with_daily_slot(team)
        posts = [draft(owner, channel, text=f"Post {n}") for n in range(2)]
        for post in posts:
            services.queue_entry_add(by=owner, channel=channel, post=post)
        Target.objects.filter(post=posts[0]).update(state=TargetState.PUBLISHED)
        services.queue_slot_add(by=owner, channel=channel, weekday=0, local_time="18:00")
    assert list(QueueEntry.objects.values_list("post_id", flat=True)) == [posts[1].pk]
    assert _due(posts[1], channel) == datetime(2027, 1, 4, 17, 0, tzinfo=UTC)  # today's new 18:00 slot


# --- API --------------------------------------------------------------------------------------------


def test_api_flow(team, other_team):
    owner = team.member(Role.OWNER)
    channel = telegram(team.workspace)
    client = token_client(owner)
    listed = api(client, "GET", "/api/v1/queues").json()["items"]
    assert [(item["channel"]["id"], item["queue_id"]) for item in listed] == [(channel.pk, None)]
    url = f"/api/v1/queues/{channel.pk}"
    assert api(client, "GET", f"{url}/slots").json() == {
        "channel_id": channel.pk, "timezone": "Europe/Paris", "paused": False, "slots": [],
    }  # fmt: skip
    bad = api(client, "PUT", f"{url}/slots", {"slots": [{"weekday": 1, "time": "9h"}]})
    assert bad.status_code == 422
    response = api(
        client, "PUT", f"{url}/slots", {"slots": [{"weekday": d, "time": "10:00"} for d in range(7)]}
    )
    assert response.status_code == 200, response.content
    assert len(response.json()["slots"]) == 7
    posts = [draft(owner, channel, text=f"Post {n}") for n in range(2)]
    for post in posts:
        response = api(client, "POST", f"{url}/entries", {"post_id": post.pk})
        assert response.status_code == 201, response.content
    entries = response.json()["entries"]
    assert [e["post_id"] for e in entries] == [p.pk for p in posts]
    assert all(e["planned_at"] for e in entries)
    moved = api(client, "POST", f"{url}/entries/move", {"post_id": posts[1].pk, "position": 0}).json()
    assert [e["post_id"] for e in moved["entries"]] == [posts[1].pk, posts[0].pk]
    assert [e["planned_at"] for e in moved["entries"]] == [e["planned_at"] for e in entries]
    paused = api(client, "POST", f"{url}/pause").json()
    assert paused["paused"] is True
    assert all(e["planned_at"] is None for e in paused["entries"])
    assert api(client, "POST", f"{url}/pause").status_code == 409
    resumed = api(client, "POST", f"{url}/resume").json()
    assert resumed["paused"] is False
    assert all(e["planned_at"] for e in resumed["entries"])
    removed = api(client, "POST", f"{url}/entries/remove", {"post_id": posts[0].pk}).json()
    assert [e["post_id"] for e in removed["entries"]] == [posts[1].pk]
    # Foreign ids: 404.
    foreign_channel = telegram(other_team.workspace)
    assert api(client, "GET", f"/api/v1/queues/{foreign_channel.pk}/slots").status_code == 404
    foreign_post = draft(other_team.member(Role.OWNER))
    assert api(client, "POST", f"{url}/entries", {"post_id": foreign_post.pk}).status_code == 404
    # A copywriter reads, but may not change.
    copywriter = token_client(team.member(Role.COPYWRITER))
    assert api(copywriter, "GET", url).status_code == 200
    assert api(copywriter, "POST", f"{url}/pause").status_code == 403


# --- Pages ------------------------------------------------------------------------------------------


def test_pages(team, client_for):
    owner = team.member(Role.OWNER)
    channel = telegram(team.workspace, name="Acme news")
    slug = team.workspace.slug
    client = client_for(owner.user)
    response = client.get(reverse("planning:queues", args=[slug]))
    assert response.status_code == 200
    assert b"Acme news" in response.content
    detail = reverse("planning:queue", args=[slug, channel.pk])
    response = client.post(
        reverse("planning:queue_slot_add", args=[slug, channel.pk]), {"weekday": "2", "time": "10:30"}
    )
    assert response.status_code == 302
    response = client.post(
        reverse("planning:queue_slot_add", args=[slug, channel.pk]), {"weekday": "9", "time": "x"}
    )
    assert response.status_code == 302
    post = draft(owner, channel, text="Queued from the page")
    client.post(reverse("planning:queue_entry_add", args=[slug, channel.pk]), {"post_id": str(post.pk)})
    assert QueueEntry.objects.filter(post=post).exists()
    page = client.get(detail)
    assert page.status_code == 200
    assert b"Queued from the page" in page.content
    assert b"10:30" in page.content
    client.post(reverse("planning:queue_pause", args=[slug, channel.pk]))
    assert ChannelQueue.objects.get(channel=channel).paused_at is not None
    client.post(reverse("planning:queue_resume", args=[slug, channel.pk]))
    assert ChannelQueue.objects.get(channel=channel).paused_at is None
    client.post(reverse("planning:queue_entry_remove", args=[slug, channel.pk]), {"post_id": str(post.pk)})
    assert not QueueEntry.objects.filter(post=post).exists()
    client.post(reverse("planning:evergreen", args=[slug]), {"enabled": "on", "min_gap_days": "45"})
    policy = selectors.evergreen_policy(workspace=team.workspace)
    assert (policy.enabled, policy.min_gap_days) == (True, 45)
    # The client sees the pages but no management form.
    seen = client_for(team.user(Role.CLIENT)).get(detail)
    assert seen.status_code == 200
    assert b'data-testid="slot-form"' not in seen.content
