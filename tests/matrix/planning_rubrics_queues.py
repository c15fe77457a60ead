"""Access-matrix entries for planning_rubrics_queues (see tests/matrix/__init__.py): rubrics (rubric.manage to
change, post.view to see), queues and evergreen recycling (queue.manage to change, post.view to see). The
queue operations take the CHANNEL's id."""

from __future__ import annotations

import itertools
from typing import Any

from portevoix.content.models import Post
from portevoix.planning.models import Rubric
from portevoix.planning.services import queues as queue_services
from portevoix.workspaces.roles import Role

EVERYONE = frozenset(Role)
LEADS = frozenset({Role.OWNER, Role.MANAGER})
# A post with a known id, so that the static request bodies can name it.
QUEUE_POST_ID = 987_654_321
_names = itertools.count(1)


def _rubric(workspace: Any) -> Rubric:
    return Rubric.objects.create(workspace=workspace, name=f"Matrix rubric {next(_names)}")


def _own_rubric(world: Any, role: Role) -> int:
    return _rubric(world.team.workspace).pk


def _foreign_rubric(world: Any) -> Rubric:
    return _rubric(world.other.workspace)


def _queue_post(world: Any) -> Post:
    Post.objects.filter(pk=QUEUE_POST_ID).delete()
    return Post.objects.create(pk=QUEUE_POST_ID, workspace=world.team.workspace, text="Matrix queue post")


def _channel(world: Any, role: Role) -> int:
    return world.own_channel().pk


def _channel_with_post(world: Any, role: Role) -> int:
    _queue_post(world)
    return world.own_channel().pk


def _channel_with_entry(world: Any, role: Role) -> int:
    channel = world.own_channel()
    post = _queue_post(world)
    queue_services.queue_entry_add(by=world.team.member(Role.OWNER), channel=channel, post=post)
    return channel.pk


def _paused_channel(world: Any, role: Role) -> int:
    channel = world.own_channel()
    queue_services.queue_pause(by=world.team.member(Role.OWNER), channel=channel)
    return channel.pk


def _foreign_channel(world: Any) -> Any:
    return world.foreign_channel()


API_EXPECTED = {
    ("GET", "/api/v1/rubrics"): EVERYONE,
    ("POST", "/api/v1/rubrics"): LEADS,
    ("GET", "/api/v1/rubrics/{id}"): EVERYONE,
    ("PATCH", "/api/v1/rubrics/{id}"): LEADS,
    ("DELETE", "/api/v1/rubrics/{id}"): LEADS,
    ("GET", "/api/v1/queues"): EVERYONE,
    ("GET", "/api/v1/queues/{id}"): EVERYONE,
    ("GET", "/api/v1/queues/{id}/slots"): EVERYONE,
    ("PUT", "/api/v1/queues/{id}/slots"): LEADS,
    ("POST", "/api/v1/queues/{id}/entries"): LEADS,
    ("POST", "/api/v1/queues/{id}/entries/move"): LEADS,
    ("POST", "/api/v1/queues/{id}/entries/remove"): LEADS,
    ("POST", "/api/v1/queues/{id}/pause"): LEADS,
    ("POST", "/api/v1/queues/{id}/resume"): LEADS,
    ("GET", "/api/v1/evergreen"): EVERYONE,
    ("PATCH", "/api/v1/evergreen"): LEADS,
}

API_IDS = {
    "/api/v1/rubrics/{id}": (_own_rubric, _foreign_rubric),
    "/api/v1/queues/{id}": (_channel, _foreign_channel),
    "/api/v1/queues/{id}/slots": (_channel, _foreign_channel),
    "/api/v1/queues/{id}/entries": (_channel_with_post, _foreign_channel),
    "/api/v1/queues/{id}/entries/move": (_channel_with_entry, _foreign_channel),
    "/api/v1/queues/{id}/entries/remove": (_channel_with_entry, _foreign_channel),
    "/api/v1/queues/{id}/pause": (_channel, _foreign_channel),
    "/api/v1/queues/{id}/resume": (_paused_channel, _foreign_channel),
}

API_BODIES = {
    ("POST", "/api/v1/rubrics"): {"name": "Matrix", "colour": "#123456", "target_share": 10},
    ("PATCH", "/api/v1/rubrics/{id}"): {"name": "Renamed"},
    ("PUT", "/api/v1/queues/{id}/slots"): {"slots": [{"weekday": 1, "time": "10:00"}]},
    ("POST", "/api/v1/queues/{id}/entries"): {"post_id": QUEUE_POST_ID},
    ("POST", "/api/v1/queues/{id}/entries/move"): {"post_id": QUEUE_POST_ID, "position": 0},
    ("POST", "/api/v1/queues/{id}/entries/remove"): {"post_id": QUEUE_POST_ID},
    ("PATCH", "/api/v1/evergreen"): {"enabled": True, "min_gap_days": 20},
}

HTML_EXPECTED = {
    ("planning:rubrics", "GET"): EVERYONE,
    ("planning:rubric_create", "POST"): LEADS,
    ("planning:rubric_edit", "GET"): LEADS,
    ("planning:rubric_edit", "POST"): LEADS,
    ("planning:rubric_move", "POST"): LEADS,
    ("planning:rubric_archive", "POST"): LEADS,
    ("planning:rubric_delete", "POST"): LEADS,
    ("planning:queues", "GET"): EVERYONE,
    ("planning:evergreen", "POST"): LEADS,
    ("planning:queue", "GET"): EVERYONE,
    ("planning:queue_slot_add", "POST"): LEADS,
    ("planning:queue_slot_remove", "POST"): LEADS,
    ("planning:queue_entry_add", "POST"): LEADS,
    ("planning:queue_entry_move", "POST"): LEADS,
    ("planning:queue_entry_remove", "POST"): LEADS,
    ("planning:queue_pause", "POST"): LEADS,
    ("planning:queue_resume", "POST"): LEADS,
}

HTML_IDS = {
    "rubric_id": (_own_rubric, _foreign_rubric),
    "queue_channel_id": (_channel, _foreign_channel),
}

HTML_POST_DATA = {
    "planning:rubric_create": {"name": "Matrix", "colour": "#123456", "target_share": "10"},
    "planning:rubric_edit": {"name": "Renamed", "colour": "#654321"},
    "planning:rubric_move": {"direction": "up"},
    "planning:evergreen": {"enabled": "on", "min_gap_days": "20"},
    "planning:queue_slot_add": {"weekday": "1", "time": "10:00"},
    "planning:queue_slot_remove": {"weekday": "1", "time": "10:00"},
}
