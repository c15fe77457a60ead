"""The publishing API: /api/v1/attention, the actions on a target, /api/v1/notifications."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from portevoix.publishing.messages import Code
from portevoix.publishing.models import Notification, NotificationKind, TargetState
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(team, api_client_for):
    return api_client_for(team.member(Role.MANAGER))


def _post(client, url: str, body: object | None = None):
    if body is None:
        return client.post(url)
    return client.post(
        url, json.dumps(body) if not isinstance(body, str) else body, content_type="application/json"
    )


def test_attention_lists_targets_with_reason_advice_and_actions(lead, make_target):
    failed = make_target(state=TargetState.FAILED, error_code=Code.REJECTED, error_message="Too long.")
    unconfirmed = make_target(state=TargetState.UNCONFIRMED)
    struggling = make_target(state=TargetState.RETRY_WAIT, attempt_count=5)
    make_target(state=TargetState.PUBLISHED)
    body = lead.get("/api/v1/attention").json()
    assert body["count"] == 3
    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[failed.pk]["reason"] == "failed"
    assert by_id[failed.pk]["error_message"] == "Too long."
    assert by_id[failed.pk]["advice"]
    assert by_id[failed.pk]["actions"] == ["retry", "mark_published"]
    assert by_id[unconfirmed.pk]["actions"] == ["retry", "mark_published", "mark_not_published"]
    assert by_id[struggling.pk]["reason"] == "struggling"
    assert by_id[struggling.pk]["actions"] == ["cancel"]
    assert body["channels"] == []
    page = lead.get("/api/v1/attention", {"limit": 1, "offset": 1}).json()
    assert page["count"] == 3
    assert len(page["items"]) == 1
    assert page["items"][0]["id"] == body["items"][1]["id"]


@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 9999}, {"offset": -1}, {"limit": "x"}])
def test_attention_bad_pagination_is_422(lead, query):
    response = lead.get("/api/v1/attention", query)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_failed"


def test_retry_and_conflict(team, lead, make_target):
    target = make_target(state=TargetState.FAILED, due_in=-timedelta(hours=1))
    response = _post(lead, f"/api/v1/targets/{target.pk}/retry")
    assert response.status_code == 200
    assert response.json()["state"] == TargetState.SCHEDULED
    assert AuditEvent.objects.filter(action="target.retry", actor=team.user(Role.MANAGER)).exists()
    again = _post(lead, f"/api/v1/targets/{target.pk}/retry")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"


def test_mark_published(lead, make_target):
    target = make_target(state=TargetState.UNCONFIRMED)
    response = _post(lead, f"/api/v1/targets/{target.pk}/mark-published", {"url": "https://bsky.app/p/1"})
    assert response.status_code == 200
    assert response.json()["state"] == TargetState.PUBLISHED
    assert response.json()["remote_url"] == "https://bsky.app/p/1"
    target.refresh_from_db()
    assert target.remote_url == "https://bsky.app/p/1"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"url": ""},
        {"url": "javascript:alert(1)"},
        {"url": "https://x.example/\x00"},
        {"url": "https://x.example/" + "a" * 3000},
        {"url": 5},
        {"url": "https://x.example/", "extra": 1},
        "not json",
        [],
    ],
)
def test_mark_published_garbage_is_4xx(lead, make_target, body):
    target = make_target(state=TargetState.FAILED)
    response = _post(lead, f"/api/v1/targets/{target.pk}/mark-published", body)
    assert 400 <= response.status_code < 500
    assert "error" in response.json()
    target.refresh_from_db()
    assert target.state == TargetState.FAILED


def test_mark_not_published_then_cancel_refused(lead, make_target):
    target = make_target(state=TargetState.UNCONFIRMED)
    response = _post(lead, f"/api/v1/targets/{target.pk}/mark-not-published")
    assert response.status_code == 200
    assert response.json()["state"] == TargetState.FAILED
    assert response.json()["error_code"] == Code.CHECKED_NOT_PUBLISHED
    assert _post(lead, f"/api/v1/targets/{target.pk}/cancel").status_code == 409


def test_cancel(lead, make_target):
    target = make_target(state=TargetState.RETRY_WAIT, attempt_count=3)
    response = _post(lead, f"/api/v1/targets/{target.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["state"] == TargetState.CANCELLED


@pytest.mark.parametrize("target_id", ["0", "-1", "abc", str(2**64), "999999"])
def test_bad_or_unknown_ids(lead, target_id):
    response = _post(lead, f"/api/v1/targets/{target_id}/retry")
    assert response.status_code in {404, 422}
    assert "error" in response.json()


def test_foreign_target_is_404_and_unchanged(lead, other_team, make_target, make_post, make_channel):
    foreign = make_target(
        state=TargetState.FAILED,
        post=make_post(workspace=other_team.workspace),
        channel=make_channel(workspace=other_team.workspace),
    )
    for action, body in [
        ("retry", None),
        ("mark-published", {"url": "https://x.example/1"}),
        ("mark-not-published", None),
        ("cancel", None),
    ]:
        response = _post(lead, f"/api/v1/targets/{foreign.pk}/{action}", body)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    foreign.refresh_from_db()
    assert foreign.state == TargetState.FAILED


def test_notifications_scoped_paginated_and_marked_read(team, other_team, api_client_for):
    client = api_client_for(team.member(Role.CLIENT))
    first = Notification.objects.create(workspace=team.workspace, kind=NotificationKind.FAILED, title="One")
    Notification.objects.create(workspace=team.workspace, kind=NotificationKind.LATE, title="Two")
    foreign = Notification.objects.create(
        workspace=other_team.workspace, kind=NotificationKind.FAILED, title="X"
    )
    body = client.get("/api/v1/notifications").json()
    assert body["count"] == 2
    assert {item["title"] for item in body["items"]} == {"One", "Two"}
    assert body["items"][0]["kind_label"]
    marked = _post(client, "/api/v1/notifications/read", {"ids": [first.pk, foreign.pk]})
    assert marked.json() == {"marked": 1}
    unread = client.get("/api/v1/notifications", {"unread": "true"}).json()
    assert [item["title"] for item in unread["items"]] == ["Two"]
    assert _post(client, "/api/v1/notifications/read", {}).json() == {"marked": 1}
    foreign.refresh_from_db()
    assert foreign.read_at is None
    assert _post(client, "/api/v1/notifications/read", {"ids": ["x"]}).status_code == 422
