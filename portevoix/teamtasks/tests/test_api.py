"""/api/v1/tasks and /api/v1/notices: filters, create and reassign (with the notice), done by the assignee,
workspace scoping (foreign ids 404), notices only one's own."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from portevoix.content.models import Post
from portevoix.teamtasks.models import Notice, PostTask
from portevoix.teamtasks.notices import notice_send
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def _json(client, method, url, body=None):
    call = getattr(client, method.lower())
    if body is None:
        return call(url)
    return call(url, json.dumps(body), content_type="application/json")


def test_list_filters_mine_open_overdue(team, make_task, api_client_for):
    late = make_task(assignee_role=Role.ANALYST, due_in=timedelta(hours=-3))
    soon = make_task(assignee_role=Role.ANALYST, due_in=timedelta(hours=3))
    done = make_task(assignee_role=Role.ANALYST, due_in=timedelta(hours=-3), done=True)
    other = make_task(assignee_role=Role.DESIGNER, due_in=timedelta(hours=-1))
    client = api_client_for(team.member(Role.ANALYST))

    every = _json(client, "GET", "/api/v1/tasks").json()
    assert every["count"] == 4
    mine = _json(client, "GET", "/api/v1/tasks?mine=true").json()
    assert {item["id"] for item in mine["items"]} == {late.pk, soon.pk, done.pk}
    open_mine = _json(client, "GET", "/api/v1/tasks?mine=true&open=true").json()
    assert [item["id"] for item in open_mine["items"]] == [late.pk, soon.pk]  # earliest due first
    overdue = _json(client, "GET", "/api/v1/tasks?mine=true&open=true&overdue=true").json()
    assert [item["id"] for item in overdue["items"]] == [late.pk]
    item = overdue["items"][0]
    assert item["overdue"] is True
    assert item["done"] is False
    assert item["assignee"]["id"] == team.user(Role.ANALYST).pk
    assert item["kind"] == "copy"
    team_overdue = _json(client, "GET", "/api/v1/tasks?overdue=true").json()
    assert {item["id"] for item in team_overdue["items"]} == {late.pk, other.pk}


def test_create_tells_the_assignee_and_stores_utc(team, post, api_client_for):
    client = api_client_for(team.member(Role.MANAGER))
    response = _json(
        client,
        "POST",
        f"/api/v1/posts/{post.pk}/tasks",
        {
            "kind": "design",
            "title": "Cover image",
            "assignee_id": team.user(Role.DESIGNER).pk,
            "due_at": "2030-05-01T10:00:00+02:00",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["due_at"].startswith("2030-05-01T08:00:00")
    assert body["assignee"]["email"] == team.user(Role.DESIGNER).email
    assert Notice.objects.get().user == team.user(Role.DESIGNER)


def test_create_refuses_bad_input_with_fields(team, other_team, post, api_client_for):
    client = api_client_for(team.member(Role.MANAGER))
    url = f"/api/v1/posts/{post.pk}/tasks"
    foreign_user = _json(client, "POST", url, {"assignee_id": other_team.user(Role.COPYWRITER).pk})
    assert foreign_user.status_code == 422
    assert "assignee_id" in foreign_user.json()["error"]["fields"]
    bad_kind = _json(client, "POST", url, {"kind": "poem"})
    assert bad_kind.status_code == 422
    unknown = _json(client, "POST", url, {"colour": "red"})
    assert unknown.status_code == 422
    foreign_post = Post.objects.create(workspace=other_team.workspace, text="Theirs")
    assert _json(client, "POST", f"/api/v1/posts/{foreign_post.pk}/tasks", {}).status_code == 404
    assert not PostTask.objects.exists()


def test_patch_reassigns_and_tells_the_new_person(team, make_task, api_client_for):
    task = make_task(assignee_role=Role.COPYWRITER)
    client = api_client_for(team.member(Role.OWNER))
    response = _json(
        client,
        "PATCH",
        f"/api/v1/tasks/{task.pk}",
        {"assignee_id": team.user(Role.DESIGNER).pk, "due_at": None},
    )
    assert response.status_code == 200, response.content
    assert response.json()["assignee"]["id"] == team.user(Role.DESIGNER).pk
    assert response.json()["due_at"] is None
    assert Notice.objects.get().user == team.user(Role.DESIGNER)
    unassigned = _json(client, "PATCH", f"/api/v1/tasks/{task.pk}", {"assignee_id": None})
    assert unassigned.json()["assignee"] is None


def test_done_and_reopen_by_the_assignee_others_forbidden(team, make_task, api_client_for):
    task = make_task(assignee_role=Role.ANALYST)
    other = _json(api_client_for(team.member(Role.TARGETOLOGIST)), "POST", f"/api/v1/tasks/{task.pk}/done")
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "forbidden"
    client = api_client_for(team.member(Role.ANALYST))
    done = _json(client, "POST", f"/api/v1/tasks/{task.pk}/done")
    assert done.status_code == 200
    assert done.json()["done"] is True
    reopened = _json(client, "POST", f"/api/v1/tasks/{task.pk}/reopen")
    assert reopened.json()["done"] is False


def test_delete(team, make_task, api_client_for):
    task = make_task()
    assert (
        _json(api_client_for(team.member(Role.ANALYST)), "DELETE", f"/api/v1/tasks/{task.pk}").status_code
        == 403
    )
    assert (
        _json(api_client_for(team.member(Role.MANAGER)), "DELETE", f"/api/v1/tasks/{task.pk}").status_code
        == 204
    )
    assert not PostTask.objects.exists()


def test_clients_see_no_tasks(team, make_task, api_client_for):
    make_task()
    response = _json(api_client_for(team.member(Role.CLIENT)), "GET", "/api/v1/tasks")
    assert response.status_code == 403


def test_notices_are_ones_own_and_mark_read_ignores_others(team, other_team, api_client_for):
    mine = notice_send(
        workspace=team.workspace, user=team.user(Role.CLIENT), kind="t", title=lambda: "Mine", email=False
    )
    theirs = notice_send(
        workspace=team.workspace, user=team.user(Role.OWNER), kind="t", title=lambda: "Theirs", email=False
    )
    elsewhere = notice_send(
        workspace=other_team.workspace,
        user=other_team.user(Role.OWNER),
        kind="t",
        title=lambda: "X",
        email=False,
    )
    client = api_client_for(team.member(Role.CLIENT))
    listed = _json(client, "GET", "/api/v1/notices").json()
    assert [item["title"] for item in listed["items"]] == ["Mine"]
    assert listed["unread"] == 1
    marked = _json(client, "POST", "/api/v1/notices/read", {"ids": [mine.pk, theirs.pk, elsewhere.pk]})
    assert marked.json() == {"marked": 1}
    theirs.refresh_from_db()
    elsewhere.refresh_from_db()
    assert theirs.read_at is None
    assert elsewhere.read_at is None
    assert _json(client, "GET", "/api/v1/notices?unread=true").json()["count"] == 0


def test_mark_all_read(team, api_client_for):
    for title in ("a", "b"):
        notice_send(
            workspace=team.workspace,
            user=team.user(Role.DESIGNER),
            kind="t",
            title=lambda t=title: t,
            email=False,
        )
    client = api_client_for(team.member(Role.DESIGNER))
    assert _json(client, "POST", "/api/v1/notices/read", {}).json() == {"marked": 2}
    assert Notice.objects.filter(read_at__isnull=True).count() == 0
    assert timezone.now() >= Notice.objects.first().read_at
