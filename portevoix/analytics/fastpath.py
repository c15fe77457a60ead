"""The site tracker, served in front of Django (portevoix/asgi.py) like the short-link redirect, outside it:
``application = tracker_wrap(links_wrap(django_application))``.

- ``GET``/``HEAD /t/pv.js``: the tracker script (static bytes, gzip when accepted, ETag, cached a day).
- ``POST /t/e``: one beacon (analytics/beacon.py). Answers ``204`` when accepted, and also when the request
  carries ``DNT: 1`` or ``Sec-GPC: 1`` (nothing is stored then); ``400`` for a malformed beacon, ``403`` for
  an unknown site key or a page outside the site's domains, ``413`` over 4 KB, ``429`` over the rate limits
  (token buckets per client address and per site, in memory). Never a 500: an unexpected error answers 400.
- Sites are cached (key -> site, workspace, domains) for ``ttl`` seconds; a miss reads the database in a
  small thread pool, never on the event loop.
- Accepted beacons go to an in-memory buffer; a background thread stores them in batches every
  ``flush_interval`` seconds (analytics/sessions.py). Lifespan messages are passed on to the inner app (the
  links fast path ends the protocol): on ``lifespan.startup`` the writer starts, on ``lifespan.shutdown`` it
  stores what is buffered and stops, before the message goes on, so both buffers flush on a graceful
  restart.
"""

from __future__ import annotations

import asyncio
import collections
import gzip
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from portevoix.analytics import beacon, cache
from portevoix.analytics.sessions import Hit
from portevoix.core.buffered import BufferedWriter, WithBufferedWriter
from portevoix.links.clients import referrer_host

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]

MAX_ATTEMPTS = 10  # a batch failing this many flushes in a row is dropped (logged), not retried forever
SCRIPT_PATH = "/t/pv.js"
BEACON_PATH = "/t/e"
SCRIPT = (Path(__file__).parent / "static" / "analytics" / "pv.js").read_bytes()
SCRIPT_GZIP = gzip.compress(SCRIPT, compresslevel=9, mtime=0)
ETAG = b'"' + hashlib.sha256(SCRIPT).hexdigest()[:20].encode() + b'"'

# (monotonic expiry, site id, workspace id, allowed hosts); site id 0: no such key.
SiteEntry = tuple[float, int, int, tuple[str, ...]]

_CORS = [(b"access-control-allow-origin", b"*"), (b"x-content-type-options", b"nosniff")]
_NO_STORE = [*_CORS, (b"cache-control", b"no-store")]
_SCRIPT_HEADERS = [
    (b"content-type", b"text/javascript; charset=utf-8"),
    (b"cache-control", b"public, max-age=86400"),
    (b"etag", ETAG),
    (b"vary", b"Accept-Encoding"),
    *_CORS,
]


