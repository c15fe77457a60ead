"""The tracker API: sites, visits, and server-side conversions with their own key."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from portevoix.analytics.models import Conversion, Site, Visit
from portevoix.analytics.sessions import Sessions
from portevoix.content import services as content_services
from portevoix.core.secrets import digest
from portevoix.workspaces.roles import Role

from .conftest import hit

pytestmark = pytest.mark.django_db
VID = "0123456789abcdef0123456789abcdef"


def send(client, method, url, body=None, **headers):
    call = getattr(client, method)
    if body is None:
        return call(url, **headers)
    return call(url, json.dumps(body), content_type="application/json", **headers)


def test_sites_crud_and_secret_shown_once(team, api_client_for):
    api = api_client_for(team.member(Role.OWNER))
    made = send(
        api, "post", "/api/v1/tracker/sites", {"name": "Shop", "domains": "Shop.example, www.shop.example"}
    )
    assert made.status_code == 201, made.content
    data = made.json()
    secret = data["secret"]
    assert secret.startswith("pvs_")
    assert data["domains"] == ["shop.example", "www.shop.example"]
    assert f'data-site="{data["public_key"]}"' in data["snippet"]
    assert "/t/pv.js" in data["snippet"]
    site = Site.objects.get(pk=data["id"])
    assert site.secret_hash == digest(secret)
    assert secret not in site.secret_hash
    listed = send(api, "get", "/api/v1/tracker/sites").json()
    assert listed["count"] == 1
    assert "secret" not in listed["items"][0]
    assert "secret" not in send(api, "get", f"/api/v1/tracker/sites/{site.pk}").json()
    patched = send(api, "patch", f"/api/v1/tracker/sites/{site.pk}", {"domains": ""})
    assert patched.json()["domains"] == []
    bad = send(api, "patch", f"/api/v1/tracker/sites/{site.pk}", {"domains": "https://shop.example/path"})
    assert bad.status_code == 422
    assert "domains" in bad.json()["error"]["fields"]
    rotated = send(api, "post", f"/api/v1/tracker/sites/{site.pk}/rotate-secret").json()
    assert rotated["secret"] != secret
    # the old key no longer authenticates
    old = send(
        Client(),
        "post",
        "/api/v1/tracker/conversions",
        {"goal": "signup", "order_id": "1"},
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert old.status_code == 401
    new = send(
        Client(),
        "post",
        "/api/v1/tracker/conversions",
        {"goal": "signup", "order_id": "1"},
        HTTP_AUTHORIZATION=f"Bearer {rotated['secret']}",
    )
    assert new.status_code == 201
    assert send(api, "delete", f"/api/v1/tracker/sites/{site.pk}").json() == {"deleted": True}
    assert not Site.objects.exists()


def test_visits_endpoint(team, site, api_client_for):
    Sessions().store(
        [
            hit(
                site,
                at=dt.datetime(2026, 5, 4, 10, tzinfo=dt.UTC).timestamp(),
                utm=(("source", "vk"), ("medium", "social")),
            )
        ]
    )
    api = api_client_for(team.member(Role.ANALYST))
    answer = send(api, "get", "/api/v1/tracker/visits?start=2026-05-01&end=2026-05-31&group=network")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert data["timezone"] == "Europe/Paris"
    assert [(row["key"], row["visits"], row["bounce_rate"]) for row in data["rows"]] == [("vk", 1, 100.0)]
    days = send(api, "get", "/api/v1/tracker/visits?start=2026-05-01&end=2026-05-03&group=day").json()["rows"]
    assert [row["bounce_rate"] for row in days] == [None, None, None]
    assert send(api, "get", "/api/v1/tracker/visits?group=browser").status_code == 422
    assert send(api, "get", "/api/v1/tracker/visits?start=2026-05-04&end=2026-05-01").status_code == 422


def conversions(body, secret, **extra):
    return send(
        Client(), "post", "/api/v1/tracker/conversions", body, HTTP_AUTHORIZATION=f"Bearer {secret}", **extra
    )


def test_server_side_conversion_is_attributed_and_deduplicated(team, issued):
    site = issued.site
    post = content_services.post_create(by=team.member(Role.OWNER), text="Spring sale")
    now = dt.datetime.now(dt.UTC).timestamp()
    utm = (("source", "telegram"), ("medium", "social"), ("campaign", "spring"), ("content", str(post.pk)))
    Sessions().store([hit(site, at=now - 5 * 86400, vid=VID, utm=utm), hit(site, at=now - 60, vid=VID)])
    body = {"goal": "purchase", "visitor": VID, "order_id": "A-1001", "revenue": "49.90", "currency": "eur"}
    first = conversions(body, issued.secret)
    assert first.status_code == 201, first.content
    data = first.json()
    assert data["created"] is True
    assert (data["network"], data["campaign"], data["post_id"], data["currency"]) == (
        "telegram",
        "spring",
        post.pk,
        "EUR",
    )
    stored = Conversion.objects.get()
    assert stored.source == "server"
    assert str(stored.revenue) == "49.90"
    assert stored.visit == Visit.objects.order_by("-started_at").first()  # the open session
    again = conversions({**body, "revenue": "1.00"}, issued.secret)
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert Conversion.objects.count() == 1
    assert str(Conversion.objects.get().revenue) == "49.90"
    # order id only: stored, not attributed
    alone = conversions({"goal": "registration", "order_id": "R-1"}, issued.secret).json()
    assert alone["network"] == ""
    assert alone["created"] is True


@pytest.mark.parametrize(
    "body",
    [
        {"goal": "purchase", "visitor": VID, "revenue": "-1", "currency": "EUR"},
        {"goal": "purchase", "visitor": VID, "revenue": "10", "currency": "EURO"},
        {"goal": "purchase", "visitor": VID, "revenue": "10"},
        {"goal": "purchase", "visitor": VID, "revenue": "1e20", "currency": "EUR"},
        {"goal": "purchase"},
        {"goal": "bad goal!", "visitor": VID},
        {"goal": "signup", "visitor": "not-a-visitor"},
        {"goal": "signup", "visitor": VID, "order_id": "a\x00b"},
        {"goal": "signup", "visitor": VID, "at": "1999-01-01T00:00:00Z"},
        {"goal": "signup", "visitor": VID, "extra": 1},
        {"goal": 5, "visitor": VID},
    ],
)
def test_bad_conversion_payloads_are_422(issued, body):
    answer = conversions(body, issued.secret)
    assert answer.status_code == 422, answer.content
    assert answer.json()["error"]["code"] == "validation_failed"
    assert not Conversion.objects.exists()


def test_forged_keys_are_401_then_429_and_user_tokens_403(team, issued, api_client_for):
    body = {"goal": "signup", "order_id": "X-1"}
    assert conversions(body, "").status_code == 401
    assert send(Client(), "post", "/api/v1/tracker/conversions", body).status_code == 401
    forged = conversions(body, "pvs_" + "A" * 43)
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "unauthenticated"
    token = api_client_for(team.member(Role.OWNER))
    refused = send(token, "post", "/api/v1/tracker/conversions", body)
    assert refused.status_code == 403
    for _ in range(40):
        last = conversions(body, "pvs_forged")
    assert last.status_code == 429
    assert not Conversion.objects.exists()


def test_not_json_is_refused(issued):
    answer = Client().post(
        "/api/v1/tracker/conversions",
        b"{",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {issued.secret}",
    )
    assert 400 <= answer.status_code < 500
    assert not Conversion.objects.exists()
