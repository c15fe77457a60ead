"""The metrics API and page: scoped, role-checked, clear 4xx."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portevoix.metrics.models import FollowerDaily, PostMetricLatest, PostMetricSnapshot
from portevoix.metrics.services.record import Reading, Values, followers_write, snapshots_write
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def today(team) -> dt.date:
    return timezone.localtime(timezone.now(), team.workspace.tzinfo).date()


def test_posts_and_followers_endpoints(team, api_client_for, make_channel, make_published):
    channel = make_channel(name="VK")
    target = make_published(channel, age=dt.timedelta(hours=1))
    snapshots_write(readings=[Reading(target, Values(views=100, likes=5), timezone.now())], source="api")
    followers_write(channel=channel, followers=200, collected_at=timezone.now() - dt.timedelta(days=1))
    client = api_client_for(team.member(Role.DESIGNER))  # analytics.view: every staff role

    body = client.get("/api/v1/metrics/posts").json()
    assert body["count"] == 1
    assert body["timezone"] == "Europe/Paris"
    item = body["items"][0]
    assert (item["views"], item["likes"], item["reach"], item["saves"]) == (100, 5, None, None)
    assert item["engagements"] == 5
    assert item["er"] == pytest.approx(2.5)
    assert item["err"] == pytest.approx(5.0)
    assert client.get("/api/v1/metrics/posts?network=other").json()["count"] == 0
    assert client.get(f"/api/v1/metrics/posts?channel={channel.pk}&limit=1").json()["count"] == 1

    start = (today(team) - dt.timedelta(days=2)).isoformat()
    series = client.get(f"/api/v1/metrics/followers?channel={channel.pk}&start={start}").json()
    (only,) = series["channels"]
    assert [day["followers"] for day in only["days"]] == [None, 200, None]
    assert only["growth"]["end_followers"] == 200
    assert only["growth"]["growth"] == 0
    make_channel(name="Second")
    assert len(client.get("/api/v1/metrics/followers").json()["channels"]) == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?start=2026-03-10&end=2026-03-01", "start"),
        ("?start=2020-01-01&end=2026-01-01", "end"),
        ("?start=9999-12-31", "start"),
        ("?start=not-a-date", "start"),
        ("?channel=999999", "channel"),
    ],
)
def test_bad_queries_are_422(team, api_client_for, query, field):
    response = api_client_for(team.member(Role.OWNER)).get(f"/api/v1/metrics/posts{query}")
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_client_role_cannot_read_and_foreign_channels_are_refused(
    team, other_team, api_client_for, make_channel
):
    assert api_client_for(team.member(Role.CLIENT)).get("/api/v1/metrics/posts").status_code == 403
    foreign = make_channel(workspace=other_team.workspace)
    response = api_client_for(team.member(Role.OWNER)).get(f"/api/v1/metrics/followers?channel={foreign.pk}")
    assert response.status_code == 422
    assert (
        api_client_for(team.member(Role.OWNER)).get("/api/v1/metrics/followers?channel=0").status_code == 422
    )


def test_manual_and_followers_posts(team, api_client_for, make_channel, make_published):
    channel = make_channel()
    target = make_published(channel)
    analyst = api_client_for(team.member(Role.ANALYST))
    body = {"post_id": target.post_id, "channel_id": channel.pk, "views": 50, "reach": None}
    response = analyst.post("/api/v1/metrics/manual", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["views"] == 50
    assert response.json()["reach"] is None
    assert PostMetricLatest.objects.get(target=target).views == 50

    assert (
        analyst.post(
            "/api/v1/metrics/manual", {**body, "views": -1}, content_type="application/json"
        ).status_code
        == 422
    )
    assert (
        analyst.post(
            "/api/v1/metrics/manual", {**body, "extra": 1}, content_type="application/json"
        ).status_code
        == 422
    )
    missing = analyst.post(
        "/api/v1/metrics/manual",
        {"post_id": target.post_id, "channel_id": channel.pk},
        content_type="application/json",
    )
    assert missing.status_code == 422
    not_published = analyst.post(
        "/api/v1/metrics/manual", {**body, "post_id": 987654}, content_type="application/json"
    )
    assert not_published.status_code == 422
    assert "post_id" in not_published.json()["error"]["fields"]
    copywriter = api_client_for(team.member(Role.COPYWRITER))
    assert copywriter.post("/api/v1/metrics/manual", body, content_type="application/json").status_code == 403

    response = analyst.post(
        "/api/v1/metrics/followers",
        {"channel_id": channel.pk, "followers": 77},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert FollowerDaily.objects.get(channel=channel).followers == 77
    future = (today(team) + dt.timedelta(days=5)).isoformat()
    response = analyst.post(
        "/api/v1/metrics/followers",
        {"channel_id": channel.pk, "followers": 1, "date": future},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "date" in response.json()["error"]["fields"]


def test_import_endpoint_dry_run_then_write(team, api_client_for, make_channel, make_published):
    channel = make_channel(name="Blue")
    target = make_published(channel)
    day = (today(team) - dt.timedelta(days=1)).isoformat()
    content = f"date,channel,post,likes,followers\n{day},Blue,{target.post_id},9,100\n".encode()
    client = api_client_for(team.member(Role.MANAGER))
    dry = client.post("/api/v1/metrics/import", {"file": SimpleUploadedFile("m.csv", content)})
    assert dry.status_code == 200, dry.content
    assert dry.json()["dry_run"]
    assert not dry.json()["written"]
    assert dry.json()["post_rows"] == 1
    assert not PostMetricSnapshot.objects.exists()
    done = client.post("/api/v1/metrics/import?dry_run=false", {"file": SimpleUploadedFile("m.csv", content)})
    assert done.json()["written"]
    assert PostMetricSnapshot.objects.get().likes == 9
    bad = client.post(
        "/api/v1/metrics/import?dry_run=false", {"file": SimpleUploadedFile("m.csv", b"\xff\xfe\x00")}
    )
    assert bad.status_code == 200
    assert not bad.json()["written"]
    assert bad.json()["problem_count"] == 1
    assert client.post("/api/v1/metrics/import").status_code == 422
    assert (
        api_client_for(team.member(Role.TARGETOLOGIST))
        .post("/api/v1/metrics/import", {"file": SimpleUploadedFile("m.csv", content)})
        .status_code
        == 403
    )


def test_page_renders_and_forms_work(team, client_for, make_channel, make_published):
    channel = make_channel(name="Page channel")
    target = make_published(channel)
    slug = team.workspace.slug
    page = reverse("metrics:page", args=[slug])
    owner = client_for(team.user(Role.OWNER))
    response = owner.get(page)
    assert response.status_code == 200
    assert b'data-testid="post-metric-row"' in response.content
    assert b"manual-form" in response.content
    # Read-only for a copywriter: no forms.
    response = client_for(team.user(Role.COPYWRITER)).get(page)
    assert response.status_code == 200
    assert b"manual-form" not in response.content
    assert client_for(team.user(Role.CLIENT)).get(page).status_code == 403
    assert owner.get(page + "?start=2026-03-10&end=2026-01-01").status_code == 200  # reversed: defaults

    day = (today(team) - dt.timedelta(days=1)).isoformat()
    response = owner.post(
        reverse("metrics:enter", args=[slug]), {"target": target.pk, "date": day, "views": "40", "likes": ""}
    )
    assert response.status_code == 302
    assert PostMetricLatest.objects.get(target=target).views == 40
    response = owner.post(reverse("metrics:enter", args=[slug]), {"target": target.pk, "date": day})
    assert response.status_code == 422
    response = owner.post(
        reverse("metrics:followers", args=[slug]), {"channel": channel.pk, "date": day, "followers": "10"}
    )
    assert response.status_code == 302
    assert FollowerDaily.objects.get(channel=channel).followers == 10

    content = f"date,channel,post,likes\n{day},Page channel,{target.post_id},3\n".encode()
    response = owner.post(
        reverse("metrics:import", args=[slug]), {"file": SimpleUploadedFile("m.csv", content)}
    )
    assert response.status_code == 200
    assert b"import-confirm" in response.content
    assert PostMetricSnapshot.objects.filter(source="csv").count() == 0  # the dry run wrote nothing
    token = response.context["confirm_form"].initial["token"]
    response = owner.post(reverse("metrics:import_confirm", args=[slug]), {"token": token})
    assert response.status_code == 302
    assert PostMetricSnapshot.objects.filter(source="csv").count() == 1
    response = owner.post(reverse("metrics:import_confirm", args=[slug]), {"token": "forged"})
    assert response.status_code == 302
    bad = f"date,channel,likes\n{day},Nope,3\n".encode()
    response = owner.post(reverse("metrics:import", args=[slug]), {"file": SimpleUploadedFile("m.csv", bad)})
    assert response.status_code == 422
    assert b"import-problems" in response.content
