"""The site caches of the tracker fast paths running in this process, so that a service that changes a
site's domains or deletes it is seen at once here (other processes see it when their entry expires)."""

from __future__ import annotations

import weakref
from typing import Protocol


class Forgetting(Protocol):
    def forget(self, key: str) -> None: ...


_live: weakref.WeakSet[Forgetting] = weakref.WeakSet()  # type: ignore[type-var]


def register(path: Forgetting) -> None:
    _live.add(path)


def forget(key: str) -> None:
    for path in list(_live):
        path.forget(key)