class TokenBuckets:
    """``rate`` tokens a second up to ``burst``, per key; at most ``max_keys`` keys (least recent dropped)."""

    def __init__(self, rate: float, burst: float, max_keys: int = 100_000) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: collections.OrderedDict[Any, tuple[float, float]] = collections.OrderedDict()

    def allow(self, key: Any, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        allowed = tokens >= 1
        self._buckets[key] = (tokens - 1 if allowed else tokens, now)
        self._buckets.move_to_end(key)
        if len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return allowed


def _default_lookup(key: str) -> tuple[int, int, tuple[str, ...]] | None:
    from django.db import close_old_connections

    from portevoix.analytics.selectors import resolve_site

    close_old_connections()
    return resolve_site(key)


def host_allowed(host: str, domains: Sequence[str]) -> bool:
    """The page's host is one of the site's domains or a subdomain of one."""
    host = host.lower().rstrip(".")
    return any(host == domain or host.endswith("." + domain) for domain in domains)


class TrackerPath(WithBufferedWriter):
    def __init__(
        self,
        app: ASGIApp,
        *,
        ttl: float = 60.0,
        negative_ttl: float = 10.0,
        max_sites: int = 10_000,
        flush_interval: float = 1.0,
        flush_size: int = 500,
        max_buffer: int = 500_000,
        ip_rate: float = 10.0,
        ip_burst: float = 60.0,
        site_rate: float = 500.0,
        site_burst: float = 2000.0,
        max_sessions: int = 50_000,
        geoip_path: str | None = None,
        lookup: Callable[[str], tuple[int, int, tuple[str, ...]] | None] = _default_lookup,
        store: Callable[[Sequence[Hit]], int] | None = None,
    ) -> None:
        self.app = app
        self.ttl, self.negative_ttl, self.max_sites = ttl, negative_ttl, max_sites
        self.ip_limits = TokenBuckets(ip_rate, ip_burst)
        self.site_limits = TokenBuckets(site_rate, site_burst, max_keys=max_sites)
        self._lookup = lookup
        if store is None:
            from portevoix.analytics.sessions import Sessions

            self.sessions: Any = Sessions(max_sessions=max_sessions, geoip_path=geoip_path)
            store = self.sessions.store
        self._sites: collections.OrderedDict[str, SiteEntry] = collections.OrderedDict()
        self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="pv-tracker-lookup")
        self.writer: BufferedWriter[Hit] = BufferedWriter(
            store,  # Hits are stored as they are (no preparation)
            name="pv-tracker-writer",
            what="tracker events",
            flush_interval=flush_interval,
            flush_size=flush_size,
            max_buffer=max_buffer,
            max_attempts=MAX_ATTEMPTS,
        )
        self._record = self.writer.record
        self.refused: collections.Counter[int] = collections.Counter()
        cache.register(self)

    # --- ASGI ---------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            path = scope["path"]
            if path == BEACON_PATH:
                await self._beacon(scope, receive, send)
                return
            if path == SCRIPT_PATH:
                await self._script(scope, send)
                return
        elif kind == "lifespan":
            await self.app(scope, self._hooked(receive), send)
            return
        await self.app(scope, receive, send)

    def _hooked(self, receive: Receive) -> Receive:
        """``receive`` for the inner app's lifespan: our writer starts on startup and is flushed and stopped
        on shutdown, before the message is passed on."""

        async def hooked() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.start()
            elif message["type"] == "lifespan.shutdown":
                try:
                    await asyncio.get_running_loop().run_in_executor(None, self.stop)
                except Exception:
                    logger.exception("Storing tracker events at shutdown failed")
            return message

        return hooked

    async def _script(self, scope: Scope, send: Send) -> None:
        method = scope["method"]
        if method not in ("GET", "HEAD"):
            await self._answer(send, 405, b"Method not allowed\n", [(b"allow", b"GET, HEAD")])
            return
        gzip_ok = False
        for name, value in scope["headers"]:
            if name == b"if-none-match" and ETAG in value:
                await send({"type": "http.response.start", "status": 304, "headers": _SCRIPT_HEADERS})
                await send({"type": "http.response.body", "body": b""})
                return
            if name == b"accept-encoding" and b"gzip" in value:
                gzip_ok = True
        body = SCRIPT_GZIP if gzip_ok else SCRIPT
        headers = [*_SCRIPT_HEADERS, (b"content-length", str(len(body)).encode())]
        if gzip_ok:
            headers.append((b"content-encoding", b"gzip"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})

    @staticmethod
    async def _answer(send: Send, status: int, body: bytes = b"", extra: Sequence[Any] = ()) -> None:
        headers = [*_NO_STORE, *extra, (b"content-length", str(len(body)).encode())]
        if body:
            headers.append((b"content-type", b"text/plain; charset=utf-8"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _beacon(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            status, body = await self._accept(scope, receive)
        except Exception:  # never a 500 for a beacon
            logger.exception("Tracker beacon failed")
            status, body = 400, b"Bad beacon\n"
        if status != 204:
            self.refused[status] += 1
        extra = [(b"allow", b"POST, OPTIONS")] if status == 405 else []
        if status == 204 and scope["method"] == "OPTIONS":
            extra = [
                (b"access-control-allow-methods", b"POST"),
                (b"access-control-max-age", b"86400"),
                (b"access-control-allow-headers", b"content-type"),
            ]
        await self._answer(send, status, body, extra)

    async def _accept(self, scope: Scope, receive: Receive) -> tuple[int, bytes]:
        method = scope["method"]
        if method == "OPTIONS":
            return 204, b""
        if method != "POST":
            return 405, b"Method not allowed\n"
        user_agent = origin = referer = ""
        private = False
        for name, value in scope["headers"]:
            if name == b"user-agent":
                user_agent = value.decode("latin-1")
            elif name == b"origin":
                origin = value.decode("latin-1")
            elif name == b"referer":
                referer = value.decode("latin-1")
            elif (name == b"dnt" or name == b"sec-gpc") and value.strip() == b"1":
                private = True
            elif name == b"content-length":
                try:
                    if int(value) > beacon.MAX_BODY:
                        return 413, b"Too large\n"
                except ValueError:
                    return 400, b"Bad length\n"
        body = b""
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return 400, b"Disconnected\n"
            body += message.get("body", b"")
            if len(body) > beacon.MAX_BODY:
                return 413, b"Too large\n"
            if not message.get("more_body", False):
                break
        if private:
            return 204, b""  # Do Not Track / Global Privacy Control: accepted and dropped
        client = scope.get("client")
        address = client[0] if client else None
        if not self.ip_limits.allow(address):
            return 429, b"Slow down\n"
        try:
            item = beacon.parse(body)
        except beacon.Refused as refused:
            return 400, f"Bad beacon: {refused.field}\n".encode()
        entry = await self._site(item.site_key)
        if not entry[1]:
            return 403, b"Unknown site\n"
        page_host = referrer_host(origin) if origin and origin != "null" else referrer_host(referer)
        if entry[3] and not host_allowed(page_host, entry[3]):
            return 403, b"Origin not allowed\n"
        if not self.site_limits.allow(entry[1]):
            return 429, b"Slow down\n"
        self._record(Hit(time.time(), entry[1], entry[2], item, user_agent[:512], address, page_host))
        return 204, b""

    # --- Sites --------------------------------------------------------------------------------------

    async def _site(self, key: str) -> SiteEntry:
        entry = self._sites.get(key)
        if entry is not None and entry[0] > time.monotonic():
            self._sites.move_to_end(key)
            return entry
        found = await asyncio.get_running_loop().run_in_executor(self._executor, self._lookup, key)
        if found is None:
            entry = (time.monotonic() + self.negative_ttl, 0, 0, ())
        else:
            entry = (time.monotonic() + self.ttl, found[0], found[1], tuple(found[2]))
        self._sites[key] = entry
        self._sites.move_to_end(key)
        while len(self._sites) > self.max_sites:
            self._sites.popitem(last=False)
        return entry

    def forget(self, key: str) -> None:
        self._sites.pop(key, None)

    # --- The writer (core/buffered.py) ----------------------------------------------------------------

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the writer and store every buffered event (lifespan shutdown)."""
        self.writer.stop(timeout)


def tracker_wrap(app: ASGIApp) -> TrackerPath:
    """The tracker in front of ``app`` with this install's settings (portevoix/asgi.py). Environment:
    PORTEVOIX_TRACKER_FLUSH_SECONDS (1), PORTEVOIX_TRACKER_IP_RATE (10 a second, burst 6x)."""
    import os

    from django.conf import settings

    ip_rate = float(os.environ.get("PORTEVOIX_TRACKER_IP_RATE", "10"))
    return TrackerPath(
        app,
        flush_interval=float(os.environ.get("PORTEVOIX_TRACKER_FLUSH_SECONDS", "1")),
        ip_rate=ip_rate,
        ip_burst=ip_rate * 6,
        geoip_path=getattr(settings, "PORTEVOIX_GEOIP_PATH", "") or None,
    )
