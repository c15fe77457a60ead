"""Pages of planning_calendar rendered in every language (see tests/pages/__init__.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from portevoix.planning.tests.calendar_factory import make_channel, make_posts, make_rubric
from portevoix.workspaces.roles import Role
from tests.test_pages_render import SKIPPED, Visit, World, page

SKIPPED["planning:calendar_reschedule"] = (
    "the JSON endpoint of the calendar's drag and drop, not a page (planning/tests/test_calendar_views.py)"
)


@page("planning:calendar")
def _calendar(world: World) -> Iterator[Visit]:
    url = reverse("planning:calendar", args=[world.slug()])
    yield Visit("empty month", world.signed_in().get(url))
    workspace = world.workspace
    channels = [make_channel(workspace, "telegram"), make_channel(workspace, "bluesky")]
    rubrics = [
        make_rubric(workspace, "News", "#e8590c", 50),
        make_rubric(workspace, "Tips", "#2b8a3e", 30),
        None,
    ]
    first = timezone.now() + timedelta(hours=2)
    make_posts(workspace, count=40, first=first, step=timedelta(hours=7), channels=channels, rubrics=rubrics)
    day = timezone.localdate(first).isoformat()
    client = world.signed_in()
    for view in ("day", "week", "month", "year"):
        yield Visit(view, client.get(url, {"view": view, "date": day}))
    yield Visit("filtered, nothing matches", client.get(url, {"status": "published", "rubric": "none"}))
    yield Visit("client", world.signed_in(Role.CLIENT).get(url, {"view": "week", "date": day}))
