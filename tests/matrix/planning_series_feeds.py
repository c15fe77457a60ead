"""Access-matrix entries for planning_series_feeds (see tests/matrix/__init__.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from portevoix.channels.models import Channel
from portevoix.content import services as content_services
from portevoix.planning.services import feeds as feed_services
from portevoix.planning.services import series as series_services
from portevoix.workspaces.models import Membership, Workspace
from portevoix.workspaces.roles import Role

EVERYONE = frozenset(Role)
LEADS = frozenset({Role.OWNER, Role.MANAGER})
# Tomorrow at 09:00 (a local time in the team's zone): a series may start there.
START = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT09:00")
RULE = "FREQ=DAILY;COUNT=2"


def _template(workspace: Workspace) -> int:
    """A post of ``workspace`` going to an active Telegram channel (a new one per call)."""
    owner = Membership.objects.select_related("workspace", "user").get(workspace=workspace, role=Role.OWNER)
    channel, _created = Channel.objects.get_or_create(
        workspace=workspace,
        network="telegram",
        external_id="@series-matrix",
        defaults={"name": "Series matrix", "base_url": "https://api.telegram.org"},
    )
    return content_services.post_create(by=owner, text="Series matrix", channel_ids=[channel.pk]).pk


def _team_template() -> int:
    """The team of the matrix test is the newest workspace named "Acme" (tests/test_access_matrix.py)."""
    return _template(Workspace.objects.filter(name="Acme").order_by("-pk").first())  # type: ignore[arg-type]


class _LazyBody(dict):  # type: ignore[type-arg]
    """A JSON body whose template post is created when the request is sent (json.dumps reads items())."""

    def items(self) -> Any:
        return {**dict(super().items()), "template_post_id": _team_template()}.items()


def _series(workspace: Workspace) -> Any:
    owner = Membership.objects.select_related("workspace", "user").get(workspace=workspace, role=Role.OWNER)
    from portevoix.content.models import Post

    template = Post.objects.get(pk=_template(workspace))
    return series_services.series_create(by=owner, template=template, rule=RULE, start=START)


def _own_series(world: Any, role: Role) -> int:
    return _series(world.team.workspace).pk


def _foreign_series(world: Any) -> Any:
    return _series(world.other.workspace)


def _own_feed(world: Any, role: Role) -> int:
    return feed_services.feed_create(by=world.team.member(role)).feed.pk


def _foreign_feed(world: Any) -> Any:
    return feed_services.feed_create(by=world.other.member(Role.OWNER)).feed


API_EXPECTED: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/recurrence/preview"): EVERYONE,  # post.view: computes, writes nothing
    ("GET", "/api/v1/series"): EVERYONE,  # post.view
    ("POST", "/api/v1/series"): LEADS,  # plan.import (and post.publish)
    ("GET", "/api/v1/series/{id}"): EVERYONE,
    ("PATCH", "/api/v1/series/{id}"): LEADS,
    ("POST", "/api/v1/series/{id}/stop"): LEADS,
    ("GET", "/api/v1/calendar-feeds"): EVERYONE,  # one's own feeds (post.view)
    ("POST", "/api/v1/calendar-feeds"): EVERYONE,
    ("POST", "/api/v1/calendar-feeds/{id}/rotate"): EVERYONE,  # one's own only; others' are 404
    ("DELETE", "/api/v1/calendar-feeds/{id}"): EVERYONE,
}

API_IDS: dict[str, Any] = {
    "/api/v1/series/{id}": (_own_series, _foreign_series),
    "/api/v1/series/{id}/stop": (_own_series, _foreign_series),
    "/api/v1/calendar-feeds/{id}": (_own_feed, _foreign_feed),
    "/api/v1/calendar-feeds/{id}/rotate": (_own_feed, _foreign_feed),
}

API_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/recurrence/preview"): {"rule": RULE, "start": START},
    ("POST", "/api/v1/series"): _LazyBody(rule=RULE, start=START),
    ("PATCH", "/api/v1/series/{id}"): {"rule": "FREQ=DAILY;COUNT=1"},
}

HTML_EXPECTED: dict[tuple[str, str], Any] = {
    ("planning:series_list", "GET"): EVERYONE,  # post.view
    ("planning:series_new", "GET"): LEADS,  # plan.import
    ("planning:series_new", "POST"): LEADS,
    ("planning:series_detail", "GET"): EVERYONE,
    ("planning:series_edit", "POST"): LEADS,
    ("planning:series_stop", "POST"): LEADS,
    ("planning:feeds", "GET"): EVERYONE,  # one's own feeds (post.view)
    ("planning:feeds", "POST"): EVERYONE,
    ("planning:feed_rotate", "POST"): EVERYONE,
    ("planning:feed_revoke", "POST"): EVERYONE,
}

HTML_IDS: dict[str, Any] = {
    "series_id": (_own_series, _foreign_series),
    "feed_id": (_own_feed, _foreign_feed),
}

HTML_POST_DATA: dict[str, dict[str, Any]] = {
    "planning:series_new": {
        "template": _team_template,  # a callable: called for each request
        "start": START,
        "timezone": "Europe/Paris",
        "interval": 1,
        "freq": "DAILY",
        "ends": "count",
        "count": 2,
        "action": "create",
    },
    "planning:series_edit": {"rule": "FREQ=DAILY;COUNT=1", "start": START, "timezone": "Europe/Paris"},
}
