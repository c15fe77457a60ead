"""The short-link redirect, served in front of Django (portevoix/asgi.py) without Django's request cycle.

``GET`` or ``HEAD /l/<code>`` answers ``302`` to the stored link's address, or ``404`` for an unknown or
disabled code; any other path goes to Django untouched. Only a stored link's address is ever sent in
``Location``: the path must be exactly a code (8 letters or digits, an optional trailing slash), the query
string is ignored.

- Cache: an in-process LRU of code -> (link, address, workspace) for ``ttl`` seconds, and unknown codes for
  ``negative_ttl`` seconds; a miss reads the database in a small thread pool (never on the event loop).
  A service that disables or deletes a link forgets it at once in this process (links/cache.py); other
  processes see it when their entry expires.
- Custom domains: a request whose Host is a workspace's custom short domain is served only that
  workspace's links; the table of domains is reloaded every ``domains_ttl`` seconds.
- Clicks (``GET`` only: ``HEAD`` is what link previewers send): the request appends the raw facts to an
  in-memory buffer; a background thread turns them into click rows (bot and device class from the user
  agent, referrer host, country) and stores them in one transaction every ``flush_interval`` seconds or
  ``flush_size`` clicks. On ASGI ``lifespan.shutdown`` (uvicorn sends it on SIGTERM/SIGINT once open
  requests are done) the buffer is flushed before the process exits, so a graceful restart loses no
  click. A failed write is retried at the next flush; at most ``max_buffer`` clicks wait in memory.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import gc
import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from portevoix.core.buffered import BufferedWriter, WithBufferedWriter
from portevoix.links import cache
from portevoix.links.codes import is_code
from portevoix.links.selectors import PREFIX

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]  # Django's handler types its arguments more narrowly

# (monotonic expiry, link id, workspace id, Location header value); link id 0: no such code.
Entry = tuple[float, int, int, bytes]
# (unix time, link id, workspace id, user agent, referer, client address)
Pending = tuple[float, int, int, str, str, str | None]

# The click writer releases the GIL after this many rows, so that a batch does not hold up requests for
# Python's whole switch interval (5 ms) at a time.
YIELD_EVERY = 200
_NOT_FOUND_BODY = b"Not found\n"
_COMMON = [(b"cache-control", b"private, max-age=0"), (b"x-content-type-options", b"nosniff")]
_REDIRECT_HEADERS = [
    *_COMMON,
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"content-length", b"0"),
]
_NOT_FOUND_HEADERS = [
    *_COMMON,
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(_NOT_FOUND_BODY)).encode()),
]
_METHOD_HEADERS = [*_COMMON, (b"allow", b"GET, HEAD"), (b"content-length", b"0")]


def _location(url: str) -> bytes:
    """Stored addresses are ASCII already (links/targets.py); anything else is percent-encoded."""
    try:
        return url.encode("ascii")
    except UnicodeEncodeError:
        return quote(url, safe="/%:@!$&'()*+,;=-._~?#[]").encode("ascii")


def _default_lookup(code: str) -> tuple[int, str, int] | None:
    from django.db import close_old_connections

    from portevoix.links.selectors import resolve_code

    close_old_connections()
    found = resolve_code(code)
    return (found.link_id, found.url, found.workspace_id) if found else None


def _default_domains() -> dict[str, int]:
    from portevoix.links.selectors import custom_domains

    return custom_domains()


def _default_store(rows: Sequence[Any]) -> int:
    from portevoix.links.services import clicks_store

    return clicks_store(rows=rows)


class FastPath(WithBufferedWriter):
    def __init__(
        self,
        app: ASGIApp,
        *,
        ttl: float = 60.0,
        negative_ttl: float = 5.0,
        max_entries: int = 50_000,
        flush_interval: float = 1.0,
        flush_size: int = 1000,
        max_buffer: int = 1_000_000,
        domains_ttl: float = 30.0,
        geoip_path: str | None = None,
        lookup: Callable[[str], tuple[int, str, int] | None] = _default_lookup,
        store: Callable[[Sequence[Any]], int] = _default_store,
        domains: Callable[[], dict[str, int]] = _default_domains,
        geo: Any = None,
    ) -> None:
        self.app = app
        self.ttl = ttl
        self.negative_ttl = negative_ttl
        self.max_entries = max_entries
        self.domains_ttl = domains_ttl
        self._geoip_path = geoip_path
        self._lookup = lookup
        self._load_domains = domains
        self._geo = geo
        self._entries: collections.OrderedDict[str, Entry] = collections.OrderedDict()
        self._inflight: dict[str, asyncio.Future[Entry]] = {}
        self._domains: dict[str, int] = {}
        self._domains_loaded = 0.0
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="pv-links-lookup")
        self.writer: BufferedWriter[Pending] = BufferedWriter(
            store,
            name="pv-links-flusher",
            what="clicks",
            prepare=self._rows,
            flush_interval=flush_interval,
            flush_size=flush_size,
            max_buffer=max_buffer,
            on_start=_load_user_agent_rules,
        )
        self._record = self.writer.record
        cache.register(self)

    # --- ASGI ---------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http" and scope["path"].startswith(PREFIX):
            await self._redirect(scope, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:
            await self.app(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """Django has no lifespan support: the protocol ends here. Startup starts the click writer,
        shutdown stops it after a last flush."""
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                # What is loaded now (Django, the URLconf, the apps) lives as long as the process: keep it
                # out of the garbage collector's full passes, which would otherwise pause every request
                # while the click writer allocates its batches.
                gc.collect()
                gc.freeze()
                self.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await asyncio.get_running_loop().run_in_executor(None, self.stop)
                except Exception as error:
                    await send({"type": "lifespan.shutdown.failed", "message": str(error)})
                    return
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _redirect(self, scope: Scope, send: Send) -> None:
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            await send({"type": "http.response.start", "status": 405, "headers": _METHOD_HEADERS})
            await send({"type": "http.response.body", "body": b""})
            return
        code = scope["path"][len(PREFIX) :]
        if code.endswith("/"):
            code = code[:-1]
        entry = await self._entry(code) if is_code(code) else None
        host = user_agent = referer = ""
        if entry is not None and entry[1]:
            for name, value in scope["headers"]:
                if name == b"host":
                    host = value.decode("latin-1")
                elif name == b"user-agent":
                    user_agent = value.decode("latin-1")
                elif name == b"referer":
                    referer = value.decode("latin-1")
            if self._domains or time.monotonic() - self._domains_loaded > self.domains_ttl:
                owner = (await self._domain_table()).get(host.rsplit(":", 1)[0].lower().rstrip("."))
                if owner is not None and owner != entry[2]:
                    entry = None
        if entry is None or not entry[1]:
            await send({"type": "http.response.start", "status": 404, "headers": _NOT_FOUND_HEADERS})
            await send({"type": "http.response.body", "body": b"" if method == "HEAD" else _NOT_FOUND_BODY})
            return
        if method == "GET":
            client = scope.get("client")
            self._record(
                (time.time(), entry[1], entry[2], user_agent, referer, client[0] if client else None)
            )
        await send(
            {
                "type": "http.response.start",
                "status": 302,
                "headers": [(b"location", entry[3]), *_REDIRECT_HEADERS],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    # --- The cache ------------------------------------------------------------------------------------

    async def _entry(self, code: str) -> Entry:
        entries = self._entries
        entry = entries.get(code)
        if entry is not None and entry[0] > time.monotonic():
            entries.move_to_end(code)
            return entry
        waiting = self._inflight.get(code)
        if waiting is not None:
            return await asyncio.shield(waiting)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Entry] = loop.create_future()
        self._inflight[code] = future
        try:
            found = await loop.run_in_executor(self._executor, self._lookup, code)
            if found is None:
                entry = (time.monotonic() + self.negative_ttl, 0, 0, b"")
            else:
                link_id, url, workspace_id = found
                entry = (time.monotonic() + self.ttl, link_id, workspace_id, _location(url))
            entries[code] = entry
            entries.move_to_end(code)
            while len(entries) > self.max_entries:
                entries.popitem(last=False)
            future.set_result(entry)
            return entry
        except BaseException as error:
            future.set_exception(error)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            del self._inflight[code]

    async def _domain_table(self) -> dict[str, int]:
        if time.monotonic() - self._domains_loaded > self.domains_ttl:
            self._domains_loaded = time.monotonic()  # one reload at a time; a failure keeps the old table
            try:
                self._domains = await asyncio.get_running_loop().run_in_executor(
                    self._executor, self._load_domains
                )
            except Exception:
                logger.exception("Could not load the custom short domains")
        return self._domains

    def forget(self, code: str) -> None:
        self._entries.pop(code, None)

    def reload_domains(self) -> None:
        self._domains_loaded = 0.0

    # --- Clicks (core/buffered.py stores them) --------------------------------------------------------

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the writer and store every buffered click (called on lifespan shutdown)."""
        self.writer.stop(timeout)
        self._executor.shutdown(wait=False)

    def _rows(self, items: list[Pending]) -> list[Any]:
        """Click rows from the raw facts (thousands a second: kept to plain tuples and cached lookups)."""
        from portevoix.links.clients import Geo, classify, referrer_host
        from portevoix.links.services import ClickRow

        if self._geo is None:
            self._geo = Geo(self._geoip_path)
        country = self._geo.country if self._geo.enabled else None
        from_timestamp, utc = dt.datetime.fromtimestamp, dt.UTC
        rows = []
        for number, (at, link_id, workspace_id, user_agent, referer, address) in enumerate(items, 1):
            if number % YIELD_EVERY == 0:
                time.sleep(0)  # hand the GIL back to the event loop: requests wait < 1 ms, not 5
            device, is_bot = classify(user_agent)
            rows.append(
                ClickRow(
                    link_id,
                    workspace_id,
                    from_timestamp(at, utc),
                    referrer_host(referer) if referer else "",
                    int(device),
                    is_bot,
                    str(country(address)) if country is not None else "",
                )
            )
        return rows


def _load_user_agent_rules() -> None:
    from portevoix.links.clients import classify

    classify("Mozilla/5.0")  # load the rules now, not in the middle of the first batch


def wrap(app: ASGIApp) -> FastPath:
    """The fast path in front of ``app`` with the settings of this install (portevoix/asgi.py)."""
    from django.conf import settings

    return FastPath(
        app,
        ttl=settings.PORTEVOIX_LINKS_CACHE_SECONDS,
        flush_interval=settings.PORTEVOIX_LINKS_FLUSH_SECONDS,
        geoip_path=settings.PORTEVOIX_GEOIP_PATH or None,
    )
