"""An httpx transport on the standard library's ``http.client``, for the publishing engine's hot path.

Why: httpx's own transport (httpcore + h11) spends about 300 us of CPU per request; ``http.client`` about
120 us (measured on the bench machine, docs/decisions/0012-publishing-transport.md). A worker sending a
thousand posts due at the same second is bound by that CPU (one interpreter lock per process), so the
engine's clients use this transport; every other client in Portevoix keeps httpx's.

What it keeps from ``core.http.GuardedTransport``: only http(s), and the destination checked against the
SSRF policy (``check_host``) before a connection is opened. What it does: HTTP/1.1 with keep-alive (a few
idle connections per origin, dropped after ``keepalive_expiry`` or when the server has closed them, which
is checked before a connection is reused so that a request is never written into a dead connection),
connect/read/write timeouts from the request, TLS with the given SSL context, bodies from bytes or
streamed (multipart uploads are never read into memory), responses streamed to httpx (which decodes
gzip/deflate). Errors come out as httpx's exceptions, so connectors classify them as before. No proxies
and no HTTP/2 (neither do the engine's clients use them).

Not thread-safe: one instance per thread (``publishing.runtime.PerThreadTransport``).
"""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from portevoix.core import turns
from portevoix.core.http import BlockedAddress, check_host

Origin = tuple[str, str, int]

_PROTOCOL_ERRORS = (http.client.HTTPException, ValueError)


