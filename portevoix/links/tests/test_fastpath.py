"""The redirect fast path as an ASGI application: answers, cache, click recording, lifespan.

Lookups run in the fast path's own threads, so these tests commit their data (transactional tests)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from portevoix.links import cache, services
from portevoix.links.fastpath import FastPath, _default_domains, _default_lookup
from portevoix.links.models import Click, Device, LinkHourly
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


class Django:
    """Stands for Django behind the fast path: says who reached it."""

    def __init__(self) -> None:
        self.paths: list[str] = []

    async def __call__(self, scope, receive, send):
        self.paths.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})


def request(
    app, path, *, method="GET", headers=(), client=("203.0.113.9", 5000)
) -> tuple[int, dict[str, str], bytes]:
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
    sent: list[dict[str, Any]] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    headers_out = {name.decode(): value.decode() for name, value in start["headers"]}
    return start["status"], headers_out, b"".join(message.get("body", b"") for message in sent[1:])


def closing(function):
    """The real lookup, closing its thread's connection after each call: the test database (SQLite in
    memory, shared cache) cannot be emptied between tests while another thread holds a connection."""

    def call(*args):
        from django.db import connection

        try:
            return function(*args)
        finally:
            connection.close()

    return call


def make_fast(app, **options):
    return FastPath(app, lookup=closing(_default_lookup), domains=closing(_default_domains), **options)


@pytest.fixture
def django_app():
    return Django()


@pytest.fixture
def fast(django_app):
    path = make_fast(django_app, flush_interval=3600, negative_ttl=60)
    yield path
    path.stop()  # joins the writer thread (it closes its connection) before the database is emptied


@pytest.fixture
def link(team):
    return services.link_create(by=team.member(Role.OWNER), url="https://shop.example/p?x=1")


def test_a_known_code_redirects_with_the_safe_headers(fast, link, django_app):
    status, headers, body = request(fast, f"/l/{link.code}", headers=[("User-Agent", PHONE)])
    assert status == 302
    assert headers["location"] == link.final_url
    assert "utm_medium=social" in headers["location"]
    assert headers["cache-control"] == "private, max-age=0"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert body == b""
    assert request(fast, f"/l/{link.code}/")[0] == 302  # a trailing slash is tolerated
    assert django_app.paths == []


@pytest.mark.parametrize(
    "path",
    [
        "/l/AAAAAAAA",  # well-formed, unknown
        "/l/",
        "/l/short",
        "/l/toolongcode1",
        "/l/../../admin",
        "/l/..%2F..%2Fadmin",
        "/l//evil.example",
        "/l/https://evil.example",
        "/l/%2F%2Fevil.example",
        "/l/abcdefgh/extra",
    ],
)
def test_anything_else_under_the_prefix_is_a_small_404(fast, link, path, django_app):
    status, headers, body = request(fast, path)
    assert status == 404
    assert "location" not in headers
    assert body == b"Not found\n"
    assert django_app.paths == []


def test_other_paths_go_to_django(fast, django_app):
    for path in ["/", "//evil.example", "/links/", "/l", "/api/v1/links"]:
        assert request(fast, path) == (200, {}, b"django")
    assert django_app.paths == ["/", "//evil.example", "/links/", "/l", "/api/v1/links"]


def test_a_disabled_link_is_not_found_at_once_in_this_process(fast, link, team):
    assert request(fast, f"/l/{link.code}")[0] == 302
    services.link_set_disabled(by=team.member(Role.OWNER), link=link, disabled=True)
    assert request(fast, f"/l/{link.code}")[0] == 404
    services.link_set_disabled(by=team.member(Role.OWNER), link=link, disabled=False)
    cache.forget(link.code)
    assert request(fast, f"/l/{link.code}")[0] == 302


def test_links_are_cached_and_unknown_codes_too(fast, link, team):
    lookups: list[str] = []
    real = fast._lookup

    def counting(code):
        lookups.append(code)
        return real(code)

    fast._lookup = counting
    for _ in range(5):
        assert request(fast, f"/l/{link.code}")[0] == 302
        assert request(fast, "/l/ZZZZZZZZ")[0] == 404
    assert lookups == [link.code, "ZZZZZZZZ"]
    # a link made after a miss is found once the negative entry expires
    fast._entries["ZZZZZZZZ"] = (0.0, 0, 0, b"")
    link.code = "ZZZZZZZZ"
    link.save()
    assert request(fast, "/l/ZZZZZZZZ")[0] == 302


def test_only_get_and_head(fast, link):
    status, headers, body = request(fast, f"/l/{link.code}", method="HEAD")
    assert (status, body) == (302, b"")
    assert headers["location"] == link.final_url
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        status, headers, _body = request(fast, f"/l/{link.code}", method=method)
        assert status == 405
        assert headers["allow"] == "GET, HEAD"
    assert request(fast, "/l/AAAAAAAA", method="HEAD")[2] == b""
    fast.flush()
    assert Click.objects.count() == 0  # HEAD (link previews) and refused methods record nothing


def test_clicks_are_buffered_then_written_with_what_they_record(fast, link):
    referer = ("Referer", "https://t.co/abc?private=1")
    request(fast, f"/l/{link.code}", headers=[("User-Agent", PHONE), referer])
    request(fast, f"/l/{link.code}", headers=[("User-Agent", GOOGLEBOT)])
    request(fast, f"/l/{link.code}", headers=[])  # no user agent at all: a script
    assert Click.objects.count() == 0  # nothing written on the request path
    assert fast.pending() == 3
    assert fast.flush() == 3
    clicks = list(Click.objects.order_by("id"))
    assert [(c.device, c.is_bot) for c in clicks] == [
        (Device.MOBILE, False),
        (Device.BOT, True),
        (Device.BOT, True),
    ]
    assert clicks[0].referrer_host == "t.co"
    assert all(c.link_id == link.pk and c.workspace_id == link.workspace_id for c in clicks)
    assert all(c.country == "" for c in clicks)  # no GeoIP database configured
    hourly = LinkHourly.objects.get(link=link)
    assert (hourly.humans, hourly.bots) == (1, 2)
    assert fast.pending() == 0


def test_the_country_comes_from_the_geoip_reader(django_app, link):
    class Reader:
        def get(self, ip):
            return {"country": {"iso_code": "DE"}} if ip == "81.2.69.160" else None

    from portevoix.links.clients import Geo

    fast = make_fast(django_app, flush_interval=3600, geo=Geo(reader=Reader()))
    try:
        request(fast, f"/l/{link.code}", headers=[("User-Agent", PHONE)], client=("81.2.69.160", 1))
        request(fast, f"/l/{link.code}", headers=[("User-Agent", PHONE)], client=("89.160.20.112", 1))
        fast.flush()
    finally:
        fast._executor.shutdown()
    assert sorted(Click.objects.values_list("country", flat=True)) == ["", "DE"]


def test_a_failed_write_is_retried(fast, link):
    calls = []
    real = fast.writer.store

    def flaky(rows):
        calls.append(len(rows))
        if len(calls) == 1:
            raise RuntimeError("database is locked")
        return real(rows)

    fast.writer.store = flaky
    request(fast, f"/l/{link.code}", headers=[("User-Agent", PHONE)])
    with pytest.raises(RuntimeError):
        fast.flush()
    request(fast, f"/l/{link.code}", headers=[("User-Agent", PHONE)])
    assert fast.flush() == 2
    assert calls == [1, 2]
    assert Click.objects.count() == 2


def test_the_background_writer_flushes_by_size(django_app, link):
    fast = make_fast(django_app, flush_interval=3600, flush_size=5)
    try:
        for _ in range(5):
            request(fast, f"/l/{link.code}", headers=[("User-Agent", PHONE)])
        # Wait on the writer's own counter: reading the table while the writer thread writes it would meet
        # SQLite's table lock of the tests' shared-cache in-memory database.
        for _ in range(200):
            if fast.stored == 5:
                break
            asyncio.run(asyncio.sleep(0.05))
        assert fast.stored == 5
        assert Click.objects.count() == 5
    finally:
        fast.stop()


def test_lifespan_shutdown_flushes_the_buffer(django_app, link):
    fast = make_fast(django_app, flush_interval=3600)
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent: list[str] = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message["type"])
        if message["type"] == "lifespan.startup.complete":
            for _ in range(7):
                status, _headers, _body = await _call(fast, f"/l/{link.code}")
                assert status == 302

    asyncio.run(fast({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert Click.objects.filter(link=link).count() == 7
    assert django_app.paths == []


async def _call(app, path):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "headers": [(b"user-agent", PHONE.encode())],
        "client": None,
    }
    await app(scope, receive, send)
    return sent[0]["status"], sent[0]["headers"], b""


def test_a_custom_domain_serves_only_its_workspace_links(fast, link, team, other_team):
    rules = {
        "utm_source": "{network}",
        "utm_medium": "social",
        "utm_campaign": "",
        "utm_content": "",
        "override": False,
    }
    services.link_settings_update(by=team.member(Role.OWNER), custom_domain="go.acme.example", **rules)
    services.link_settings_update(
        by=other_team.member(Role.OWNER), custom_domain="go.globex.example", **rules
    )
    theirs = services.link_create(by=other_team.member(Role.OWNER), url="https://globex.example/")
    fast.reload_domains()
    assert request(fast, f"/l/{link.code}", headers=[("Host", "go.acme.example")])[0] == 302
    assert request(fast, f"/l/{link.code}", headers=[("Host", "GO.ACME.EXAMPLE:443")])[0] == 302
    assert request(fast, f"/l/{theirs.code}", headers=[("Host", "go.acme.example")])[0] == 404
    assert request(fast, f"/l/{link.code}", headers=[("Host", "go.globex.example")])[0] == 404
    # the main address serves every workspace's links
    assert request(fast, f"/l/{theirs.code}", headers=[("Host", "portevoix.example")])[0] == 302
    assert request(fast, f"/l/{link.code}", headers=[("Host", "portevoix.example")])[0] == 302
