"""The composer's API: validate, posts CRUD with roles and workspaces, scheduling in local time, history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from portevoix.content.models import Post
from portevoix.content.tests.conftest import api_json, next_paris_transitions
from portevoix.publishing.models import Attempt, AttemptOutcome, Target, TargetState
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

VALIDATE = "/api/v1/content/validate"


def soon(days: int = 30) -> str:
    """A local time in the workspace's zone, ``days`` from now."""
    return (
        (timezone.now() + timedelta(days=days))
        .astimezone(ZoneInfo("Europe/Paris"))
        .strftime("%Y-%m-%dT10:00")
    )


@pytest.fixture
def owner_api(team, api_client_for):
    return api_client_for(team.member(Role.OWNER))


# --- POST /api/v1/content/validate ----------------------------------------------------------------


def test_validate_answers_per_network(owner_api):
    body = {
        "text": "Hello " + "a" * 300,
        "networks": ["x", "bluesky", "mastodon", "telegram"],
        "media": [
            {"kind": "image", "content_type": "image/png", "size": 2_000_000, "width": 800, "height": 600}
        ],
    }
    response = api_json(owner_api, "POST", VALIDATE, body)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert set(results) == {"x", "bluesky", "mastodon", "telegram"}
    x = results["x"]
    assert (x["length"], x["limit"], x["unit"], x["valid"]) == (306, 280, "twitter_weighted", False)
    # X has no connector yet: its media are not judged, its text is.
    assert [p["code"] for p in x["problems"]] == ["too_long"]
    bluesky = results["bluesky"]
    assert bluesky["unit"] == "graphemes"
    assert bluesky["valid"] is False
    assert {p["code"] for p in bluesky["problems"]} == {"too_long", "file_too_large"}
    assert [c["unit"] for c in bluesky["counts"]] == ["graphemes", "utf8_bytes"]
    telegram = results["telegram"]
    assert (telegram["field"], telegram["limit"], telegram["valid"]) == ("caption", 1024, True)
    assert all(problem["message"] for result in results.values() for problem in result["problems"])


def test_validate_x_over_its_limit(owner_api):
    response = api_json(owner_api, "POST", VALIDATE, {"text": "a" * 281, "networks": ["x"]})
    x = response.json()["results"]["x"]
    assert (x["length"], x["valid"]) == (281, False)
    assert [p["code"] for p in x["problems"]] == ["too_long"]


def test_validate_unknown_network_is_422(owner_api):
    response = api_json(owner_api, "POST", VALIDATE, {"text": "hi", "networks": ["x", "friendster"]})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_failed"
    assert "friendster" in error["message"]
    assert "networks" in error["fields"]


@pytest.mark.parametrize(
    "body",
    [
        "not json at all",
        [],
        {"text": "hi"},
        {"text": "hi", "networks": []},
        {"text": "hi", "networks": "x"},
        {"text": 12, "networks": ["x"]},
        {"text": "hi\x00", "networks": ["x"]},
        {"text": "hi", "networks": ["x"], "unexpected": 1},
        {"text": "hi", "networks": ["x"], "media": [{"kind": "audio", "content_type": "a/b", "size": 1}]},
        {"text": "hi", "networks": ["x"], "media": [{"kind": "image", "content_type": "i/p", "size": -1}]},
        {"text": "hi", "networks": ["x"], "media": [{"kind": "image", "content_type": "i", "size": 10**30}]},
        {"text": "hi", "networks": ["x" * 100]},
        {"text": "hi", "networks": ["x"] * 41},
    ],
)
def test_validate_garbage_is_a_client_error(owner_api, body):
    if isinstance(body, str):
        response = owner_api.post(VALIDATE, body, content_type="application/json")
    else:
        response = api_json(owner_api, "POST", VALIDATE, body)
    assert 400 <= response.status_code < 500, (response.status_code, response.content)
    assert "error" in response.json()


