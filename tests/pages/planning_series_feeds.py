"""Pages of planning_series_feeds rendered in every language (see tests/pages/__init__.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from portevoix.channels.models import Channel
from portevoix.content import services as content_services
from portevoix.content.models import Post
from portevoix.planning.models import CalendarFeed, RecurringSeries
from portevoix.planning.services import feeds as feed_services
from portevoix.planning.services import series as series_services
from portevoix.workspaces.roles import Role
from tests.test_pages_render import SKIPPED, Visit, World, page

SKIPPED["planning:feed_ics"] = (
    "the iCalendar feed itself (text/calendar, public by its secret), not a page "
    "(planning/tests/test_feeds.py parses it back)"
)


def pl(name: str, world: World, *args: object) -> str:
    return reverse(f"planning:{name}", args=[world.slug(), *args])


def _start(days: int = 1) -> str:
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT09:00")


def _template(world: World) -> Post:
    channel, _created = Channel.objects.get_or_create(
        workspace=world.workspace,
        network="telegram",
        external_id="@acme-series",
        defaults={"name": "Acme series", "base_url": "https://api.telegram.org"},
    )
    return content_services.post_create(
        by=world.member(Role.OWNER),
        title="Atelier hebdo",
        text="Atelier 7: linocut prints",
        channel_ids=[channel.pk],
    )


def _series(world: World, rule: str = "FREQ=WEEKLY;BYDAY=MO,TH;COUNT=6") -> RecurringSeries:
    return series_services.series_create(
        by=world.member(Role.OWNER), template=_template(world), rule=rule, start=_start()
    )


@page("planning:series_list")
def _series_list(world: World) -> Iterator[Visit]:
    yield Visit("none yet", world.signed_in().get(pl("series_list", world)))
    _series(world)
    yield Visit("one", world.signed_in().get(pl("series_list", world)))
    yield Visit("client", world.signed_in(Role.CLIENT).get(pl("series_list", world)))


@page("planning:series_new")
def _series_new(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    yield Visit("no post to repeat", client.get(pl("series_new", world)))
    template = _template(world)
    yield Visit("form", client.get(pl("series_new", world), {"post": template.pk}))
    data = {
        "template": template.pk,
        "start": "2026-03-29T02:30",
        "timezone": "Europe/Paris",
        "interval": 1,
        "freq": "WEEKLY",
        "weekdays": ["SU"],
        "ends": "count",
        "count": 3,
        "action": "preview",
    }
    yield Visit("preview with a DST gap", client.post(pl("series_new", world), data))
    yield Visit("bad rule", client.post(pl("series_new", world), {**data, "rule": "FREQ=HOURLY"}), 422)
    yield Visit(
        "created",
        client.post(pl("series_new", world), {**data, "start": _start(), "action": "create"}, follow=True),
    )


@page("planning:series_detail")
def _series_detail(world: World) -> Iterator[Visit]:
    series = _series(world)
    yield Visit("active", world.signed_in().get(pl("series_detail", world, series.pk)))
    yield Visit("client", world.signed_in(Role.CLIENT).get(pl("series_detail", world, series.pk)))
    series_services.series_stop(by=world.member(Role.OWNER), series=series)
    yield Visit("stopped", world.signed_in().get(pl("series_detail", world, series.pk)))


@page("planning:series_edit")
def _series_edit(world: World) -> Iterator[Visit]:
    series = _series(world)
    client = world.signed_in()
    url = pl("series_edit", world, series.pk)
    data = {"rule": "FREQ=DAILY;COUNT=0", "start": _start(), "timezone": "Europe/Paris"}
    yield Visit("refused", client.post(url, data), 422)
    yield Visit("changed", client.post(url, {**data, "rule": "FREQ=DAILY;COUNT=3"}, follow=True))


@page("planning:series_stop")
def _series_stop(world: World) -> Iterator[Visit]:
    series = _series(world)
    client = world.signed_in()
    yield Visit("stopped", client.post(pl("series_stop", world, series.pk), follow=True))
    yield Visit("already stopped", client.post(pl("series_stop", world, series.pk), follow=True))


@page("planning:feeds")
def _feeds(world: World) -> Iterator[Visit]:
    client = world.signed_in(Role.ANALYST)
    yield Visit("none yet", client.get(pl("feeds", world)))
    yield Visit("created", client.post(pl("feeds", world)))
    yield Visit("listed", client.get(pl("feeds", world)))


@page("planning:feed_rotate")
def _feed_rotate(world: World) -> Iterator[Visit]:
    feed = feed_services.feed_create(by=world.member(Role.OWNER)).feed
    yield Visit("new address", world.signed_in().post(pl("feed_rotate", world, feed.pk)))
    yield Visit("already revoked", world.signed_in().post(pl("feed_rotate", world, feed.pk), follow=True))


@page("planning:feed_revoke")
def _feed_revoke(world: World) -> Iterator[Visit]:
    feed = feed_services.feed_create(by=world.member(Role.OWNER)).feed
    yield Visit("revoked", world.signed_in().post(pl("feed_revoke", world, feed.pk), follow=True))
    assert CalendarFeed.objects.get(pk=feed.pk).revoked_at is not None
