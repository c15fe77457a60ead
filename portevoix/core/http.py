"""The one way Portevoix talks HTTP to the outside world.

Every outgoing request goes through ``client()``: bounded timeouts, a User-Agent naming the install, no
request to private, loopback, link-local or otherwise internal addresses unless the operator allows it
(SSRF: a user-entered Mastodon instance or webhook URL must not reach the intranet or a cloud metadata
service), and a log line per request that names the host and status but never a secret.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings

from portevoix import __version__

logger = logging.getLogger("portevoix.http")

DEFAULT_TIMEOUT = httpx.Timeout(20.0, connect=5.0)
USER_AGENT = f"Portevoix/{__version__} (+self-hosted social media marketing)"


class BlockedAddress(httpx.TransportError):
    """The URL points at an address that outgoing requests may not reach."""


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _allowed_private_hosts() -> set[str]:
    return {host.lower() for host in getattr(settings, "PORTEVOIX_HTTP_ALLOWED_PRIVATE_HOSTS", [])}


def check_host(
    host: str,
    port: int | None = None,
    *,
    around_lookup: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext,
) -> None:
    """Raise ``BlockedAddress`` unless every address ``host`` resolves to is public (or allowed).
    ``around_lookup``: entered around the DNS lookup (the publishing engine lets other threads run)."""
    if getattr(settings, "PORTEVOIX_HTTP_ALLOW_PRIVATE", False) or host.lower() in _allowed_private_hosts():
        return
    try:
        with around_lookup():
            infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as error:
        raise httpx.ConnectError(f"Cannot resolve {host}: {error}") from None
    addresses = {str(info[4][0]) for info in infos}
    blocked = sorted(address for address in addresses if not is_public_address(address))
    if blocked:
        raise BlockedAddress(
            f"{host} resolves to a private or internal address ({', '.join(blocked)}); outgoing requests "
            "may not reach it. An operator can allow it with PORTEVOIX_HTTP_ALLOWED_PRIVATE_HOSTS."
        )


class GuardedTransport(httpx.HTTPTransport):
    """Checks the destination of every request, redirects included (each hop is a new request)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme not in {"http", "https"}:
            raise BlockedAddress(f"Only http and https URLs are allowed, not {request.url.scheme}.")
        check_host(request.url.host, request.url.port)
        return super().handle_request(request)


def _log_response(response: httpx.Response) -> None:
    request = response.request
    # Host and status only: paths and queries can carry secrets (Telegram puts the bot token in the path).
    logger.info("%s %s -> %s", request.method, request.url.host, response.status_code)


def client(*, timeout: httpx.Timeout | float | None = None, **kwargs: Any) -> httpx.Client:
    """A new ``httpx.Client`` with Portevoix's policy. Close it (or use it as a context manager)."""
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    return httpx.Client(
        timeout=timeout if timeout is not None else DEFAULT_TIMEOUT,
        headers=headers,
        transport=kwargs.pop("transport", None) or GuardedTransport(retries=0),
        follow_redirects=kwargs.pop("follow_redirects", False),
        event_hooks={"response": [_log_response]},
        **kwargs,
    )


def validate_outgoing_url(url: str) -> str:
    """Check a URL a person typed (an instance, a webhook, a feed) before it is stored.

    Returns the URL; raises ``ValueError`` with a message fit for the form when it is not an absolute
    http(s) URL or when it points at a private address.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError("Enter an address that starts with https:// (or http://).")
    if parts.username or parts.password:
        raise ValueError("Addresses with a user name or password in them are not accepted.")
    try:
        check_host(parts.hostname, parts.port)
    except BlockedAddress as error:
        raise ValueError(str(error)) from None
    except httpx.ConnectError:
        raise ValueError(f"{parts.hostname} does not resolve to any address.") from None
    return url.strip()
