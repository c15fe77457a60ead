"""The tracker's ASGI fast path: the script, the beacon endpoint (privacy signals, hostile input, rate
limits), lifespan forwarding. Lookups run in the fast path's own threads: transactional tests."""

from __future__ import annotations

import asyncio
import gzip
import json
from typing import Any

import pytest

from portevoix.analytics import services
from portevoix.analytics.fastpath import SCRIPT, TrackerPath, _default_lookup
from portevoix.analytics.models import Conversion, Visit
from portevoix.links.fastpath import FastPath
from portevoix.links.models import Click
from portevoix.workspaces.roles import Role

from .conftest import BROWSER

pytestmark = pytest.mark.django_db(transaction=True)
VID = "0123456789abcdef0123456789abcdef"


class Django:
    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope, receive, send):
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})


def call(app, path, *, method="GET", headers=(), body=b"", chunks=None, client=("203.0.113.9", 5000)):
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(name.lower().encode(), value.encode()) for name, value in headers],
        "client": client,
        "server": ("127.0.0.1", 8000),
    }
    pieces = list(chunks) if chunks is not None else [body]
    sent: list[dict[str, Any]] = []

    async def receive():
        piece = pieces.pop(0) if pieces else b""
        return {"type": "http.request", "body": piece, "more_body": bool(pieces)}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    out = {name.decode(): value.decode() for name, value in start["headers"]}
    return start["status"], out, b"".join(message.get("body", b"") for message in sent[1:])


def closing(function):
    def wrapped(*args):
        from django.db import connection

        try:
            return function(*args)
        finally:
            connection.close()

    return wrapped


@pytest.fixture
def django_app():
    return Django()


@pytest.fixture
def tracker(django_app):
    path = TrackerPath(django_app, lookup=closing(_default_lookup), flush_interval=3600, ip_burst=1000)
    yield path
    path.stop()


@pytest.fixture
def site(team):
    return services.site_create(by=team.member(Role.OWNER), name="Shop", domains="shop.example").site


def beacon(site, **data):
    return json.dumps({"k": site.public_key, "v": VID, **data}).encode()


PAGE = [("Origin", "https://shop.example"), ("User-Agent", BROWSER), ("Content-Type", "text/plain")]


def post(app, body, headers=PAGE, **kwargs):
    return call(app, "/t/e", method="POST", headers=headers, body=body, **kwargs)


def test_the_script_is_small_cached_and_cookie_free(tracker, django_app):
    assert len(gzip.compress(SCRIPT)) < 2048
    assert b"cookie" not in SCRIPT.lower().replace(b"no cookies", b"")
    assert b"doNotTrack" in SCRIPT
    assert b"globalPrivacyControl" in SCRIPT
    assert b"sendBeacon" in SCRIPT
    status, headers, body = call(tracker, "/t/pv.js")
    assert (status, body) == (200, SCRIPT)
    assert headers["cache-control"] == "public, max-age=86400"
    assert headers["content-type"].startswith("text/javascript")
    assert "set-cookie" not in headers
    status, zipped, body = call(tracker, "/t/pv.js", headers=[("Accept-Encoding", "gzip, br")])
    assert zipped["content-encoding"] == "gzip"
    assert gzip.decompress(body) == SCRIPT
    assert call(tracker, "/t/pv.js", headers=[("If-None-Match", headers["etag"])])[0] == 304
    assert call(tracker, "/t/pv.js", method="HEAD")[2] == b""
    assert call(tracker, "/t/pv.js", method="POST")[0] == 405
    assert django_app.paths == []
    assert call(tracker, "/t/other")[2] == b"django"  # anything else goes on


def test_a_pageview_is_buffered_then_stored(tracker, site):
    status, headers, body = post(tracker, beacon(site, e="pageview", p="/spring", r="https://t.co/x"))
    assert (status, body) == (204, b"")
    assert headers["access-control-allow-origin"] == "*"
    assert Visit.objects.count() == 0
    assert tracker.flush() == 1
    visit = Visit.objects.get()
    assert (visit.landing_path, visit.network, visit.source) == ("/spring", "x", "t.co")
    assert post(tracker, beacon(site, e="engagement", s=15))[0] == 204
    assert post(tracker, beacon(site, e="goal", g="purchase", rev=9.99, cur="EUR", oid="A-1"))[0] == 204
    tracker.flush()
    visit.refresh_from_db()
    assert (visit.engaged_seconds, visit.bounced) == (15, False)
    assert str(Conversion.objects.get().revenue) == "9.99"


@pytest.mark.parametrize("header", [("DNT", "1"), ("Sec-GPC", "1")])
def test_do_not_track_and_global_privacy_control_store_nothing(tracker, site, header):
    status, _headers, body = post(tracker, beacon(site, e="pageview", p="/"), headers=[*PAGE, header])
    assert (status, body) == (204, b"")
    assert tracker.pending() == 0
    tracker.flush()
    assert Visit.objects.count() == 0
    assert post(tracker, beacon(site, e="pageview", p="/"), headers=[*PAGE, ("DNT", "0")])[0] == 204
    assert tracker.pending() == 1


