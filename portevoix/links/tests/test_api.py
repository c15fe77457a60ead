"""The links API: shapes, validation errors, roles and workspace scoping."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from portevoix.content import services as content_services
from portevoix.links import services
from portevoix.links.models import ShortLink
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def send(client, method, url, body=None):
    call = getattr(client, method)
    if body is None:
        return call(url)
    return call(url, json.dumps(body), content_type="application/json")


def test_create_list_read_and_disable(team, api_client_for, settings):
    settings.PORTEVOIX_BASE_URL = "https://pv.example"
    client = api_client_for(team.member(Role.COPYWRITER))
    post = content_services.post_create(by=team.member(Role.OWNER), text="Launch")
    created = send(client, "post", "/api/v1/links", {"url": "https://shop.example/x", "post_id": post.pk})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["short_url"] == f"https://pv.example/l/{body['code']}"
    assert body["final_url"].startswith("https://shop.example/x?utm_medium=social")
    assert f"utm_content={post.pk}" in body["final_url"]
    assert (body["post_id"], body["clicks"], body["bot_clicks"], body["disabled"]) == (post.pk, 0, 0, False)

    listed = send(api_client_for(team.member(Role.CLIENT)), "get", f"/api/v1/links?post_id={post.pk}").json()
    assert listed["count"] == 1
    assert listed["items"][0]["id"] == body["id"]
    assert send(client, "get", f"/api/v1/links?post_id={post.pk + 1000}").json()["count"] == 0

    disabled = send(client, "patch", f"/api/v1/links/{body['id']}", {"disabled": True})
    assert disabled.status_code == 200
    assert disabled.json()["disabled"] is True
    assert send(client, "get", f"/api/v1/links/{body['id']}").json()["disabled"] is True


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "data:text/html,hi"}, "url"),
        ({"url": "/relative"}, "url"),
        ({"url": "https://a:b@example.com"}, "url"),
        ({"url": "https://example.com/" + "x" * 2000}, "url"),
        ({"url": "https://example.com/\u0000"}, "url"),
        ({}, "url"),
        ({"url": "https://example.com", "post_id": 999999}, "post_id"),
        ({"url": "https://example.com", "channel_id": 999999}, "channel_id"),
        ({"url": "https://example.com", "post_id": 2**70}, "post_id"),
        ({"url": "https://example.com", "surprise": 1}, "surprise"),
    ],
)
def test_bad_links_are_clear_422s(team, api_client_for, body, field):
    response = send(api_client_for(team.member(Role.OWNER)), "post", "/api/v1/links", body)
    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert field in error["fields"]
    assert not ShortLink.objects.exists()


def test_delete_removes_an_unused_link_and_disables_a_clicked_one(team, api_client_for):
    client = api_client_for(team.member(Role.DESIGNER))
    unused = services.link_create(by=team.member(Role.OWNER), url="https://example.com/a")
    response = send(client, "delete", f"/api/v1/links/{unused.pk}")
    assert response.json() == {"deleted": True, "link": None}
    assert send(client, "get", f"/api/v1/links/{unused.pk}").status_code == 404
    used = services.link_create(by=team.member(Role.OWNER), url="https://example.com/b")
    services.clicks_store(
        rows=[
            services.ClickRow(
                link_id=used.pk,
                workspace_id=used.workspace_id,
                at=dt.datetime.now(dt.UTC),
                referrer_host="",
                device=1,
                is_bot=False,
                country="",
            )
        ]
    )
    response = send(client, "delete", f"/api/v1/links/{used.pk}").json()
    assert response["deleted"] is False
    assert response["link"]["disabled"] is True
    assert response["link"]["clicks"] == 1


def test_clicks_per_day(team, api_client_for):
    link = services.link_create(by=team.member(Role.OWNER), url="https://example.com")
    at = dt.datetime(2025, 6, 1, 12, tzinfo=dt.UTC)
    row = {
        "link_id": link.pk,
        "workspace_id": link.workspace_id,
        "at": at,
        "referrer_host": "",
        "device": 1,
        "country": "",
    }
    services.clicks_store(
        rows=[services.ClickRow(is_bot=False, **row)] * 3 + [services.ClickRow(is_bot=True, **row)]
    )
    client = api_client_for(team.member(Role.ANALYST))
    body = send(client, "get", f"/api/v1/links/{link.pk}/clicks?start=2025-05-31&end=2025-06-02").json()
    assert body["timezone"] == "Europe/Paris"
    assert (body["clicks"], body["bots"]) == (3, 1)
    assert body["days"] == [
        {"date": "2025-05-31", "clicks": 0, "bots": 0},
        {"date": "2025-06-01", "clicks": 3, "bots": 1},
        {"date": "2025-06-02", "clicks": 0, "bots": 0},
    ]
    assert len(send(client, "get", f"/api/v1/links/{link.pk}/clicks").json()["days"]) == 30
    for bad in ["start=2025-06-03&end=2025-06-01", "start=2020-01-01&end=2025-01-01", "start=yesterday"]:
        response = send(client, "get", f"/api/v1/links/{link.pk}/clicks?{bad}")
        assert response.status_code == 422, (bad, response.content)


def test_utm_rules_read_and_replace(team, api_client_for):
    reader = api_client_for(team.member(Role.CLIENT))
    assert send(reader, "get", "/api/v1/utm-rules").json() == {
        "utm_source": "{network}",
        "utm_medium": "social",
        "utm_campaign": "{campaign}",
        "utm_content": "{post_id}",
        "override": False,
        "shorten_in_posts": False,
        "custom_domain": "",
        "placeholders": ["{network}", "{channel}", "{rubric}", "{campaign}", "{post_id}", "{workspace}"],
    }
    assert send(reader, "put", "/api/v1/utm-rules", {"utm_source": "x", "utm_medium": "y"}).status_code == 403
    writer = api_client_for(team.member(Role.COPYWRITER))
    body = {"utm_source": "{network}", "utm_medium": "smm", "utm_campaign": "{rubric}", "override": True}
    body["shorten_in_posts"] = True
    response = send(writer, "put", "/api/v1/utm-rules", body)
    assert response.status_code == 200
    assert response.json()["shorten_in_posts"] is True
    assert (response.json()["utm_medium"], response.json()["override"], response.json()["utm_content"]) == (
        "smm",
        True,
        "",
    )
    bad = send(writer, "put", "/api/v1/utm-rules", {"utm_source": "{nope}", "utm_medium": "x"})
    assert bad.status_code == 422
    assert "utm_source" in bad.json()["error"]["fields"]
    bad = send(
        writer,
        "put",
        "/api/v1/utm-rules",
        {"utm_source": "x", "utm_medium": "x", "custom_domain": "http://x"},
    )
    assert "custom_domain" in bad.json()["error"]["fields"]


def test_foreign_links_are_not_found(team, other_team, api_client_for):
    theirs = services.link_create(by=other_team.member(Role.OWNER), url="https://globex.example")
    client = api_client_for(team.member(Role.OWNER))
    for method, suffix, body in [
        ("get", "", None),
        ("patch", "", {"disabled": True}),
        ("delete", "", None),
        ("get", "/clicks", None),
    ]:
        response = send(client, method, f"/api/v1/links/{theirs.pk}{suffix}", body)
        assert response.status_code == 404, (method, suffix)
    theirs.refresh_from_db()
    assert not theirs.disabled
    assert send(client, "get", "/api/v1/links").json()["count"] == 0
