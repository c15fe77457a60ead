"""Pages of tracked links rendered in every language (see tests/pages/__init__.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.urls import reverse

from portevoix.content import services as content_services
from portevoix.links import services
from portevoix.workspaces.roles import Role
from tests.test_pages_render import Visit, World, page


def li(name: str, world: World, *args: object) -> str:
    return reverse(f"links:{name}", args=[world.slug(), *args])


@page("links:list")
def _links_list(world: World) -> Iterator[Visit]:
    yield Visit("empty", world.signed_in().get(li("list", world)))
    owner = world.member(Role.OWNER)
    post = content_services.post_create(by=owner, text="Atelier Lumière 2027")
    link = services.link_create(by=owner, url="https://shop.example/spring", post=post)
    services.link_create(by=owner, url="https://blog.example/")
    at = dt.datetime.now(dt.UTC)
    row = {
        "link_id": link.pk,
        "workspace_id": link.workspace_id,
        "at": at,
        "referrer_host": "t.co",
        "device": 2,
        "country": "",
    }
    services.clicks_store(
        rows=[services.ClickRow(is_bot=False, **row), services.ClickRow(is_bot=True, **row)]
    )
    yield Visit("with links and clicks", world.signed_in().get(li("list", world)))
    yield Visit("analyst: read only", world.signed_in(Role.ANALYST).get(li("list", world)))


@page("links:create")
def _links_create(world: World) -> Iterator[Visit]:
    client = world.signed_in(Role.COPYWRITER)
    yield Visit("made", client.post(li("create", world), {"url": "https://example.com/x"}, follow=True))
    yield Visit("refused target", client.post(li("create", world), {"url": "javascript:alert(1)"}), 422)


@page("links:rules")
def _links_rules(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    data = {"utm_source": "{network}", "utm_medium": "social", "utm_campaign": "{rubric}", "utm_content": ""}
    yield Visit("saved", client.post(li("rules", world), data, follow=True))
    yield Visit("unknown placeholder", client.post(li("rules", world), {**data, "utm_source": "{nope}"}), 422)


@page("links:toggle")
def _links_toggle(world: World) -> Iterator[Visit]:
    link = services.link_create(by=world.member(Role.OWNER), url="https://example.com/t")
    client = world.signed_in(Role.DESIGNER)
    yield Visit("disabled", client.post(li("toggle", world, link.pk), follow=True))
    yield Visit("enabled", client.post(li("toggle", world, link.pk), follow=True))