def hostile(site):
    good = {"k": site.public_key, "v": VID, "e": "pageview", "p": "/"}
    return [
        (b"not json", 400),
        (b"", 400),
        (b"[]", 400),
        (json.dumps({**good, "p": "/\x00"}).encode(), 400),
        (json.dumps({**good, "p": ["/"]}).encode(), 400),
        (json.dumps({**good, "v": 12}).encode(), 400),
        (json.dumps({**good, "k": "unknownsitekey99"}).encode(), 403),
        (json.dumps({**good, "e": "goal", "g": "purchase", "rev": -5, "cur": "EUR"}).encode(), 400),
        (json.dumps({**good, "e": "goal", "g": "purchase", "rev": 5, "cur": "E$R"}).encode(), 400),
        (json.dumps({**good, "e": "goal", "g": "purchase", "rev": 5}).encode(), 400),
        (json.dumps({**good, "e": "engagement", "s": 1e9}).encode(), 400),
        (json.dumps({**good, "p": "/" + "x" * 5000}).encode(), 413),
        (b"\xff" * 10, 400),
    ]


def test_hostile_beacons_are_refused_and_nothing_is_stored(tracker, site):
    for body, expected in hostile(site):
        status, _headers, answer = post(tracker, body)
        assert status == expected, (body[:60], status, answer)
        assert len(answer) < 40
    # declared too large, or sent in pieces past 4 KB
    assert post(tracker, b"{}", headers=[*PAGE, ("Content-Length", "999999")])[0] == 413
    assert (
        call(tracker, "/t/e", method="POST", headers=PAGE, chunks=[b"{" + b" " * 3000, b" " * 3000])[0] == 413
    )
    assert call(tracker, "/t/e", method="GET")[0] == 405
    assert call(tracker, "/t/e", method="OPTIONS")[0] == 204
    assert tracker.pending() == 0
    tracker.flush()
    assert (Visit.objects.count(), Conversion.objects.count()) == (0, 0)


def test_the_page_must_be_on_one_of_the_sites_domains(tracker, site):
    body = beacon(site, e="pageview", p="/")
    assert (
        post(tracker, body, headers=[("Origin", "https://evil.example"), ("User-Agent", BROWSER)])[0] == 403
    )
    assert post(tracker, body, headers=[("User-Agent", BROWSER)])[0] == 403  # no Origin nor Referer
    assert post(tracker, body, headers=[("Origin", "https://shop.example.evil.example")])[0] == 403
    ok = [("Referer", "https://www.shop.example/cart"), ("User-Agent", BROWSER)]
    assert post(tracker, body, headers=ok)[0] == 204  # a subdomain, by its Referer
    services.site_update(by=site.workspace.memberships.get(role="owner"), site=site, domains="")
    assert (
        post(tracker, body, headers=[("Origin", "https://anything.example")])[0] == 204
    )  # domains emptied: any
    assert tracker.pending() == 2


def test_a_flood_is_rate_limited(django_app, site):
    tracker = TrackerPath(
        django_app, lookup=closing(_default_lookup), flush_interval=3600, ip_rate=1, ip_burst=5
    )
    try:
        statuses = [post(tracker, beacon(site, e="pageview", p="/"))[0] for _ in range(20)]
        assert statuses[:5] == [204] * 5
        assert set(statuses[5:]) == {429}
        # another address is not affected; the site's own limit applies to everyone
        assert post(tracker, beacon(site, e="pageview", p="/"), client=("198.51.100.1", 1))[0] == 204
        assert tracker.pending() == 6
        tracker.site_limits.burst = tracker.site_limits.rate = 0.0
        tracker.site_limits._buckets.clear()
        assert post(tracker, beacon(site, e="pageview", p="/"), client=("198.51.100.2", 1))[0] == 429
    finally:
        tracker.stop()


def test_an_unexpected_error_is_a_400_not_a_500(django_app, site):
    def broken(key):
        raise RuntimeError("database gone")

    tracker = TrackerPath(django_app, lookup=broken, flush_interval=3600)
    try:
        status, _headers, body = post(tracker, beacon(site, e="pageview", p="/"))
        assert (status, body) == (400, b"Bad beacon\n")
    finally:
        tracker.stop()


def test_lifespan_is_forwarded_and_both_buffers_flush_on_shutdown(site, team, django_app):
    from portevoix.links import services as link_services
    from portevoix.links.fastpath import _default_domains
    from portevoix.links.fastpath import _default_lookup as link_lookup

    link = link_services.link_create(by=team.member(Role.OWNER), url="https://shop.example/")
    links = FastPath(
        django_app, lookup=closing(link_lookup), domains=closing(_default_domains), flush_interval=3600
    )
    tracker = TrackerPath(links, lookup=closing(_default_lookup), flush_interval=3600)
    assert call(tracker, f"/l/{link.code}", headers=[("User-Agent", BROWSER)])[0] == 302
    assert post(tracker, beacon(site, e="pageview", p="/"))[0] == 204
    assert (links.pending(), tracker.pending()) == (1, 1)

    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    asyncio.run(tracker({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    assert [message["type"] for message in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert (links.pending(), tracker.pending()) == (0, 0)
    assert Click.objects.count() == 1
    assert Visit.objects.count() == 1


def test_a_batch_the_database_keeps_refusing_is_retried_then_dropped(django_app):
    calls: list[int] = []

    def failing(hits):
        calls.append(len(hits))
        raise RuntimeError("constraint")

    tracker = TrackerPath(django_app, lookup=lambda key: (1, 1, ()), store=failing, flush_interval=3600)
    try:
        body = json.dumps({"k": "abcdefgh12345678", "v": VID, "e": "pageview", "p": "/"}).encode()
        assert post(tracker, body)[0] == 204
        for _attempt in range(10):
            with pytest.raises(RuntimeError):
                tracker.flush()
        assert calls == [1] * 10
        assert (tracker.pending(), tracker.dropped) == (0, 1)
        assert tracker.flush() == 0
    finally:
        tracker.writer.store = lambda hits: len(hits)
        tracker.stop()