def test_validate_huge_text_is_422_not_500(owner_api):
    response = api_json(owner_api, "POST", VALIDATE, {"text": "a" * 100_001, "networks": ["x", "bluesky"]})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "text_too_long"
    response = api_json(owner_api, "POST", VALIDATE, {"text": "a" * 3_000_000, "networks": ["x"]})
    assert response.status_code == 413


def test_validate_needs_authentication(client):
    response = api_json(client, "POST", VALIDATE, {"text": "hi", "networks": ["x"]})
    assert response.status_code == 401


# --- Posts CRUD -----------------------------------------------------------------------------------


def test_create_read_update_delete(owner_api, team, make_channel, make_asset):
    telegram = make_channel("telegram")
    bluesky = make_channel("bluesky")
    first, second = make_asset(), make_asset(content_type="image/png")
    body = {
        "text": "Launch day",
        "title": "Launch",
        "link": "https://portevoix.org/launch",
        "variants": {"bluesky": "Launch day on Bluesky", "x": "  "},
        "media_ids": [second.pk, first.pk],
        "channel_ids": [telegram.pk, bluesky.pk],
    }
    response = api_json(owner_api, "POST", "/api/v1/posts", body)
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "draft"
    assert created["variants"] == {"bluesky": "Launch day on Bluesky"}  # a blank variant is no variant
    assert [m["id"] for m in created["media"]] == [second.pk, first.pk]
    assert {(c["id"], c["state"]) for c in created["channels"]} == {
        (telegram.pk, "draft"),
        (bluesky.pk, "draft"),
    }
    assert created["timezone"] == "Europe/Paris"
    post = Post.objects.get(pk=created["id"])
    assert post.workspace == team.workspace
    assert post.author == team.user(Role.OWNER)
    assert AuditEvent.objects.filter(action="post.create", object_id=str(post.pk)).exists()

    got = api_json(owner_api, "GET", f"/api/v1/posts/{post.pk}").json()
    assert got["text"] == "Launch day"
    assert got["link"] == "https://portevoix.org/launch"

    response = api_json(
        owner_api,
        "PATCH",
        f"/api/v1/posts/{post.pk}",
        {"text": "Launch day!", "media_ids": [first.pk], "channel_ids": [telegram.pk]},
    )
    assert response.status_code == 200, response.content
    updated = response.json()
    assert updated["text"] == "Launch day!"
    assert updated["title"] == "Launch"
    assert [m["id"] for m in updated["media"]] == [first.pk]
    assert [c["id"] for c in updated["channels"]] == [telegram.pk]
    assert not Target.objects.filter(post=post, channel=bluesky).exists()

    assert api_json(owner_api, "DELETE", f"/api/v1/posts/{post.pk}").status_code == 204
    assert not Post.objects.filter(pk=post.pk).exists()
    assert api_json(owner_api, "GET", f"/api/v1/posts/{post.pk}").status_code == 404


def test_list_with_status_and_filters(owner_api, team, other_team, make_channel, make_post):
    telegram = make_channel("telegram")
    draft = make_post("a draft about cats")
    scheduled = make_post("planned dogs")
    Target.objects.create(
        workspace=team.workspace,
        post=scheduled,
        channel=telegram,
        state=TargetState.SCHEDULED,
        idempotency_key="k1",
    )
    failed = make_post("failed birds")
    Target.objects.create(
        workspace=team.workspace,
        post=failed,
        channel=telegram,
        state=TargetState.FAILED,
        idempotency_key="k2",
    )
    make_post("foreign", workspace=other_team.workspace)
    page = api_json(owner_api, "GET", "/api/v1/posts").json()
    assert page["count"] == 3
    by_id = {item["id"]: item["status"] for item in page["items"]}
    assert by_id == {draft.pk: "draft", scheduled.pk: "scheduled", failed.pk: "needs_attention"}
    for status, expected in [("draft", draft), ("scheduled", scheduled), ("needs_attention", failed)]:
        page = api_json(owner_api, "GET", f"/api/v1/posts?status={status}").json()
        assert [item["id"] for item in page["items"]] == [expected.pk], status
    assert api_json(owner_api, "GET", "/api/v1/posts?q=dogs").json()["count"] == 1
    assert api_json(owner_api, "GET", f"/api/v1/posts?channel={telegram.pk}").json()["count"] == 2
    assert api_json(owner_api, "GET", "/api/v1/posts?network=telegram").json()["count"] == 2
    assert api_json(owner_api, "GET", "/api/v1/posts?limit=1").json()["items"].__len__() == 1
    assert api_json(owner_api, "GET", "/api/v1/posts?status=lost").status_code == 422
    assert api_json(owner_api, "GET", "/api/v1/posts?limit=100000").status_code == 422


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.COPYWRITER, True), (Role.DESIGNER, True), (Role.ANALYST, False), (Role.CLIENT, False)],
)
def test_writing_posts_needs_post_edit(team, api_client_for, role, allowed):
    client = api_client_for(team.member(role))
    response = api_json(client, "POST", "/api/v1/posts", {"text": "Hi"})
    assert response.status_code == (201 if allowed else 403)
    assert api_json(client, "GET", "/api/v1/posts").status_code == 200  # everyone reads


