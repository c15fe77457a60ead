"""A fake social network on 127.0.0.1 for the crash test, and the connectors that talk to it.

``FakeNetwork`` is a threaded HTTP server that records every publish request by idempotency key and
misbehaves on purpose, at random but reproducibly (a seed): it answers late, fails with 503, asks to slow
down with 429 and Retry-After, or accepts a post and then hangs past the client's timeout. It does NOT
honour idempotency keys (a second request with the same key creates a second post), so any duplicate
the engine sends shows up in ``created``. ``GET /lookup?key=`` finds a post by its key (reconciliation).

``CrashNet`` (key ``crashnet``) publishes to it and can look posts up; ``CrashNetNoLookup`` (key
``crashnet-nolookup``) cannot, so its ambiguous outcomes must end "unconfirmed", never resent.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import httpx

from portevoix.connectors import registry
from portevoix.connectors.base import Connector
from portevoix.connectors.types import Auth, AuthKind, Capability, CredentialField, OutgoingPost, Published

CLIENT_TIMEOUT = 1.0  # seconds; a hang is longer than this
HANG_SECONDS = 2.5
DELAY_SECONDS = 0.3

FIRST = (("ok", 0.40), ("delay", 0.25), ("fail", 0.10), ("ratelimit", 0.08), ("accept_hang", 0.17))
LATER = (("ok", 0.75), ("fail", 0.10), ("ratelimit", 0.05), ("accept_hang", 0.10))


class FakeNetwork:
    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()  # publish requests per key
        self.created: Counter[str] = Counter()  # posts created per key
        self.posts: dict[str, dict[str, Any]] = {}  # the first post created per key
        self.behaviours: Counter[str] = Counter()
        self.lookups = 0
        self._ids = iter(range(1, 10**9))
        network = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # An answer is written in two parts (headers, body): without this, Nagle's algorithm holds the
            # body until the client acknowledges the headers, tens of milliseconds on every call.
            disable_nagle_algorithm = True

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(
                self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
            ) -> None:
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the client gave up (timeout) or died

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                status, body, headers = network.publish(
                    str(payload.get("key", "")), str(payload.get("text", ""))
                )
                self._answer(status, body, headers)

            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                status, body = network.lookup(query.get("key", [""])[0])
                self._answer(status, body)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 1024  # a worker opening many connections at once is not refused

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client killed mid-request (the point of the test) resets its connection

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeNetwork:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _choose(self, key: str) -> str:
        with self.lock:
            table = FIRST if self.requests[key] == 0 else LATER
            self.requests[key] += 1
            draw, total = self.rng.random(), 0.0
            name = table[-1][0]
            for candidate, weight in table:
                total += weight
                if draw < total:
                    name = candidate
                    break
            self.behaviours[name] += 1
            return name

    def _create(self, key: str, text: str) -> dict[str, Any]:
        with self.lock:
            number = next(self._ids)
            self.created[key] += 1
            post = {"id": number, "url": f"https://fakenet.test/p/{number}", "key": key, "text": text}
            self.posts.setdefault(key, post)
            return post

    def publish(self, key: str, text: str) -> tuple[int, dict[str, Any], dict[str, str]]:
        behaviour = self._choose(key)
        if behaviour == "fail":
            return 503, {"error": "temporarily unavailable"}, {}
        if behaviour == "ratelimit":
            return 429, {"error": "slow down"}, {"Retry-After": "1"}
        if behaviour == "delay":
            time.sleep(DELAY_SECONDS)
        post = self._create(key, text)
        if behaviour == "accept_hang":
            time.sleep(HANG_SECONDS)  # the client has given up by now
        return 200, {"id": post["id"], "url": post["url"]}, {}

    def lookup(self, key: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.lookups += 1
            post = self.posts.get(key)
        if post is None:
            return 404, {"error": "not found"}
        return 200, {"id": post["id"], "url": post["url"]}


class CrashNet(Connector):
    key = "crashnet"
    label = "Crash test network"
    capabilities = frozenset({Capability.PUBLISH, Capability.LOOKUP})
    auth = Auth(kind=AuthKind.ACCESS_TOKEN, fields=(CredentialField("access_token", "Token", secret=True),))
    default_base_url = "http://127.0.0.1"
    timeout: ClassVar[float] = CLIENT_TIMEOUT

    def publish(self, post: OutgoingPost) -> Published:
        response = self.request(
            "POST",
            self.url("/publish"),
            writes=True,
            json={"key": post.idempotency_key, "text": post.text},
            timeout=self.timeout,
        )
        data = self.json(response)
        return Published(remote_id=str(data["id"]), url=data["url"])

    def find_published(self, post: OutgoingPost, *, since: datetime) -> Published | None:
        response = self.request(
            "GET",
            self.url("/lookup"),
            params={"key": post.idempotency_key},
            timeout=self.timeout,
            classify=_allow_404,
        )
        if response.status_code == 404:
            return None
        data = self.json(response)
        return Published(remote_id=str(data["id"]), url=data["url"])


class CrashNetNoLookup(CrashNet):
    key = "crashnet-nolookup"
    label = "Crash test network (no lookup)"
    capabilities = frozenset({Capability.PUBLISH})
    find_published = Connector.find_published  # type: ignore[assignment]


def _allow_404(response: httpx.Response) -> None:
    if response.status_code != 404:
        CrashNet.classify_response(CrashNet.__new__(CrashNet), response)


def register() -> None:
    for cls in (CrashNet, CrashNetNoLookup):
        registry.CONNECTORS.pop(cls.key, None)
        registry.register(cls)
