"""Where the engine meets the channels app and the media store: the one module to swap in tests.

- ``connector_for(channel)``: the channel's connector with its decrypted credentials and a guarded HTTP
  client (``portevoix.core.http``'s SSRF guard) with a small connection pool per calling thread over
  ``http.client`` (``core.stdlib_transport``); a connector error (disconnected channel, unreadable
  credentials, network not installed) comes out as the connectors' typed error.
- ``refresh(channel)``: single-flight token renewal (channels/services.py ``channel_refresh``).
- ``report_channel_error(channel, error)``: a revoked or expired authorisation marks the channel for
  reconnection.
- ``media_items(attachments)``: a post's attachments as the connectors' ``MediaItem`` (a local file path).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import httpx
from django.conf import settings

from portevoix.channels import runtime as channel_runtime
from portevoix.channels import selectors as channel_selectors
from portevoix.channels import services as channel_services
from portevoix.channels.models import Channel
from portevoix.connectors.base import Connector
from portevoix.connectors.errors import ConnectorError
from portevoix.connectors.types import MediaItem
from portevoix.content.models import PostMedia
from portevoix.core import http
from portevoix.core.stdlib_transport import StdlibTransport

logger = logging.getLogger(__name__)


def connector_class(network: str) -> type[Connector] | None:
    return channel_runtime.connector_class(network)


class PerThreadTransport(httpx.BaseTransport):
    """One guarded transport (and so one small connection pool) per calling thread.

    httpcore's pool looks at every connection it holds on each request (expiry checks with a poll per idle
    connection, under one lock), so one pool shared by a hundred threads spends more time in itself than
    on the network. Each pool thread of a worker calls one request at a time: its own pool of a couple of
    connections is all it needs, and the threads never wait for each other."""

    def __init__(self, factory: Callable[[], httpx.BaseTransport]) -> None:
        self._factory = factory
        self._local = threading.local()
        self._lock = threading.Lock()
        self._transports: list[httpx.BaseTransport] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        transport = getattr(self._local, "transport", None)
        if transport is None:
            transport = self._local.transport = self._factory()
            with self._lock:
                self._transports.append(transport)
        return transport.handle_request(request)

    def close(self) -> None:
        with self._lock:
            transports, self._transports = self._transports, []
        for transport in transports:
            transport.close()


def publishing_client() -> httpx.Client:
    """A guarded client for a worker's calls to one channel, safe to share between its pool threads:
    each thread keeps its own connections alive (``PerThreadTransport``) through the standard library's
    ``http.client`` (``core.stdlib_transport``: the same SSRF guard, about a third of httpx's own
    transport's CPU per request, which bounds how fast a burst of due posts goes out). TCP_NODELAY is on:
    Nagle's algorithm would hold a body written after its headers until the peer acknowledges them."""

    context = httpx.create_ssl_context()  # one per client: building one costs milliseconds

    def transport() -> httpx.BaseTransport:
        return StdlibTransport(ssl_context=context, max_idle_per_origin=2, keepalive_expiry=30.0)

    return http.client(transport=PerThreadTransport(transport))


def connector_for(channel: Channel) -> Connector:
    """Raises ``ReauthRequired`` or ``NotSupported`` (connectors/errors.py) when it cannot be built."""
    client = publishing_client()
    try:
        return channel_runtime.connector_for(channel, client=client)
    except BaseException:
        client.close()
        raise


def persist_session(channel: Channel, connector: Connector) -> bool:
    """Store a session the connector opened or renewed into the channel's credentials (never raises)."""
    return channel_runtime.persist_session(channel, connector)


def close(connector: Connector) -> None:
    try:
        connector.http.close()
    except Exception:  # closing must never hide the outcome of a publication
        logger.debug("Closing a connector's HTTP client failed", exc_info=True)


def can_refresh(channel: Channel) -> bool:
    return channel_selectors.can_refresh(channel.network)


def refresh(channel: Channel) -> bool:
    """Renew the channel's tokens now; True when new tokens were stored. Single-flight across workers:
    False at once when another worker holds the refresh."""
    return channel_services.channel_refresh(channel=channel, force=True)


def report_channel_error(channel: Channel, error: ConnectorError) -> None:
    channel_services.channel_report_error(channel=channel, error=error)


def scrub(text: str, connector: Connector | None) -> str:
    """Mask the channel's credentials in a text that came from a connector (belt and braces)."""
    if connector is None:
        return text
    return channel_runtime.scrub(text, connector.channel.credentials)


def media_items(attachments: Iterable[PostMedia]) -> tuple[MediaItem, ...]:
    """``attachments``: one post's ``PostMedia`` rows, their asset loaded (``select_related("asset")``)."""
    items = []
    for attachment in sorted(attachments, key=lambda item: (item.position, item.pk)):
        asset = attachment.asset
        items.append(
            MediaItem(
                kind=asset.kind,
                path=_local_path(asset.file, asset.sha256, asset.extension),
                content_type=asset.content_type,
                size=asset.size,
                filename=asset.original_name or f"{asset.sha256[:12]}.{asset.extension}",
                width=asset.width,
                height=asset.height,
                duration_seconds=asset.duration_seconds,
                alt_text=asset.alt_text,
            )
        )
    return tuple(items)


def _local_path(file: object, sha256: str, extension: str) -> Path:
    """The file on local disk; a copy in the data directory when the storage is remote (S3)."""
    try:
        return Path(file.path)  # type: ignore[attr-defined]
    except NotImplementedError:
        pass
    cache = Path(settings.DATA_DIR) / "cache" / "publishing-media"
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{sha256}.{extension}"
    if not path.exists():
        with tempfile.NamedTemporaryFile(dir=cache, delete=False) as out, file.open("rb") as source:  # type: ignore[attr-defined]
            shutil.copyfileobj(source, out)
        Path(out.name).replace(path)
    return path