def test_foreign_posts_are_not_found(owner_api, other_team, make_post):
    foreign = make_post("theirs", workspace=other_team.workspace)
    for method, suffix, body in [
        ("GET", "", None),
        ("PATCH", "", {"text": "mine now"}),
        ("DELETE", "", None),
        ("POST", "/schedule", {"at": "2099-01-01T10:00"}),
        ("POST", "/publish", None),
        ("GET", "/history", None),
    ]:
        response = api_json(owner_api, method, f"/api/v1/posts/{foreign.pk}{suffix}", body)
        assert response.status_code == 404, (method, suffix, response.content)
    foreign.refresh_from_db()
    assert foreign.text == "theirs"


def test_foreign_or_inactive_channels_and_media_are_refused(owner_api, other_team, make_channel, make_asset):
    theirs = make_channel("telegram", workspace=other_team.workspace)
    broken = make_channel("telegram", status="needs_reauth")
    asset = make_asset(workspace=other_team.workspace)
    for body, field in [
        ({"channel_ids": [theirs.pk]}, "channel_ids"),
        ({"channel_ids": [broken.pk]}, "channel_ids"),
        ({"media_ids": [asset.pk]}, "media_ids"),
        ({"variants": {"friendster": "hi"}}, "variants"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"link": "not a link"}, "link"),
    ]:
        response = api_json(owner_api, "POST", "/api/v1/posts", {"text": "hi", **body})
        assert response.status_code == 422, (body, response.content)
        assert field in response.json()["error"]["fields"], body
    assert not Post.objects.exists()


def test_huge_post_text_is_422(owner_api):
    response = api_json(owner_api, "POST", "/api/v1/posts", {"text": "a" * 100_001})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "text_too_long"


# --- Scheduling, publishing, history --------------------------------------------------------------


@pytest.fixture
def ready_post(owner_api, make_channel):
    channel = make_channel("telegram")
    body = {"text": "Ready to go", "channel_ids": [channel.pk]}
    return Post.objects.get(pk=api_json(owner_api, "POST", "/api/v1/posts", body).json()["id"])


