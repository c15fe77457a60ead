from __future__ import annotations

import datetime as dt
import itertools

import pytest

from portevoix.analytics import services
from portevoix.analytics.beacon import Beacon
from portevoix.analytics.sessions import Hit
from portevoix.workspaces.roles import Role

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
T0 = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC).timestamp()
_visitors = itertools.count(1)


def visitor() -> str:
    return f"{next(_visitors):032x}"


@pytest.fixture
def issued(team):
    return services.site_create(by=team.member(Role.OWNER), name="Shop", domains="shop.example")


@pytest.fixture
def site(issued):
    return issued.site


def hit(site, kind="pageview", *, at=T0, vid="a" * 32, ua=BROWSER, **fields) -> Hit:
    fields.setdefault("path", "/") if kind == "pageview" else None
    item = Beacon(site.public_key, vid, kind, **fields)
    return Hit(at, site.pk, site.workspace_id, item, ua, "203.0.113.7", "shop.example")
