"""The calendar's API: range queries with filters, the rubric mix, and moving a post (with undo)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from portevoix.planning.tests.calendar_factory import make_channel, make_posts, make_rubric
from portevoix.publishing.models import TargetState
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def world(team):
    start = (
        (timezone.now() + timedelta(days=40))
        .astimezone(PARIS)
        .replace(hour=9, minute=30, second=0, microsecond=0)
    )
    telegram = make_channel(team.workspace, "telegram", "TG")
    bluesky = make_channel(team.workspace, "bluesky", "BS")
    news = make_rubric(team.workspace, "News", "#ff0000", 50)
    posts = make_posts(
        team.workspace,
        count=4,
        first=start,
        step=timedelta(days=1),
        channels=[telegram],
        rubrics=[news, None],
        author=team.user(Role.COPYWRITER),
    )
    more = make_posts(
        team.workspace, count=1, first=start + timedelta(hours=2), step=timedelta(0), channels=[bluesky]
    )
    return {"start": start, "posts": posts, "bluesky_post": more[0], "news": news, "telegram": telegram}


def query(world, **extra):
    start = world["start"] - timedelta(days=1)
    params = {"start": start.isoformat(), "end": (start + timedelta(days=10)).isoformat(), **extra}
    return params


def test_calendar_lists_the_range_oldest_first_with_details(team, api_client_for, world):
    client = api_client_for(team.member(Role.CLIENT))
    response = client.get("/api/v1/calendar", query(world))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == 5
    times = [item["scheduled_at"] for item in data["items"]]
    assert times == sorted(times)
    first = data["items"][0]
    assert first["id"] == world["posts"][0].pk
    assert first["rubric"] == {"id": world["news"].pk, "name": "News", "colour": "#ff0000"}
    assert first["colour"] == "#ff0000"
    assert first["status"] == "scheduled"
    assert first["networks"] == ["telegram"]
    assert first["channels"][0]["name"] == "TG"
    assert first["timezone"] == "Europe/Paris"
    assert first["local"].endswith(("+01:00", "+02:00"))
    assert "T09:30:00" in first["local"]
    assert first["movable"] is True
    no_rubric = data["items"][2]
    assert no_rubric["rubric"] is None
    assert no_rubric["colour"] == "#868e96"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"network": "bluesky"}, 1),
        ({"rubric": "none"}, 3),
        ({"status": "scheduled"}, 5),
        ({"status": "published"}, 0),
    ],
)
def test_calendar_filters(team, api_client_for, world, params, expected):
    response = api_client_for(team.member(Role.OWNER)).get("/api/v1/calendar", query(world, **params))
    assert response.status_code == 200, response.content
    assert response.json()["count"] == expected


def test_calendar_filters_by_ids(team, api_client_for, world):
    client = api_client_for(team.member(Role.OWNER))
    by_rubric = client.get("/api/v1/calendar", query(world, rubric=world["news"].pk)).json()
    assert {item["id"] for item in by_rubric["items"]} == {world["posts"][0].pk, world["posts"][2].pk}
    by_channel = client.get("/api/v1/calendar", query(world, channel=world["telegram"].pk)).json()
    assert by_channel["count"] == 4
    by_author = client.get("/api/v1/calendar", query(world, author=team.user(Role.COPYWRITER).pk)).json()
    assert by_author["count"] == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2030-01-01", "end": "2031-06-01"}, "end"),
        ({"start": "2030-01-02", "end": "2030-01-01"}, "end"),
        ({"start": "not a date"}, "start"),
        ({"start": "9999-12-30T00:00:00Z"}, "start"),
        ({"status": "lost"}, "status"),
        ({"rubric": "x"}, "rubric"),
        ({"channel": "99999999999999999999"}, "channel"),
    ],
)
def test_calendar_bad_input_is_a_clear_422(team, api_client_for, params, field):
    response = api_client_for(team.member(Role.OWNER)).get("/api/v1/calendar", params)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["message"]
    assert field in error["fields"]


def test_calendar_defaults_to_the_coming_month(team, api_client_for, world):
    data = api_client_for(team.member(Role.OWNER)).get("/api/v1/calendar").json()
    start, end = datetime.fromisoformat(data["start"]), datetime.fromisoformat(data["end"])
    assert end - start == timedelta(days=31)
    assert data["count"] == 0  # the posts are 40 days ahead


def test_calendar_never_shows_another_workspace(team, other_team, api_client_for, world):
    theirs = make_channel(other_team.workspace)
    make_posts(
        other_team.workspace, count=3, first=world["start"], step=timedelta(hours=1), channels=[theirs]
    )
    data = api_client_for(team.member(Role.OWNER)).get("/api/v1/calendar", query(world)).json()
    assert data["count"] == 5


def test_mix(team, api_client_for, world):
    response = api_client_for(team.member(Role.ANALYST)).get("/api/v1/calendar/mix", query(world))
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["total"] == 5
    news, none = data["items"]
    assert news == {
        "rubric_id": world["news"].pk,
        "name": "News",
        "colour": "#ff0000",
        "target_share": 50,
        "count": 2,
        "actual_share": 40.0,
        "gap": -10.0,
    }
    assert none["rubric_id"] is None
    assert none["count"] == 3
    too_long = api_client_for(team.member(Role.OWNER)).get(
        "/api/v1/calendar/mix", {"start": "2030-01-01", "end": "2032-01-01"}
    )
    assert too_long.status_code == 422
    assert "400 days" in too_long.json()["error"]["message"]


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def test_reschedule_returns_previous_and_new_and_undo_restores(team, api_client_for, world):
    client = api_client_for(team.member(Role.MANAGER))
    post = world["posts"][0]
    before = post.scheduled_at
    new_day = (before + timedelta(days=3)).astimezone(PARIS)
    response = post_json(client, f"/api/v1/posts/{post.pk}/reschedule", {"at": f"{new_day:%Y-%m-%d}T11:15"})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["post_id"] == post.pk
    assert data["timezone"] == "Europe/Paris"
    assert datetime.fromisoformat(data["previous"]["scheduled_at"]) == before
    assert datetime.fromisoformat(data["scheduled"]["scheduled_at"]) == datetime(
        new_day.year, new_day.month, new_day.day, 11, 15, tzinfo=PARIS
    )
    assert "T11:15:00" in data["scheduled"]["local"]
    undo = post_json(client, f"/api/v1/posts/{post.pk}/reschedule", {"at": data["previous"]["local"]})
    assert undo.status_code == 200, undo.content
    post.refresh_from_db()
    assert post.scheduled_at == before


def test_reschedule_in_another_zone_keeps_the_posts_zone(team, api_client_for, world):
    client = api_client_for(team.member(Role.OWNER))
    post = world["posts"][1]
    day = (post.scheduled_at + timedelta(days=1)).astimezone(UTC)
    body = {"at": f"{day:%Y-%m-%d}T15:00", "timezone": "Asia/Tokyo"}
    response = post_json(client, f"/api/v1/posts/{post.pk}/reschedule", body)
    assert response.status_code == 200, response.content
    post.refresh_from_db()
    assert post.scheduled_at == datetime(day.year, day.month, day.day, 15, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    assert post.timezone == "Europe/Paris"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"at": "2020-01-01T10:00"}, 422, "validation_failed"),
        ({"at": "tomorrow"}, 422, "validation_failed"),
        ({"at": "2030-01-01T10:00", "timezone": "Mars/Olympus"}, 422, "validation_failed"),
        ({"at": "2030-01-01T10:00", "extra": 1}, 422, "validation_failed"),
        ({}, 422, "validation_failed"),
    ],
)
def test_reschedule_refusals(team, api_client_for, world, body, status, code):
    post = world["posts"][0]
    response = post_json(api_client_for(team.member(Role.OWNER)), f"/api/v1/posts/{post.pk}/reschedule", body)
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]


def test_reschedule_a_sent_post_is_409(team, api_client_for, world):
    post = world["posts"][0]
    post.targets.update(state=TargetState.PUBLISHING)
    response = post_json(
        api_client_for(team.member(Role.OWNER)),
        f"/api/v1/posts/{post.pk}/reschedule",
        {"at": "2030-01-01T10:00"},
    )
    assert response.status_code == 409
    assert "already sent" in response.json()["error"]["message"]


def test_reschedule_needs_post_publish(team, api_client_for, world):
    post = world["posts"][0]
    response = post_json(
        api_client_for(team.member(Role.COPYWRITER)),
        f"/api/v1/posts/{post.pk}/reschedule",
        {"at": "2030-01-01T10:00"},
    )
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.scheduled_at == world["posts"][0].scheduled_at
