"""The link caches of the redirect fast paths running in this process, so that a service that disables or
changes a link forgets it at once here (other processes see the change when their entry expires)."""

from __future__ import annotations

import weakref
from typing import Protocol


class Forgetting(Protocol):
    def forget(self, code: str) -> None: ...

    def reload_domains(self) -> None: ...


_live: weakref.WeakSet[Forgetting] = weakref.WeakSet()  # type: ignore[type-var]


def register(path: Forgetting) -> None:
    _live.add(path)


def forget(code: str) -> None:
    for path in list(_live):
        path.forget(code)


def domains_changed() -> None:
    for path in list(_live):
        path.reload_domains()
