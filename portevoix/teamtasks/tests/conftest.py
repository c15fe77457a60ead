"""Fixtures for team tasks' tests: posts, tasks, and running what was enqueued."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from portevoix.content.models import Post
from portevoix.teamtasks.models import PostTask, TaskKind
from portevoix.workspaces.roles import Role


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.PORTEVOIX_BASE_URL = "https://portevoix.example"


@pytest.fixture
def post(team) -> Post:
    return Post.objects.create(workspace=team.workspace, text="Spring launch: our new collection is here")


@pytest.fixture
def make_task(team, post) -> Callable[..., PostTask]:
    """A task row written directly (no notice), for tests about reading and closing tasks."""

    def make(
        assignee_role: Role | None = Role.COPYWRITER,
        due_in: timedelta | None = timedelta(days=1),
        done: bool = False,
        **extra: Any,
    ) -> PostTask:
        return PostTask.objects.create(
            workspace=extra.pop("workspace", team.workspace),
            post=extra.pop("post", post),
            kind=extra.pop("kind", TaskKind.COPY),
            title=extra.pop("title", "Write the caption"),
            assignee=team.user(assignee_role) if assignee_role else None,
            due_at=timezone.now() + due_in if due_in is not None else None,
            done_at=timezone.now() if done else None,
            **extra,
        )

    return make


def run_enqueued(task: Any) -> int:
    """Run, in this thread, what was enqueued for ``task`` on the database backend; return how many."""
    from django_tasks_db.models import DBTaskResult

    pending = list(
        DBTaskResult.objects.filter(task_path=task.module_path, status="READY").order_by("enqueued_at")
    )
    for result in pending:
        task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        result.delete()
    return len(pending)