def test_schedule_in_the_workspace_zone(owner_api, ready_post):
    at = (
        (timezone.now() + timedelta(days=30))
        .astimezone(ZoneInfo("Europe/Paris"))
        .replace(hour=9, minute=30, second=0, microsecond=0)
    )
    response = api_json(
        owner_api, "POST", f"/api/v1/posts/{ready_post.pk}/schedule", {"at": at.strftime("%Y-%m-%dT%H:%M")}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["timezone"] == "Europe/Paris"
    assert body["ambiguous"] is False
    assert body["note"] == ""
    assert datetime.fromisoformat(body["scheduled_at"]) == at.astimezone(UTC)
    assert body["post"]["status"] == "scheduled"
    ready_post.refresh_from_db()
    assert ready_post.scheduled_at == at.astimezone(UTC)
    assert ready_post.timezone == "Europe/Paris"
    target = Target.objects.get(post=ready_post)
    assert (target.state, target.due_at) == (TargetState.SCHEDULED, at.astimezone(UTC))


def test_schedule_in_another_zone(owner_api, ready_post):
    year = timezone.now().year + 1
    response = api_json(
        owner_api,
        "POST",
        f"/api/v1/posts/{ready_post.pk}/schedule",
        {"at": f"{year}-07-01T09:00", "timezone": "Asia/Tokyo"},
    )
    assert response.status_code == 200, response.content
    assert datetime.fromisoformat(response.json()["scheduled_at"]) == datetime(year, 7, 1, 0, 0, tzinfo=UTC)
    ready_post.refresh_from_db()
    assert ready_post.timezone == "Asia/Tokyo"
    assert response.json()["post"]["scheduled_local"].startswith(f"{year}-07-01T09:00:00+09:00")


def test_schedule_in_the_spring_gap_is_refused(owner_api, ready_post):
    # The 2026 gap named in the spec has passed; the rule is the same: the message explains it.
    for day in ["2026-03-29", next_paris_transitions(timezone.now())[0]]:
        response = api_json(
            owner_api, "POST", f"/api/v1/posts/{ready_post.pk}/schedule", {"at": f"{day}T02:30"}
        )
        assert response.status_code == 422, response.content
        error = response.json()["error"]
        assert error["code"] == "nonexistent_local_time"
        assert "does not exist in Europe/Paris" in error["message"]
        assert "03:30" in error["message"]
    assert Target.objects.get(post=ready_post).state == TargetState.DRAFT


def test_schedule_in_the_autumn_overlap_takes_the_first(owner_api, ready_post):
    day = next_paris_transitions(timezone.now())[1]
    response = api_json(owner_api, "POST", f"/api/v1/posts/{ready_post.pk}/schedule", {"at": f"{day}T02:30"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ambiguous"] is True
    assert "first occurrence" in body["note"]
    first = datetime.fromisoformat(f"{day}T02:30+02:00")  # summer time, before the clocks go back
    assert datetime.fromisoformat(body["scheduled_at"]) == first
    assert body["local"] == f"{day}T02:30:00+02:00"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"at": "yesterday"}, "at"),
        ({"at": "2020-01-01T10:00"}, "at"),
        ({"at": "2099-01-01T10:00", "timezone": "Mars/Olympus"}, "timezone"),
        ({"at": "2099-01-01T10:00"}, "at"),
        ({"at": ""}, "at"),
    ],
)
def test_schedule_garbage_is_422(owner_api, ready_post, body, field):
    response = api_json(owner_api, "POST", f"/api/v1/posts/{ready_post.pk}/schedule", body)
    assert response.status_code == 422, response.content
    assert field in response.json()["error"]["fields"]


def test_schedule_refuses_a_post_that_breaks_a_channel_rule(owner_api, make_channel):
    bluesky = make_channel("bluesky", name="Acme on Bluesky")
    post_id = api_json(
        owner_api, "POST", "/api/v1/posts", {"text": "a" * 301, "channel_ids": [bluesky.pk]}
    ).json()["id"]
    response = api_json(owner_api, "POST", f"/api/v1/posts/{post_id}/schedule", {"at": soon()})
    assert response.status_code == 422
    messages = response.json()["error"]["fields"]["channels"]
    assert any(message.startswith("Acme on Bluesky: ") and "300" in message for message in messages)
    assert Target.objects.get(post_id=post_id).state == TargetState.DRAFT


def test_schedule_and_publish_need_post_publish(team, api_client_for, ready_post):
    copywriter = api_client_for(team.member(Role.COPYWRITER))
    url = f"/api/v1/posts/{ready_post.pk}"
    assert api_json(copywriter, "POST", f"{url}/schedule", {"at": "2099-01-01T10:00"}).status_code == 403
    assert api_json(copywriter, "POST", f"{url}/publish").status_code == 403
    assert Target.objects.get(post=ready_post).state == TargetState.DRAFT


