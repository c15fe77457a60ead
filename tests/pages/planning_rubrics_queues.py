"""Pages of planning_rubrics_queues rendered in every language (see tests/pages/__init__.py)."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import reverse

from portevoix.planning.models import Rubric
from portevoix.planning.services import queues as queue_services
from portevoix.planning.services import rubrics as rubric_services
from portevoix.workspaces.roles import Role
from tests.test_pages_render import Visit, World, page, post_with_channel


def pl(name: str, world: World, *args: object) -> str:
    return reverse(f"planning:{name}", args=[world.slug(), *args])


def _rubric(world: World, name: str = "Tips", target: int | None = 40) -> Rubric:
    return rubric_services.rubric_create(by=world.member(Role.OWNER), name=name, target_share=target)


def _queued(world: World):
    post = post_with_channel(world)
    channel = post.targets.get().channel
    owner = world.member(Role.OWNER)
    queue_services.queue_slots_set(by=owner, channel=channel, slots=[(d, "10:00") for d in range(7)])
    queue_services.queue_entry_add(by=owner, channel=channel, post=post)
    return channel, post


@page("planning:rubrics")
def _rubrics(world: World) -> Iterator[Visit]:
    yield Visit("none yet", world.signed_in().get(pl("rubrics", world)))
    _rubric(world)
    _rubric(world, "News", None)
    yield Visit("owner", world.signed_in().get(pl("rubrics", world)))
    yield Visit("client", world.signed_in(Role.CLIENT).get(pl("rubrics", world)))
    yield Visit(
        "bad period", world.signed_in().get(pl("rubrics", world), {"start": "x", "end": "2020-01-01"})
    )


@page("planning:rubric_create")
def _rubric_create(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    data = {"name": "Tips", "colour": "#ff0000", "target_share": "30"}
    yield Visit("created", client.post(pl("rubric_create", world), data, follow=True))
    yield Visit(
        "over 100%",
        client.post(pl("rubric_create", world), {**data, "name": "B", "target_share": "80"}, follow=True),
    )


@page("planning:rubric_edit")
def _rubric_edit(world: World) -> Iterator[Visit]:
    rubric = _rubric(world)
    client = world.signed_in()
    yield Visit("form", client.get(pl("rubric_edit", world, rubric.pk)))
    yield Visit("invalid", client.post(pl("rubric_edit", world, rubric.pk), {"name": "", "colour": "x"}), 422)
    yield Visit(
        "saved",
        client.post(pl("rubric_edit", world, rubric.pk), {"name": "T", "colour": "#000000"}, follow=True),
    )


@page("planning:rubric_move")
def _rubric_move(world: World) -> Iterator[Visit]:
    _rubric(world, "A", None)
    rubric = _rubric(world, "B", None)
    yield Visit(
        "moved", world.signed_in().post(pl("rubric_move", world, rubric.pk), {"direction": "up"}, follow=True)
    )


@page("planning:rubric_archive")
def _rubric_archive(world: World) -> Iterator[Visit]:
    rubric = _rubric(world)
    client = world.signed_in()
    yield Visit(
        "archived", client.post(pl("rubric_archive", world, rubric.pk), {"archived": "1"}, follow=True)
    )
    yield Visit(
        "restored", client.post(pl("rubric_archive", world, rubric.pk), {"archived": "0"}, follow=True)
    )


@page("planning:rubric_delete")
def _rubric_delete(world: World) -> Iterator[Visit]:
    rubric = _rubric(world)
    post = post_with_channel(world)
    post.rubric = rubric
    post.save()
    client = world.signed_in()
    yield Visit("refused", client.post(pl("rubric_delete", world, rubric.pk), follow=True))
    other = _rubric(world, "Unused", None)
    yield Visit("deleted", client.post(pl("rubric_delete", world, other.pk), follow=True))


@page("planning:queues")
def _queues(world: World) -> Iterator[Visit]:
    yield Visit("no channel", world.signed_in().get(pl("queues", world)))
    _queued(world)
    yield Visit("owner", world.signed_in().get(pl("queues", world)))
    yield Visit("client", world.signed_in(Role.CLIENT).get(pl("queues", world)))


@page("planning:evergreen")
def _evergreen(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    yield Visit(
        "saved", client.post(pl("evergreen", world), {"enabled": "on", "min_gap_days": "30"}, follow=True)
    )
    yield Visit("invalid", client.post(pl("evergreen", world), {"min_gap_days": "0"}, follow=True))


@page("planning:queue")
def _queue(world: World) -> Iterator[Visit]:
    channel, _post = _queued(world)
    yield Visit("owner", world.signed_in().get(pl("queue", world, channel.pk)))
    yield Visit("client", world.signed_in(Role.CLIENT).get(pl("queue", world, channel.pk)))
    queue_services.queue_pause(by=world.member(Role.OWNER), channel=channel)
    yield Visit("paused", world.signed_in().get(pl("queue", world, channel.pk)))


@page("planning:queue_slot_add")
def _slot_add(world: World) -> Iterator[Visit]:
    channel, _post = _queued(world)
    client = world.signed_in()
    yield Visit(
        "added",
        client.post(pl("queue_slot_add", world, channel.pk), {"weekday": "1", "time": "18:30"}, follow=True),
    )
    yield Visit(
        "invalid",
        client.post(pl("queue_slot_add", world, channel.pk), {"weekday": "1", "time": "99"}, follow=True),
    )


@page("planning:queue_slot_remove")
def _slot_remove(world: World) -> Iterator[Visit]:
    channel, _post = _queued(world)
    client = world.signed_in()
    yield Visit(
        "removed",
        client.post(
            pl("queue_slot_remove", world, channel.pk), {"weekday": "1", "time": "10:00"}, follow=True
        ),
    )
    yield Visit(
        "no such slot",
        client.post(
            pl("queue_slot_remove", world, channel.pk), {"weekday": "1", "time": "10:00"}, follow=True
        ),
    )


@page("planning:queue_entry_add")
def _entry_add(world: World) -> Iterator[Visit]:
    channel, post = _queued(world)
    other = post_with_channel(world, text="Another")
    client = world.signed_in()
    yield Visit(
        "added", client.post(pl("queue_entry_add", world, channel.pk), {"post_id": other.pk}, follow=True)
    )
    yield Visit(
        "twice", client.post(pl("queue_entry_add", world, channel.pk), {"post_id": post.pk}, follow=True)
    )


@page("planning:queue_entry_move")
def _entry_move(world: World) -> Iterator[Visit]:
    channel, _post = _queued(world)
    other = post_with_channel(world, text="Another")
    queue_services.queue_entry_add(by=world.member(Role.OWNER), channel=channel, post=other)
    client = world.signed_in()
    yield Visit(
        "moved",
        client.post(
            pl("queue_entry_move", world, channel.pk), {"post_id": other.pk, "direction": "up"}, follow=True
        ),
    )
    yield Visit(
        "not queued", client.post(pl("queue_entry_move", world, channel.pk), {"post_id": "0"}, follow=True)
    )


@page("planning:queue_entry_remove")
def _entry_remove(world: World) -> Iterator[Visit]:
    channel, post = _queued(world)
    client = world.signed_in()
    yield Visit(
        "removed", client.post(pl("queue_entry_remove", world, channel.pk), {"post_id": post.pk}, follow=True)
    )
    yield Visit(
        "not queued",
        client.post(pl("queue_entry_remove", world, channel.pk), {"post_id": post.pk}, follow=True),
    )


@page("planning:queue_pause")
def _pause(world: World) -> Iterator[Visit]:
    channel, _post = _queued(world)
    client = world.signed_in()
    yield Visit("paused", client.post(pl("queue_pause", world, channel.pk), follow=True))
    yield Visit("already", client.post(pl("queue_pause", world, channel.pk), follow=True))


@page("planning:queue_resume")
def _resume(world: World) -> Iterator[Visit]:
    channel, _post = _queued(world)
    client = world.signed_in()
    yield Visit("not paused", client.post(pl("queue_resume", world, channel.pk), follow=True))
    client.post(pl("queue_pause", world, channel.pk))
    yield Visit("resumed", client.post(pl("queue_resume", world, channel.pk), follow=True))
