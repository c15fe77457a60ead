"""The dashboards page rendered in every language (see tests/pages/__init__.py): empty, with figures of
every panel, filtered, and with a bad period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.urls import reverse
from django.utils import timezone

from portevoix.dashboards import services
from portevoix.dashboards.tests import factory
from portevoix.workspaces.roles import Role
from tests.test_pages_render import Visit, World, page


@page("dashboards:page")
def _dashboards_page(world: World) -> Iterator[Visit]:
    url = reverse("dashboards:page", args=[world.workspace.slug])
    yield Visit("empty", world.signed_in().get(url))
    ws = world.workspace
    now = timezone.now() - dt.timedelta(hours=2)
    vk = factory.channel(ws, "vk", "Maison Lumière VK")
    tg = factory.channel(ws, "telegram", "Maison Lumière TG")
    good = factory.published(
        ws, vk, now, title="Tarte aux pommes", views=900, reach=600, likes=30, comments=4, shares=2
    )
    factory.published(ws, tg, now, title="Atelier du lundi", views=300)
    factory.followers(vk, now.date() - dt.timedelta(days=3), 1200)
    factory.followers(vk, now.date(), 1260)
    link = factory.link(ws, post=good.post, ch=vk)
    factory.clicks(link, now, humans=12, bots=2)
    site = factory.site(ws)
    factory.visit(site, now, network="vk", campaign="automne25", post=good.post)
    factory.visit(
        site, now, network="vk", campaign="automne25", post=good.post, bounced=True, seconds=0, pages=1
    )
    factory.conversion(site, now, revenue="49.90", currency="EUR", post=good.post, campaign="automne25")
    services.rollups_refresh(settle=dt.timedelta(0))
    yield Visit("with figures", world.signed_in().get(url, {"preset": "7d", "compare": "on"}))
    yield Visit("one network", world.signed_in(Role.ANALYST).get(url, {"preset": "30d", "network": "vk"}))
    yield Visit(
        "reversed period",
        world.signed_in().get(url, {"preset": "custom", "start": "2025-10-31", "end": "2025-10-01"}),
        422,
    )
