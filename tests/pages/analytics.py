"""Pages of the site tracker rendered in every language (see tests/pages/__init__.py). The script and the
beacon (/t/pv.js, /t/e) are served by analytics/fastpath.py, not by Django URLs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from django.urls import reverse

from portevoix.analytics import services
from portevoix.analytics.beacon import Beacon
from portevoix.analytics.sessions import Hit, Sessions
from portevoix.workspaces.roles import Role
from tests.test_pages_render import Visit, World, page

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


def an(name: str, world: World, *args: object) -> str:
    return reverse(f"analytics:{name}", args=[world.slug(), *args])


def _site(world: World, name: str = "Boutique Lumière") -> services.IssuedSite:
    return services.site_create(by=world.member(Role.OWNER), name=name, domains="boutique.example")


@page("analytics:page")
def _tracker_page(world: World) -> Iterator[Visit]:
    yield Visit("no site", world.signed_in().get(an("page", world)))
    site = _site(world).site
    now = dt.datetime.now(dt.UTC).timestamp()
    vid = "0123456789abcdef0123456789abcdef"
    utm = (("source", "vk"), ("medium", "social"), ("campaign", "printemps"))
    hits = [
        Beacon(site.public_key, vid, "pageview", path="/printemps", utm=utm),
        Beacon(site.public_key, vid, "engagement", seconds=42),
        Beacon(site.public_key, vid, "goal", goal="purchase", revenue=Decimal("19.90"), currency="EUR"),
        Beacon(site.public_key, "f" * 32, "pageview", path="/", referrer="https://t.me/lumiere"),
    ]
    Sessions().store(
        [Hit(now - 60 + n, site.pk, site.workspace_id, item, BROWSER) for n, item in enumerate(hits)]
    )
    yield Visit("with visits and a conversion", world.signed_in().get(an("page", world)))
    yield Visit("by day", world.signed_in().get(an("page", world), {"group": "day", "social_only": "on"}))
    yield Visit(
        "bad period", world.signed_in().get(an("page", world), {"start": "2026-05-04", "end": "2026-05-01"})
    )
    yield Visit("analyst", world.signed_in(Role.ANALYST).get(an("page", world)))
    yield Visit("copywriter: read only", world.signed_in(Role.COPYWRITER).get(an("page", world)))


@page("analytics:site_create")
def _site_create(world: World) -> Iterator[Visit]:
    client = world.signed_in(Role.ANALYST)
    yield Visit(
        "made: key shown once", client.post(an("site_create", world), {"name": "Atelier", "domains": ""})
    )
    yield Visit(
        "bad domain", client.post(an("site_create", world), {"name": "X", "domains": "http://a/b"}), 422
    )


@page("analytics:site_update")
def _site_update(world: World) -> Iterator[Visit]:
    site = _site(world).site
    client = world.signed_in()
    data = {"name": "Atelier", "domains": "atelier.example"}
    yield Visit("saved", client.post(an("site_update", world, site.pk), data, follow=True))
    bad = {"name": "Atelier", "domains": "http://a/b"}
    yield Visit("refused", client.post(an("site_update", world, site.pk), bad, follow=True))


@page("analytics:site_rotate")
def _site_rotate(world: World) -> Iterator[Visit]:
    site = _site(world).site
    yield Visit("new key shown once", world.signed_in(Role.MANAGER).post(an("site_rotate", world, site.pk)))


@page("analytics:site_delete")
def _site_delete(world: World) -> Iterator[Visit]:
    site = _site(world).site
    yield Visit("deleted", world.signed_in().post(an("site_delete", world, site.pk), follow=True))
