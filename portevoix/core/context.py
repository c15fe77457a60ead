"""Where the current action comes from (UI, API, CLI, task) and the client address, for the audit log.

Set by the middleware and the API authentication; services read it, so they never need the request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    via: str = "cli"
    ip_address: str | None = None


_origin: ContextVar[Origin] = ContextVar("portevoix_origin", default=Origin())


def current_origin() -> Origin:
    return _origin.get()


@contextmanager
def origin(via: str, ip_address: str | None = None) -> Iterator[Origin]:
    value = Origin(via=via, ip_address=ip_address)
    token = _origin.set(value)
    try:
        yield value
    finally:
        _origin.reset(token)


def set_origin(via: str, ip_address: str | None = None) -> None:
    """Set the origin for the rest of the current context (a request handled by one thread or task)."""
    _origin.set(Origin(via=via, ip_address=ip_address))
