"""Access-matrix entries for teamtasks (see tests/matrix/__init__.py).

Tasks: ``task.view`` (every role but the client) reads them, ``task.manage`` (owner, manager, copywriter,
designer) writes them. Done and reopen are also allowed to a task's assignee; the task used here is the
owner's, so for the other roles only ``task.manage`` counts (the assignee case is tested in
portevoix/teamtasks/tests). Notices are everyone's own.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from portevoix.content.models import Post
from portevoix.teamtasks.models import PostTask, TaskKind
from portevoix.workspaces.roles import Role

ALL = frozenset(Role)
VIEWERS = frozenset(Role) - {Role.CLIENT}  # task.view
MANAGERS = frozenset({Role.OWNER, Role.MANAGER, Role.COPYWRITER, Role.DESIGNER})  # task.manage


def _own_task(world: Any, role: Role, *, done: bool = False) -> PostTask:
    """A fresh task of the team (a new one per request, so deleting it does not affect the next role),
    given to the owner."""
    post = Post.objects.create(workspace=world.team.workspace, text="Matrix task's post")
    return PostTask.objects.create(
        workspace=world.team.workspace,
        post=post,
        kind=TaskKind.COPY,
        title="Matrix task",
        assignee=world.team.user(Role.OWNER),
        due_at=timezone.now() + timedelta(days=1),
        done_at=timezone.now() if done else None,
    )


def _foreign_task(world: Any) -> PostTask:
    post = Post.objects.create(workspace=world.other.workspace, text="Their task's post")
    return PostTask.objects.create(
        workspace=world.other.workspace,
        post=post,
        kind=TaskKind.DESIGN,
        assignee=world.other.user(Role.DESIGNER),
    )


API_EXPECTED = {
    ("GET", "/api/v1/tasks"): VIEWERS,
    ("POST", "/api/v1/posts/{id}/tasks"): MANAGERS,
    ("GET", "/api/v1/tasks/{id}"): VIEWERS,
    ("PATCH", "/api/v1/tasks/{id}"): MANAGERS,
    ("DELETE", "/api/v1/tasks/{id}"): MANAGERS,
    ("POST", "/api/v1/tasks/{id}/done"): MANAGERS,  # or the assignee (teamtasks/tests/test_api.py)
    ("POST", "/api/v1/tasks/{id}/reopen"): MANAGERS,
    ("GET", "/api/v1/notices"): ALL,  # one's own
    ("POST", "/api/v1/notices/read"): ALL,
}

API_IDS = {
    "/api/v1/posts/{id}/tasks": (lambda w, role: w.own_post().pk, lambda w: w.foreign_post()),
    "/api/v1/tasks/{id}": (lambda w, role: _own_task(w, role).pk, _foreign_task),
    "/api/v1/tasks/{id}/done": (lambda w, role: _own_task(w, role).pk, _foreign_task),
    "/api/v1/tasks/{id}/reopen": (lambda w, role: _own_task(w, role, done=True).pk, _foreign_task),
}

API_BODIES = {
    ("POST", "/api/v1/posts/{id}/tasks"): {"kind": "copy", "title": "Matrix"},
    ("PATCH", "/api/v1/tasks/{id}"): {"title": "Changed"},
    ("POST", "/api/v1/notices/read"): {},
}

HTML_EXPECTED = {
    ("teamtasks:my_tasks", "GET"): VIEWERS,
    ("teamtasks:create", "POST"): MANAGERS,
    ("teamtasks:edit", "GET"): MANAGERS,
    ("teamtasks:edit", "POST"): MANAGERS,
    ("teamtasks:delete", "POST"): MANAGERS,
    ("teamtasks:done", "POST"): MANAGERS,  # or the assignee (teamtasks/tests/test_views.py)
    ("teamtasks:reopen", "POST"): MANAGERS,
    ("teamtasks:notices", "GET"): ALL,
    ("teamtasks:notices_read", "POST"): ALL,
}

HTML_IDS = {
    "task_id": (lambda w, role: _own_task(w, role).pk, _foreign_task),
}

HTML_POST_DATA = {
    "teamtasks:create": {"kind": "copy", "title": "Matrix"},
    "teamtasks:edit": {"kind": "copy", "title": "Changed"},
}