def test_publish_now(owner_api, ready_post):
    response = api_json(owner_api, "POST", f"/api/v1/posts/{ready_post.pk}/publish")
    assert response.status_code == 200, response.content
    target = Target.objects.get(post=ready_post)
    assert target.state == TargetState.SCHEDULED
    assert target.due_at is not None
    assert target.due_at <= timezone.now()


def test_publish_without_channels_is_422(owner_api):
    post_id = api_json(owner_api, "POST", "/api/v1/posts", {"text": "Nowhere to go"}).json()["id"]
    response = api_json(owner_api, "POST", f"/api/v1/posts/{post_id}/publish")
    assert response.status_code == 422


def test_a_scheduled_post_must_stay_valid_and_a_sent_one_cannot_be_deleted(owner_api, ready_post, team):
    scheduled = api_json(owner_api, "POST", f"/api/v1/posts/{ready_post.pk}/schedule", {"at": soon()})
    assert scheduled.status_code == 200, scheduled.content
    response = api_json(owner_api, "PATCH", f"/api/v1/posts/{ready_post.pk}", {"text": "a" * 5000})
    assert response.status_code == 422
    assert "channels" in response.json()["error"]["fields"]
    assert api_json(owner_api, "PATCH", f"/api/v1/posts/{ready_post.pk}", {"text": "Fine"}).status_code == 200
    Target.objects.filter(post=ready_post).update(
        state=TargetState.PUBLISHED, remote_url="https://t.me/acme/1"
    )
    assert api_json(owner_api, "DELETE", f"/api/v1/posts/{ready_post.pk}").status_code == 409
    assert Post.objects.filter(pk=ready_post.pk).exists()


def test_editing_while_sending_is_409(owner_api, ready_post):
    Target.objects.filter(post=ready_post).update(state=TargetState.PUBLISHING)
    response = api_json(owner_api, "PATCH", f"/api/v1/posts/{ready_post.pk}", {"text": "changed"})
    assert response.status_code == 409


def test_deleting_a_scheduled_post_cancels_it_and_needs_post_publish(
    team, api_client_for, owner_api, ready_post
):
    scheduled = api_json(owner_api, "POST", f"/api/v1/posts/{ready_post.pk}/schedule", {"at": soon()})
    assert scheduled.status_code == 200, scheduled.content
    copywriter = api_client_for(team.member(Role.COPYWRITER))
    assert api_json(copywriter, "DELETE", f"/api/v1/posts/{ready_post.pk}").status_code == 403
    assert api_json(owner_api, "DELETE", f"/api/v1/posts/{ready_post.pk}").status_code == 204
    assert not Post.objects.filter(pk=ready_post.pk).exists()


def test_history_shows_attempts_urls_and_plain_errors(owner_api, ready_post, team):
    target = Target.objects.get(post=ready_post)
    Target.objects.filter(pk=target.pk).update(
        state=TargetState.FAILED,
        error_code="reauth_required",
        error_message="Telegram refused the bot token (401).",
        attempt_count=1,
    )
    now = timezone.now()
    Attempt.objects.create(
        target=target,
        number=1,
        fence=1,
        started_at=now,
        finished_at=now,
        outcome=AttemptOutcome.AUTH,
        error_code="reauth_required",
        message="Telegram refused the bot token (401).",
    )
    client = api_json(owner_api, "GET", f"/api/v1/posts/{ready_post.pk}/history")
    assert client.status_code == 200
    (item,) = client.json()["items"]
    assert item["state"] == "failed"
    assert item["error_message"] == "Telegram refused the bot token (401)."
    assert "Reconnect" in item["advice"]
    (attempt,) = item["attempts"]
    assert (attempt["number"], attempt["outcome"], attempt["outcome_label"]) == (
        1,
        "auth",
        "Authorisation problem",
    )
    assert api_json(owner_api, "GET", f"/api/v1/posts/{ready_post.pk}").json()["status"] == "needs_attention"