def _poll(sock: socket.socket, timeout: float | None) -> bool:
    """True once ``sock`` has something to read (or was closed), False after ``timeout`` seconds.
    ``poll``, not ``select``: a worker may hold more than 1,024 descriptors."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(None if timeout is None else max(0, int(timeout * 1000))))


class _OneWrite:
    """``http.client`` writes the headers and a body in two ``send`` calls: two packets and two wake-ups of
    the server per request. A body given as bytes goes out with the headers in one write instead."""

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        if isinstance(message_body, bytes) and not encode_chunked:
            buffer = self._buffer  # type: ignore[attr-defined]
            buffer.extend((b"", message_body))
            message = b"\r\n".join(buffer)
            del buffer[:]
            self.send(message)  # type: ignore[attr-defined]
            return
        super()._send_output(message_body, encode_chunked)  # type: ignore[misc]


class _HTTPConnection(_OneWrite, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_OneWrite, http.client.HTTPSConnection):
    pass


class _Connection:
    __slots__ = ("conn", "idle_since")

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self.conn = conn
        self.idle_since = 0.0

    def alive(self, now: float, expiry: float) -> bool:
        sock = self.conn.sock
        if sock is None or now - self.idle_since > expiry:
            return False
        try:  # readable while idle: the server closed it (or sent garbage); either way it is unusable
            return not _poll(sock, 0)
        except (OSError, ValueError):
            return False


_held = threading.local()


@contextlib.contextmanager
def first_write_not_before(timestamp: float) -> Iterator[None]:
    """Requests made by this thread inside the block are prepared at once (connection, headers, body)
    but the first one is written to the network no earlier than ``timestamp`` (epoch seconds): the
    publishing engine hands a post to its thread ahead of the post's time, so that at the time only the
    write is left to do."""
    _held.not_before = timestamp
    try:
        yield
    finally:
        _held.not_before = None


def _wait_for_first_write() -> None:
    not_before = getattr(_held, "not_before", None)
    if not_before is None:
        return
    _held.not_before = None  # the later requests of the same call go at once
    delay = not_before - time.time()
    if delay > 0:
        with turns.released(then_send=True):
            time.sleep(delay)


class StdlibTransport(httpx.BaseTransport):
    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext | None = None,
        max_idle_per_origin: int = 2,
        keepalive_expiry: float = 30.0,
        socket_options: list[tuple[int, int, int]] | None = None,
    ) -> None:
        self.ssl_context = ssl_context or httpx.create_ssl_context()
        self.max_idle = max_idle_per_origin
        self.keepalive_expiry = keepalive_expiry
        self.socket_options = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1), *(socket_options or [])]
        self._idle: dict[Origin, list[_Connection]] = {}

    # --- connections ---------------------------------------------------------------------------------

    def _checkout(self, origin: Origin, timeout: dict[str, float | None]) -> _Connection:
        now = time.monotonic()
        idle = self._idle.get(origin, [])
        while idle:
            connection = idle.pop()
            if connection.alive(now, self.keepalive_expiry):
                return connection
            connection.conn.close()
        return self._open(origin, timeout)

    def _open(self, origin: Origin, timeout: dict[str, float | None]) -> _Connection:
        scheme, host, port = origin
        connect_timeout = timeout.get("connect")
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = _HTTPSConnection(host, port, timeout=connect_timeout, context=self.ssl_context)
        else:
            conn = _HTTPConnection(host, port, timeout=connect_timeout)
        try:
            with turns.released():
                conn.connect()
        except TimeoutError as error:
            conn.close()
            raise httpx.ConnectTimeout(str(error) or "Connection timed out") from error
        except (OSError, ssl.SSLError) as error:  # refused, unreachable, unresolvable, TLS failure
            conn.close()
            raise httpx.ConnectError(str(error) or type(error).__name__) from error
        assert conn.sock is not None
        for level, option, value in self.socket_options:
            conn.sock.setsockopt(level, option, value)
        return _Connection(conn)

    def _checkin(self, origin: Origin, connection: _Connection) -> None:
        idle = self._idle.setdefault(origin, [])
        if len(idle) >= self.max_idle:
            connection.conn.close()
            return
        connection.idle_since = time.monotonic()
        idle.append(connection)

    def close(self) -> None:
        idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.conn.close()

    # --- requests ------------------------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in {"http", "https"}:
            raise BlockedAddress(f"Only http and https URLs are allowed, not {url.scheme}.")
        port = url.port or (443 if url.scheme == "https" else 80)
        check_host(url.host, port, around_lookup=turns.released)
        origin: Origin = (url.scheme, url.host, port)
        timeout: dict[str, float | None] = request.extensions.get("timeout", {})
        connection = self._checkout(origin, timeout)
        conn = connection.conn
        try:
            _wait_for_first_write()
            self._send(conn, request, timeout)
            response = self._receive(conn, request, timeout)
        except BaseException:
            conn.close()
            raise
        stream = _ResponseStream(
            response, lambda complete: self._release(origin, connection, response, complete=complete)
        )
        return httpx.Response(
            status_code=response.status,
            headers=response.getheaders(),
            stream=stream,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": response.reason.encode("latin-1")},
        )

    def _send(
        self, conn: http.client.HTTPConnection, request: httpx.Request, timeout: dict[str, Any]
    ) -> None:
        assert conn.sock is not None
        conn.sock.settimeout(timeout.get("write"))
        target = request.url.raw_path.decode("ascii")
        chunked = request.headers.get("Transfer-Encoding", "").lower() == "chunked"
        try:
            conn.putrequest(request.method, target, skip_host=True, skip_accept_encoding=True)
            for name, value in request.headers.raw:
                conn.putheader(name, value)
            if isinstance(request.stream, httpx.ByteStream):
                # The whole body with the headers: one write (TCP_NODELAY is on).
                body = request.read()
                conn.endheaders(body or None, encode_chunked=chunked)
            else:
                with turns.released():  # files read from disk, written as fast as the network takes them
                    conn.endheaders()
                    for chunk in request.stream:  # type: ignore[union-attr]
                        if not chunk:
                            continue
                        conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
                    if chunked:
                        conn.send(b"0\r\n\r\n")
        except TimeoutError as error:
            raise httpx.WriteTimeout(str(error) or "Write timed out", request=request) from error
        except OSError as error:
            raise httpx.WriteError(str(error) or type(error).__name__, request=request) from error

    def _receive(
        self, conn: http.client.HTTPConnection, request: httpx.Request, timeout: dict[str, Any]
    ) -> http.client.HTTPResponse:
        assert conn.sock is not None
        read_timeout = timeout.get("read")
        conn.sock.settimeout(read_timeout)
        try:
            with turns.released():  # the network's latency: the others run meanwhile
                if not _poll(conn.sock, read_timeout):
                    raise TimeoutError("Read timed out")
            return conn.getresponse()
        except TimeoutError as error:
            raise httpx.ReadTimeout(str(error) or "Read timed out", request=request) from error
        except _PROTOCOL_ERRORS as error:  # the server closed the connection or answered garbage
            raise httpx.RemoteProtocolError(str(error) or type(error).__name__, request=request) from error
        except OSError as error:
            raise httpx.ReadError(str(error) or type(error).__name__, request=request) from error

    def _release(
        self, origin: Origin, connection: _Connection, response: http.client.HTTPResponse, *, complete: bool
    ) -> None:
        """The response was read to its end (keep the connection unless the server closes it) or closed
        early (drop it: the rest of the body is still on the wire)."""
        response.close()
        if complete and not response.will_close and connection.conn.sock is not None:
            self._checkin(origin, connection)
        else:
            connection.conn.close()


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, response: http.client.HTTPResponse, release: Callable[[bool], None]) -> None:
        self.response = response
        self.release: Callable[[bool], None] | None = release
        self.complete = False

    def __iter__(self) -> Iterator[bytes]:
        # A short body is in the buffer already; a long or open-ended one may trickle: let the others run.
        length = self.response.length
        around = turns.released if length is None or length > 65536 else contextlib.nullcontext
        try:
            while True:
                with around():
                    chunk = self.response.read1(65536)
                if not chunk:
                    break
                yield chunk
        except TimeoutError as error:
            raise httpx.ReadTimeout(str(error) or "Read timed out") from error
        except _PROTOCOL_ERRORS as error:
            raise httpx.RemoteProtocolError(str(error) or type(error).__name__) from error
        except OSError as error:
            raise httpx.ReadError(str(error) or type(error).__name__) from error
        self.complete = True

    def close(self) -> None:
        if self.release is not None:
            release, self.release = self.release, None
            release(self.complete)
