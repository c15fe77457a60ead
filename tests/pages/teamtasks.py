"""Pages of teamtasks rendered in every language (see tests/pages/__init__.py): my tasks (an overdue task, a
done one, notices), the team's tasks, the notices page, the task form, and the actions (their redirect
followed). Notices are made through the services, so their titles are written in the person's language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from portevoix.teamtasks import services
from portevoix.teamtasks.models import PostTask, TaskKind
from portevoix.workspaces.roles import Role
from tests.test_pages_render import Visit, World, page, post_with_channel


def tt(name: str, world: World, *args: object) -> str:
    return reverse(f"teamtasks:{name}", args=[world.slug(), *args])


def _tasks(world: World) -> list[PostTask]:
    """Tasks given to the owner by the manager (the owner is told, in the owner's language): one overdue,
    one due later, one done."""
    world.user(Role.OWNER)  # the owner's language first: their notices are written in it
    post = post_with_channel(world)
    manager = world.member(Role.MANAGER)
    owner_id = world.user(Role.OWNER).pk
    overdue = services.task_create(
        by=manager,
        post=post,
        kind=TaskKind.COPY,
        title="Spring caption",
        assignee_id=owner_id,
        due_at=timezone.now() - timedelta(hours=3),
    )
    later = services.task_create(
        by=manager,
        post=post,
        kind=TaskKind.DESIGN,
        assignee_id=owner_id,
        due_at=timezone.now() + timedelta(days=2),
    )
    done = services.task_create(by=manager, post=post, kind=TaskKind.APPROVE, assignee_id=owner_id)
    services.task_done(by=world.member(Role.OWNER), task=done)
    services.overdue_remind()
    return [overdue, later, done]


@page("teamtasks:my_tasks")
def _my_tasks(world: World) -> Iterator[Visit]:
    yield Visit("nothing yet", world.signed_in(Role.ANALYST).get(tt("my_tasks", world)))
    _tasks(world)
    yield Visit("overdue, open, done and notices", world.signed_in().get(tt("my_tasks", world)))
    yield Visit("the team's", world.signed_in(Role.MANAGER).get(tt("my_tasks", world) + "?scope=team"))


@page("teamtasks:notices")
def _notices(world: World) -> Iterator[Visit]:
    yield Visit("none (a client)", world.signed_in(Role.CLIENT).get(tt("notices", world)))
    _tasks(world)
    yield Visit("some", world.signed_in().get(tt("notices", world)))


@page("teamtasks:notices_read")
def _notices_read(world: World) -> Iterator[Visit]:
    _tasks(world)
    yield Visit("all read", world.signed_in().post(tt("notices_read", world), follow=True))


@page("teamtasks:create")
def _create(world: World) -> Iterator[Visit]:
    post = post_with_channel(world)
    client = world.signed_in(Role.MANAGER)
    data = {"kind": "copy", "title": "Spring caption", "assignee_id": world.user(Role.COPYWRITER).pk}
    yield Visit("added", client.post(tt("create", world, post.pk), data, follow=True))
    bad = {"kind": "copy", "due_at": "not a date"}
    yield Visit("refused", client.post(tt("create", world, post.pk), bad, follow=True))


@page("teamtasks:edit")
def _edit(world: World) -> Iterator[Visit]:
    task = _tasks(world)[0]
    client = world.signed_in(Role.MANAGER)
    yield Visit("form", client.get(tt("edit", world, task.pk)))
    yield Visit("refused", client.post(tt("edit", world, task.pk), {"kind": "nonsense"}), 422)
    yield Visit(
        "saved", client.post(tt("edit", world, task.pk), {"kind": "copy", "title": "New"}, follow=True)
    )


@page("teamtasks:delete")
def _delete(world: World) -> Iterator[Visit]:
    task = _tasks(world)[0]
    yield Visit("deleted", world.signed_in(Role.MANAGER).post(tt("delete", world, task.pk), follow=True))


@page("teamtasks:done")
def _done(world: World) -> Iterator[Visit]:
    task = _tasks(world)[0]
    yield Visit("done", world.signed_in().post(tt("done", world, task.pk), follow=True))


@page("teamtasks:reopen")
def _reopen(world: World) -> Iterator[Visit]:
    task = _tasks(world)[2]
    yield Visit("reopened", world.signed_in().post(tt("reopen", world, task.pk), follow=True))
