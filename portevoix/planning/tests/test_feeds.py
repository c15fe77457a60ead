"""Private iCalendar feeds: secret URL shown once and stored hashed, revocable and rotatable, the feed
parsed back with icalendar, no other workspace leaked, a former member's feed stops, bounded queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from portevoix.channels.models import Channel
from portevoix.content import services as content_services
from portevoix.core.errors import NotFound
from portevoix.core.secrets import digest
from portevoix.planning.models import CalendarFeed
from portevoix.planning.services import feeds as services
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces.models import Membership
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _channel(workspace, name="Acme news") -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="telegram",
        external_id=f"@{name}",
        name=name,
        base_url="https://api.telegram.org",
    )


def _planned(team_, text="Launch day", title="", days=3):
    post = content_services.post_create(
        by=team_.member(Role.OWNER),
        title=title,
        text=text,
        channel_ids=[_channel(team_.workspace, text[:20]).pk],
    )
    at = (timezone.now() + timedelta(days=days)).astimezone(team_.workspace.tzinfo).strftime("%Y-%m-%dT10:00")
    content_services.post_schedule(by=team_.member(Role.OWNER), post=post, at=at)
    post.refresh_from_db()
    return post


def _path(token: str) -> str:
    return reverse("planning:feed_ics", args=[token])


def _events(response):
    calendar = Calendar.from_ical(response.content)
    return calendar, list(calendar.walk("VEVENT"))


def test_feed_lists_planned_and_published_posts_as_events(team, other_team):
    planned = _planned(team, title="Spring sale", text="Everything -20%")
    published = _planned(team, text="Old news " + "x" * 200, days=1)
    Target.objects.filter(post=published).update(
        state=TargetState.PUBLISHED, published_at=published.scheduled_at
    )
    content_services.post_create(by=team.member(Role.OWNER), text="A draft, not listed")
    _planned(other_team, text="Globex secret")
    issued = services.feed_create(by=team.member(Role.ANALYST))
    assert issued.feed.token_hash == digest(issued.token)
    assert issued.token not in issued.feed.token_hash
    assert len(issued.token) >= 43  # 256 bits

    response = Client().get(_path(issued.token))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar, events = _events(response)
    assert str(calendar["X-WR-CALNAME"]) == "Acme: content plan"
    assert {str(e["SUMMARY"]) for e in events} == {"Spring sale", "Old news " + "x" * 70 + "…"}
    by_uid = {str(e["UID"]): e for e in events}
    event = by_uid[f"post-{planned.pk}@testserver"]
    assert event.decoded("DTSTART") == planned.scheduled_at
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert "Status: Scheduled" in str(event["DESCRIPTION"])
    assert "Channels: Everything -20%" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == f"http://testserver/w/{team.workspace.slug}/posts/{planned.pk}/"
    assert str(event["STATUS"]) == "TENTATIVE"
    assert str(by_uid[f"post-{published.pk}@testserver"]["STATUS"]) == "CONFIRMED"
    assert b"Globex" not in response.content
    assert CalendarFeed.objects.get(pk=issued.feed.pk).last_used_at is not None


def test_feed_queries_are_bounded(team):
    issued = services.feed_create(by=team.member(Role.OWNER))
    for index in range(3):
        _planned(team, text=f"Post {index}")
    with CaptureQueriesContext(connection) as few:
        assert Client().get(_path(issued.token)).status_code == 200
    cache.clear()
    for index in range(3, 15):
        _planned(team, text=f"Post {index}")
    with CaptureQueriesContext(connection) as many:
        response = Client().get(_path(issued.token))
    assert len(_events(response)[1]) == 15
    # The same few queries for 3 posts or 15 (the first fetch also notes when the feed was used).
    assert len(many.captured_queries) <= len(few.captured_queries) <= 6


def test_revoked_forged_and_rotated_tokens(team):
    member = team.member(Role.COPYWRITER)
    issued = services.feed_create(by=member)
    assert Client().get(_path(issued.token)).status_code == 200
    assert Client().get(_path(issued.token[:-2] + "AA")).status_code == 404
    assert Client().get("/feeds/not-a-real-token.ics").status_code == 404
    assert Client().get("/feeds/" + "a" * 101 + ".ics").status_code == 404
    rotated = services.feed_rotate(by=member, feed=issued.feed)
    assert Client().get(_path(issued.token)).status_code == 404
    assert Client().get(_path(rotated.token)).status_code == 200
    services.feed_revoke(by=member, feed=rotated.feed)
    cache.clear()
    assert Client().get(_path(rotated.token)).status_code == 404


def test_a_former_member_feed_stops(team):
    member = team.member(Role.DESIGNER)
    issued = services.feed_create(by=member)
    assert Client().get(_path(issued.token)).status_code == 200
    cache.clear()
    Membership.objects.filter(pk=member.pk).delete()
    assert Client().get(_path(issued.token)).status_code == 404


def test_someone_else_feed_cannot_be_revoked(team):
    issued = services.feed_create(by=team.member(Role.OWNER))
    with pytest.raises(NotFound):
        services.feed_revoke(by=team.member(Role.MANAGER), feed=issued.feed)


def test_api_create_list_rotate_revoke(team, api_client_for):
    client = api_client_for(team.member(Role.CLIENT))
    created = client.post("/api/v1/calendar-feeds")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["url"].startswith("http://testserver/feeds/")
    assert body["url"].endswith(".ics")
    token = body["url"].rsplit("/", 1)[1][: -len(".ics")]
    assert Client().get(_path(token)).status_code == 200
    listed = client.get("/api/v1/calendar-feeds").json()
    assert listed["count"] == 1
    assert "url" not in listed["items"][0]
    assert listed["items"][0]["prefix"] == token[:8]
    rotated = client.post(f"/api/v1/calendar-feeds/{body['id']}/rotate")
    assert rotated.status_code == 201
    assert client.delete(f"/api/v1/calendar-feeds/{rotated.json()['id']}").status_code == 204
    assert client.get("/api/v1/calendar-feeds").json()["count"] == 0
    other = api_client_for(team.member(Role.OWNER))
    assert other.delete(f"/api/v1/calendar-feeds/{body['id']}").status_code == 404


def test_feeds_page_shows_the_url_once(team, client_for):
    client = client_for(team.user(Role.ANALYST))
    url = reverse("planning:feeds", args=[team.workspace.slug])
    assert client.get(url).status_code == 200
    created = client.post(url)
    assert created.status_code == 200
    assert b'id="new-feed-url"' in created.content
    feed = CalendarFeed.objects.get()
    again = client.get(url)
    assert b'id="new-feed-url"' not in again.content
    assert feed.prefix.encode() in again.content
    rotated = client.post(reverse("planning:feed_rotate", args=[team.workspace.slug, feed.pk]))
    assert b'id="new-feed-url"' in rotated.content
    new = CalendarFeed.objects.get(revoked_at__isnull=True)
    revoked = client.post(reverse("planning:feed_revoke", args=[team.workspace.slug, new.pk]), follow=True)
    assert b"Feed revoked" in revoked.content
    assert not CalendarFeed.objects.filter(revoked_at__isnull=True).exists()
