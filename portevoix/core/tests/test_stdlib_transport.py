"""The publishing engine's transport on ``http.client``: what httpx's own transport does, against real local
servers (plain and TLS), with httpx's exceptions for every failure; and its first-write hold."""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from portevoix.core import http
from portevoix.core.stdlib_transport import StdlibTransport, first_write_not_before


class Recorder(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.connections: set[tuple[str, int]] = set()
        self.bodies: list[bytes] = []
        self.arrivals: list[float] = []
        self.headers_seen: list[dict[str, str]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the read-timeout test's client hangs up before the late answer: expected, not worth a trace


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Recorder

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            data = b""
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.server.arrivals.append(time.time())
        self.server.connections.add(self.client_address)
        body = self._body()
        self.server.bodies.append(body)
        self.server.headers_seen.append(dict(self.headers))
        self._answer(201, json.dumps({"size": len(body)}).encode(), {"Content-Type": "application/json"})

    def do_GET(self) -> None:
        self.server.connections.add(self.client_address)
        if self.path == "/gzip":
            self._answer(200, gzip.compress(b"hello " * 100), {"Content-Encoding": "gzip"})
        elif self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"one,", b"two,", b"three"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/slow":
            time.sleep(1.0)
            self._answer(200, b"late")
        elif self.path == "/close":
            self._answer(200, b"bye", {"Connection": "close"})
            self.close_connection = True
        elif self.path == "/garbage":
            self.wfile.write(b"NOT HTTP AT ALL\r\n\r\n")
            self.close_connection = True
        elif self.path == "/headers":
            self._answer(200, b"", {"Set-Cookie": "a=1", "X-Two": "2"})
        else:
            self._answer(404, b"{}")


@pytest.fixture
def server() -> Iterator[Recorder]:
    server = Recorder()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def client(settings) -> Iterator[httpx.Client]:
    settings.PORTEVOIX_HTTP_ALLOW_PRIVATE = True
    with http.client(transport=StdlibTransport(), timeout=httpx.Timeout(0.5, connect=0.5)) as client:
        yield client


def test_json_round_trip_on_one_kept_alive_connection(server, client):
    for n in range(5):
        response = client.post(f"{server.url}/publish", json={"n": n, "text": "Привет"})
        assert response.status_code == 201
        assert json.loads(server.bodies[-1]) == {"n": n, "text": "Привет"}
        assert response.json() == {"size": len(server.bodies[-1])}
    assert len(server.connections) == 1  # every request reused the first connection
    assert server.headers_seen[0]["User-Agent"].startswith("Portevoix/")


def test_streamed_multipart_body_arrives_whole(server, client, tmp_path: Path):
    picture = tmp_path / "picture.bin"
    picture.write_bytes(bytes(range(256)) * 4096)  # 1 MiB, streamed from the file
    with picture.open("rb") as handle:
        response = client.post(f"{server.url}/upload", files={"photo": ("p.bin", handle)}, data={"x": "1"})
    assert response.status_code == 201
    assert bytes(range(256)) * 4096 in server.bodies[0]


def test_a_generator_body_goes_chunked(server, client):
    response = client.post(f"{server.url}/stream", content=iter([b"abc", b"", b"def"]))
    assert response.status_code == 201
    assert server.bodies == [b"abcdef"]
    assert server.headers_seen[0]["Transfer-Encoding"] == "chunked"


def test_gzip_and_chunked_answers_are_decoded(server, client):
    assert client.get(f"{server.url}/gzip").text == "hello " * 100
    assert client.get(f"{server.url}/chunked").text == "one,two,three"
    headers = client.get(f"{server.url}/headers").headers
    assert (headers["set-cookie"], headers["x-two"]) == ("a=1", "2")


def test_a_connection_the_server_closed_is_not_reused(server, client):
    assert client.get(f"{server.url}/close").text == "bye"
    assert client.post(f"{server.url}/publish", json={}).status_code == 201
    assert len(server.connections) == 2


def test_an_idle_connection_closed_by_the_server_is_replaced_before_writing(server, client):
    client.post(f"{server.url}/publish", json={})
    transport = client._transport
    assert isinstance(transport, StdlibTransport)
    # The server drops the idle connection (its keep-alive timeout): shut the socket's peer side down.
    (idle,) = next(iter(transport._idle.values()))
    idle.conn.sock.shutdown(socket.SHUT_RD)
    server_side_closed = idle.conn.sock
    assert server_side_closed is not None
    assert client.post(f"{server.url}/publish", json={}).status_code == 201
    assert len(server.connections) == 2


def test_read_timeout_is_httpx_read_timeout_and_the_connection_is_dropped(server, client):
    with pytest.raises(httpx.ReadTimeout):
        client.get(f"{server.url}/slow")
    assert client._transport._idle == {}  # type: ignore[attr-defined]


def test_garbage_is_a_remote_protocol_error(server, client):
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(f"{server.url}/garbage")


def test_refused_connection_is_a_connect_error(client):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once closed
    with pytest.raises(httpx.ConnectError):
        client.get(f"http://127.0.0.1:{port}/")


def test_private_addresses_stay_blocked(settings):
    settings.PORTEVOIX_HTTP_ALLOW_PRIVATE = False
    with http.client(transport=StdlibTransport()) as client:
        for url in ("http://127.0.0.1:9/", "http://169.254.169.254/latest/meta-data/", "http://[::1]/"):
            with pytest.raises(http.BlockedAddress):
                client.get(url)
        with pytest.raises(http.BlockedAddress):
            client.get("ftp://example.com/")


def test_the_first_write_waits_for_its_time_and_the_rest_go_at_once(server, client):
    client.post(f"{server.url}/publish", json={})  # connection open ahead
    due = time.time() + 0.3
    with first_write_not_before(due):
        client.post(f"{server.url}/publish", json={"n": 1})
        client.post(f"{server.url}/publish", json={"n": 2})
    first, second = server.arrivals[1], server.arrivals[2]
    assert first >= due
    assert second - first < 0.2  # only the first request of the call was held
    client.post(f"{server.url}/publish", json={"n": 3})  # outside the block: no hold
    assert server.arrivals[3] - second < 0.2


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def test_tls_is_verified_with_the_given_context(server, settings, tmp_path):
    settings.PORTEVOIX_HTTP_ALLOW_PRIVATE = True
    cert, key = _self_signed(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    url = server.url.replace("http://", "https://")

    trusting = ssl.create_default_context(cafile=str(cert))
    with http.client(transport=StdlibTransport(ssl_context=trusting)) as client:
        assert client.post(f"{url}/publish", json={"tls": True}).status_code == 201
    with http.client(transport=StdlibTransport()) as client, pytest.raises(httpx.ConnectError):
        client.post(f"{url}/publish", json={})  # not signed by a known authority
