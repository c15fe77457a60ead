"""Team tasks' pages: my tasks (overdue highlighted and counted, done ones folded, the team's view,
bounded queries), the post page's panel, adding a task in local time, done and reopen, notices."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from portevoix.content.models import Post
from portevoix.teamtasks.models import Notice, PostTask
from portevoix.teamtasks.notices import notice_send
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def _url(name, team, *args):
    return reverse(f"teamtasks:{name}", args=[team.workspace.slug, *args])


def _task_ids(html: str, **attrs: str) -> list[int]:
    found = []
    for match in re.finditer(r'<li class="pv-task[^"]*"([^>]*)>', html):
        tag = match.group(1)
        if all(f'data-{key}="{value}"' in tag for key, value in attrs.items()):
            found.append(int(re.search(r'data-task="(\d+)"', tag).group(1)))
    return found


# --- My tasks ---------------------------------------------------------------------------------------


def test_my_tasks_lists_my_open_tasks_by_due_date_with_overdue_highlighted(team, make_task, client_for):
    later = make_task(assignee_role=Role.COPYWRITER, due_in=timedelta(days=3), title="Later")
    late = make_task(assignee_role=Role.COPYWRITER, due_in=timedelta(hours=-5), title="Late one")
    soon = make_task(assignee_role=Role.COPYWRITER, due_in=timedelta(hours=2), title="Soon")
    undated = make_task(assignee_role=Role.COPYWRITER, due_in=None, title="Whenever")
    done = make_task(assignee_role=Role.COPYWRITER, done=True, title="Finished")
    make_task(assignee_role=Role.DESIGNER, title="Someone else's")
    response = client_for(team.user(Role.COPYWRITER)).get(_url("my_tasks", team))
    assert response.status_code == 200
    html = response.content.decode()
    assert _task_ids(html, done="no") == [late.pk, soon.pk, later.pk, undated.pk]
    assert _task_ids(html, overdue="yes") == [late.pk]
    assert 'data-testid="task-overdue"' in html
    assert re.search(r'data-testid="overdue-count">\s*1 overdue', html)
    assert _task_ids(html, done="yes") == [done.pk]
    assert '<details data-testid="done-tasks">' in html  # folded
    assert "Someone else&#x27;s" not in html
    assert f'href="/w/{team.workspace.slug}/posts/{late.post_id}/"' in html


def test_all_team_tasks_shows_everyone_with_their_assignee(team, make_task, client_for):
    mine = make_task(assignee_role=Role.MANAGER)
    theirs = make_task(assignee_role=Role.DESIGNER)
    response = client_for(team.user(Role.MANAGER)).get(_url("my_tasks", team) + "?scope=team")
    html = response.content.decode()
    assert set(_task_ids(html)) == {mine.pk, theirs.pk}
    assert team.user(Role.DESIGNER).display_name in html


def test_my_tasks_page_queries_are_bounded(team, make_task, client_for, django_assert_max_num_queries):
    client = client_for(team.user(Role.COPYWRITER))
    client.get(_url("my_tasks", team))  # warm the session and caches
    for number in range(30):
        post = Post.objects.create(workspace=team.workspace, text=f"Post {number}")
        make_task(assignee_role=Role.COPYWRITER, due_in=timedelta(hours=number - 10), post=post)
        make_task(assignee_role=Role.COPYWRITER, done=True, post=post)
        notice_send(
            workspace=team.workspace,
            user=team.user(Role.COPYWRITER),
            kind="t",
            title=lambda: "n",
            email=False,
        )
    with django_assert_max_num_queries(12):
        response = client.get(_url("my_tasks", team))
    assert len(_task_ids(response.content.decode())) == 60
    with django_assert_max_num_queries(12):
        client.get(_url("my_tasks", team) + "?scope=team")


def test_the_client_has_no_tasks_page(team, client_for):
    assert client_for(team.user(Role.CLIENT)).get(_url("my_tasks", team)).status_code == 403


# --- The post page's panel ---------------------------------------------------------------------------


def _detail(team, post_id):
    return reverse("content:detail", args=[team.workspace.slug, post_id])


def test_the_post_page_shows_its_tasks_and_the_form_to_those_who_manage(team, post, make_task, client_for):
    late = make_task(assignee_role=Role.DESIGNER, due_in=timedelta(hours=-1), title="Make the visual")
    html = client_for(team.user(Role.MANAGER)).get(_detail(team, post.pk)).content.decode()
    assert 'data-testid="tasks-panel"' in html
    assert _task_ids(html, overdue="yes") == [late.pk]
    assert "Make the visual" in html
    assert team.user(Role.DESIGNER).display_name in html
    assert 'data-testid="task-form"' in html
    assert 'data-role="copywriter"' in html  # the assignee options carry roles for the suggestion
    assert 'data-role="client"' not in html  # clients are not offered


def test_the_panel_is_read_only_for_viewers_and_absent_for_clients(team, post, make_task, client_for):
    make_task(assignee_role=Role.DESIGNER, title="Make the visual")
    html = client_for(team.user(Role.ANALYST)).get(_detail(team, post.pk)).content.decode()
    assert "Make the visual" in html
    assert 'data-testid="task-form"' not in html
    assert 'data-testid="task-done"' not in html  # not theirs
    html = client_for(team.user(Role.CLIENT)).get(_detail(team, post.pk)).content.decode()
    assert 'data-testid="tasks-panel"' not in html
    assert "Make the visual" not in html


def test_adding_a_task_reads_the_due_date_in_the_viewers_time_zone(team, post, client_for):
    manager = team.user(Role.MANAGER)
    manager.timezone = "America/New_York"
    manager.save()
    response = client_for(manager).post(
        _url("create", team, post.pk),
        {
            "kind": "design",
            "title": "Banner",
            "assignee_id": team.user(Role.DESIGNER).pk,
            "due_at": "2030-01-15T09:00",
            "next": _detail(team, post.pk),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == _detail(team, post.pk)
    task = PostTask.objects.get()
    assert task.due_at == datetime(2030, 1, 15, 14, 0, tzinfo=UTC)
    assert (task.kind, task.title, task.assignee) == ("design", "Banner", team.user(Role.DESIGNER))
    assert Notice.objects.get().user == team.user(Role.DESIGNER)


def test_a_nonexistent_local_time_is_refused_with_a_message(team, post, client_for):
    client = client_for(team.user(Role.MANAGER))  # Europe/Paris (the workspace's zone)
    response = client.post(
        _url("create", team, post.pk),
        {"kind": "copy", "due_at": "2030-03-31T02:30", "assignee_id": ""},
        follow=True,
    )
    assert not PostTask.objects.exists()
    assert "does not exist in Europe/Paris" in response.content.decode()


def test_a_foreign_assignee_is_refused(team, other_team, post, client_for):
    response = client_for(team.user(Role.MANAGER)).post(
        _url("create", team, post.pk),
        {"kind": "copy", "assignee_id": other_team.user(Role.COPYWRITER).pk},
        follow=True,
    )
    assert response.status_code == 200
    assert not PostTask.objects.exists()
    assert "The task was not added" in response.content.decode()


# --- Done, reopen, edit, delete ------------------------------------------------------------------------


def test_the_assignee_marks_done_and_reopens_others_get_403(team, make_task, client_for):
    task = make_task(assignee_role=Role.ANALYST)
    assert client_for(team.user(Role.TARGETOLOGIST)).post(_url("done", team, task.pk)).status_code == 403
    task.refresh_from_db()
    assert task.done_at is None
    analyst = client_for(team.user(Role.ANALYST))
    response = analyst.post(_url("done", team, task.pk), {"next": _url("my_tasks", team)})
    assert response.status_code == 302
    assert response["Location"] == _url("my_tasks", team)
    task.refresh_from_db()
    assert task.done_at is not None
    analyst.post(_url("reopen", team, task.pk))
    task.refresh_from_db()
    assert task.done_at is None


def test_an_outside_next_is_not_followed(team, make_task, client_for):
    task = make_task(assignee_role=Role.ANALYST)
    response = client_for(team.user(Role.ANALYST)).post(
        _url("done", team, task.pk), {"next": "https://evil.example/"}
    )
    assert response["Location"] == _detail(team, task.post_id)


def test_edit_reassigns_and_shows_the_local_due_date(team, make_task, client_for):
    task = make_task(assignee_role=Role.COPYWRITER)
    task.due_at = datetime(2030, 6, 1, 8, 0, tzinfo=UTC)
    task.save()
    client = client_for(team.user(Role.OWNER))
    html = client.get(_url("edit", team, task.pk)).content.decode()
    assert 'value="2030-06-01T10:00"' in html  # Paris, summer time
    response = client.post(
        _url("edit", team, task.pk),
        {"kind": "copy", "title": "Caption v2", "assignee_id": team.user(Role.DESIGNER).pk, "due_at": ""},
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.title, task.assignee, task.due_at) == ("Caption v2", team.user(Role.DESIGNER), None)
    assert Notice.objects.get().user == team.user(Role.DESIGNER)
    bad = client.post(_url("edit", team, task.pk), {"kind": "nonsense"})
    assert bad.status_code == 422


def test_delete(team, make_task, client_for):
    task = make_task()
    assert client_for(team.user(Role.ANALYST)).post(_url("delete", team, task.pk)).status_code == 403
    assert client_for(team.user(Role.DESIGNER)).post(_url("delete", team, task.pk)).status_code == 302
    assert not PostTask.objects.exists()


def test_another_workspaces_task_is_not_found(team, other_team, client_for):
    foreign_post = Post.objects.create(workspace=other_team.workspace, text="Theirs")
    foreign = PostTask.objects.create(workspace=other_team.workspace, post=foreign_post, kind="copy")
    client = client_for(team.user(Role.OWNER))
    assert client.post(_url("done", team, foreign.pk)).status_code == 404
    assert client.get(_url("edit", team, foreign.pk)).status_code == 404
    assert client.post(_url("create", team, foreign_post.pk), {"kind": "copy"}).status_code == 404


# --- Notices ----------------------------------------------------------------------------------------


def test_notices_unread_first_mark_one_and_all_read(team, client_for):
    user = team.user(Role.CLIENT)
    old = notice_send(workspace=team.workspace, user=user, kind="t", title=lambda: "Old one", email=False)
    Notice.objects.filter(pk=old.pk).update(
        read_at=timezone.now(), created_at=timezone.now() + timedelta(minutes=1)
    )
    fresh = notice_send(workspace=team.workspace, user=user, kind="t", title=lambda: "Fresh one", email=False)
    notice_send(
        workspace=team.workspace, user=team.user(Role.OWNER), kind="t", title=lambda: "Not yours", email=False
    )
    client = client_for(user)
    html = client.get(_url("notices", team)).content.decode()
    assert html.index("Fresh one") < html.index("Old one")  # unread first, though older
    assert "Not yours" not in html
    client.post(_url("notices_read", team), {"notice": fresh.pk})
    fresh.refresh_from_db()
    assert fresh.read_at is not None
    other = Notice.objects.get(title="Not yours")
    client.post(_url("notices_read", team), {"notice": other.pk})
    client.post(_url("notices_read", team))
    other.refresh_from_db()
    assert other.read_at is None