def test_schedule_uses_a_mastodon_channels_own_instance_limit(owner_api, make_channel):
    from portevoix.connectors.mastodon.instance import InstanceLimits
    from portevoix.content.validation import instance_limits_option

    roomy = make_channel(
        "mastodon", options={"instance_limits": instance_limits_option(InstanceLimits(1000))}
    )
    default = make_channel("mastodon")
    for channel, expected in [(roomy, 200), (default, 422)]:
        post_id = api_json(
            owner_api, "POST", "/api/v1/posts", {"text": "a" * 600, "channel_ids": [channel.pk]}
        ).json()["id"]
        response = api_json(owner_api, "POST", f"/api/v1/posts/{post_id}/schedule", {"at": soon()})
        assert response.status_code == expected, response.content


def test_changing_channels_respects_what_was_planned_or_sent(team, api_client_for, owner_api, make_channel):
    first, second = make_channel("telegram"), make_channel("discord")
    created = api_json(
        owner_api, "POST", "/api/v1/posts", {"text": "Hi", "channel_ids": [first.pk, second.pk]}
    )
    post_id = created.json()["id"]
    assert api_json(owner_api, "POST", f"/api/v1/posts/{post_id}/schedule", {"at": soon()}).status_code == 200
    copywriter = api_client_for(team.member(Role.COPYWRITER))
    url = f"/api/v1/posts/{post_id}"
    # Taking a planned channel away cancels it: that is the publishers' call.
    assert api_json(copywriter, "PATCH", url, {"channel_ids": [first.pk]}).status_code == 403
    assert Target.objects.filter(post_id=post_id).count() == 2
    response = api_json(owner_api, "PATCH", url, {"channel_ids": [first.pk]})
    assert response.status_code == 200, response.content
    assert [c["id"] for c in response.json()["channels"]] == [first.pk]
    # A channel that has the post stays.
    Target.objects.filter(post_id=post_id, channel=first).update(state=TargetState.PUBLISHED)
    response = api_json(owner_api, "PATCH", url, {"channel_ids": [second.pk]})
    assert response.status_code == 409
    assert Target.objects.filter(post_id=post_id, channel=first, state=TargetState.PUBLISHED).exists()


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "?scheduled_from=yesterday", None),
        ("GET", "?channel=0", None),
        ("GET", "?channel=99999999999999999999999", None),
        ("POST", "", {"text": "hi", "media_ids": [0]}),
        ("POST", "", {"text": "hi", "channel_ids": ["1"]}),
        ("POST", "", {"text": "hi", "variants": {"x": None}}),
        ("POST", "", {"text": "hi", "variants": ["x"]}),
        ("POST", "", {"text": "hi", "title": "t" * 201}),
        ("POST", "", {"text": "hi", "link": "https://" + "a" * 3000 + ".com"}),
        ("POST", "", {"text": None}),
        ("POST", "", "[1, 2"),
    ],
)
def test_garbage_on_posts_is_a_client_error(owner_api, method, suffix, body):
    if isinstance(body, str):
        response = owner_api.post(f"/api/v1/posts{suffix}", body, content_type="application/json")
    else:
        response = api_json(owner_api, method, f"/api/v1/posts{suffix}", body)
    assert 400 <= response.status_code < 500, (response.status_code, response.content)


@pytest.mark.parametrize(
    "at",
    [
        "2026-10-25T02:30+25:00",
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00+14:00",
        "0001-01-01T00:00",
        "2026-02-29T10:00",
        "2027-01-01T25:00",
        "2027-01-01T10:00 Europe/Paris",
    ],
)
def test_schedule_garbage_times_are_422_not_500(owner_api, ready_post, at):
    response = api_json(owner_api, "POST", f"/api/v1/posts/{ready_post.pk}/schedule", {"at": at})
    assert response.status_code == 422, (at, response.content)
    assert Target.objects.get(post=ready_post).state == TargetState.DRAFT
