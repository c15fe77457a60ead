"""Pages of network metrics rendered in every language (see tests/pages/__init__.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.metrics.models import ChannelCollection
from portevoix.metrics.services.record import Reading, Values, followers_write, snapshots_write
from portevoix.publishing.models import Target, TargetState
from portevoix.publishing.services import new_idempotency_key
from portevoix.workspaces.roles import Role
from tests.test_pages_render import Visit, World, page


def me(name: str, world: World) -> str:
    return reverse(f"metrics:{name}", args=[world.slug()])


def _published(world: World) -> Target:
    workspace = world.workspace
    channel = Channel.objects.create(
        workspace=workspace,
        network="telegram",
        external_id=f"@metrics-{Channel.objects.count()}",
        name="Atelier TG",
        base_url="https://api.telegram.org",
    )
    post = Post.objects.create(workspace=workspace, text="Atelier 12: linocut prints")
    return Target.objects.create(
        workspace=workspace,
        post=post,
        channel=channel,
        state=TargetState.PUBLISHED,
        published_at=timezone.now() - dt.timedelta(hours=3),
        remote_url="https://t.me/metrics/1",
        idempotency_key=new_idempotency_key(),
    )


def _yesterday() -> str:
    return (timezone.now() - dt.timedelta(days=1)).date().isoformat()


@page("metrics:page")
def _metrics_page(world: World) -> Iterator[Visit]:
    yield Visit("empty", world.signed_in().get(me("page", world)))
    target = _published(world)
    now = timezone.now()
    snapshots_write(readings=[Reading(target, Values(views=120, likes=7, comments=1), now)], source="manual")
    followers_write(channel=target.channel, followers=300, collected_at=now - dt.timedelta(days=1))
    ChannelCollection.objects.create(channel=target.channel, last_error="HTTP 429, retry_after 35")
    yield Visit("with figures", world.signed_in().get(me("page", world)))
    yield Visit("copywriter: read only", world.signed_in(Role.COPYWRITER).get(me("page", world)))


@page("metrics:enter")
def _metrics_enter(world: World) -> Iterator[Visit]:
    target = _published(world)
    client = world.signed_in(Role.ANALYST)
    data = {"target": target.pk, "date": _yesterday(), "views": "10"}
    yield Visit("saved", client.post(me("enter", world), data, follow=True))
    yield Visit(
        "nothing given", client.post(me("enter", world), {"target": target.pk, "date": _yesterday()}), 422
    )


@page("metrics:followers")
def _metrics_followers(world: World) -> Iterator[Visit]:
    target = _published(world)
    client = world.signed_in()
    data = {"channel": target.channel_id, "date": _yesterday(), "followers": "42"}
    yield Visit("saved", client.post(me("followers", world), data, follow=True))
    yield Visit("negative", client.post(me("followers", world), {**data, "followers": "-1"}), 422)


@page("metrics:import")
def _metrics_import(world: World) -> Iterator[Visit]:
    target = _published(world)
    client = world.signed_in(Role.MANAGER)
    good = f"date,channel,post,likes\n{_yesterday()},{target.channel_id},{target.post_id},4\n".encode()
    yield Visit("dry run", client.post(me("import", world), {"file": SimpleUploadedFile("m.csv", good)}))
    bad = b"date,channel,likes\n31/12/2025,Nope,=1+1\n"
    yield Visit("problems", client.post(me("import", world), {"file": SimpleUploadedFile("m.csv", bad)}), 422)


@page("metrics:import_confirm")
def _metrics_import_confirm(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    yield Visit("expired", client.post(me("import_confirm", world), {"token": "gone"}, follow=True))
