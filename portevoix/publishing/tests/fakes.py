"""A scripted network for the engine's tests: a Connector subclass registered for one test.

``Scripted`` (key ``scripted``) does no HTTP. What ``publish`` does next is queued on the shared
``Script``: a ``Published`` to return, an exception to raise, or ``ACCEPT_THEN_TIMEOUT`` (the network keeps
the post, then the answer is lost: ``OutcomeUnknown``), ``PENDING`` (accepted, still processing) or a
callable taking the post. With nothing queued it accepts. ``find_published``
answers from what the network really holds (by idempotency key) unless a lookup outcome is queued.
``ScriptedNoRefresh`` cannot renew tokens; ``ScriptedManual`` has no publishing API at all.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar

from portevoix.connectors import registry
from portevoix.connectors.base import Connector
from portevoix.connectors.errors import OutcomeUnknown
from portevoix.connectors.types import (
    Auth,
    AuthKind,
    Capability,
    CredentialField,
    Limits,
    OutgoingPost,
    Published,
    RateLimit,
    TokenSet,
)

ACCEPT_THEN_TIMEOUT = "accept_then_timeout"
PENDING = "pending"


@dataclass
class Script:
    publish: deque[Any] = field(default_factory=deque)
    lookup: deque[Any] = field(default_factory=deque)
    refresh: deque[Any] = field(default_factory=deque)
    sent: list[OutgoingPost] = field(default_factory=list)  # every publish call, in order
    held: dict[str, Published] = field(default_factory=dict)  # what the network has, by idempotency key
    created: Counter[str] = field(default_factory=Counter)  # posts created per idempotency key
    lookups: list[tuple[str, datetime]] = field(default_factory=list)
    refreshes: int = 0
    tokens_seen: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1001))

    def then(self, *outcomes: Any) -> Script:
        self.publish.extend(outcomes)
        return self

    def received(self, key: str) -> int:
        return sum(1 for post in self.sent if post.idempotency_key == key)

    def _create(self, post: OutgoingPost, *, pending: bool = False) -> Published:
        number = next(self.ids)
        published = Published(remote_id=str(number), url=f"https://scripted.test/p/{number}", pending=pending)
        self.held[post.idempotency_key] = published
        self.created[post.idempotency_key] += 1
        return published


class Scripted(Connector):
    key = "scripted"
    label = "Scripted"
    capabilities = frozenset({Capability.PUBLISH, Capability.LOOKUP, Capability.IMAGES})
    limits = Limits(text=500, media=4)
    auth = Auth(kind=AuthKind.ACCESS_TOKEN, fields=(CredentialField("access_token", "Token", secret=True),))
    default_base_url = "https://api.scripted.test"
    script: ClassVar[Script] = Script()

    def publish(self, post: OutgoingPost) -> Published:
        script = type(self).script
        with script.lock:
            script.sent.append(post)
            script.tokens_seen.append(self.channel.credentials.get("access_token", ""))
            outcome = script.publish.popleft() if script.publish else None
        if callable(outcome) and not isinstance(outcome, BaseException):
            return outcome(post)  # a test's own behaviour (outside the lock: calls may overlap)
        with script.lock:
            if outcome is None:
                return script._create(post)
            if outcome == ACCEPT_THEN_TIMEOUT:
                script._create(post)
                raise OutcomeUnknown("Scripted did not answer in time.", detail="ReadTimeout")
            if outcome == PENDING:
                return script._create(post, pending=True)
            if isinstance(outcome, BaseException):
                raise outcome
            if isinstance(outcome, Published):
                script.held[post.idempotency_key] = outcome
                script.created[post.idempotency_key] += 1
                return outcome
            raise AssertionError(f"Unknown scripted outcome {outcome!r}")

    def find_published(self, post: OutgoingPost, *, since: datetime) -> Published | None:
        script = type(self).script
        with script.lock:
            script.lookups.append((post.idempotency_key, since))
            if script.lookup:
                outcome = script.lookup.popleft()
                if isinstance(outcome, BaseException):
                    raise outcome
                return outcome
            found = script.held.get(post.idempotency_key)
            if found is not None and found.pending:
                return found  # still processing, unless the test replaced it
            return found

    def refresh(self) -> TokenSet:
        script = type(self).script
        with script.lock:
            script.refreshes += 1
            outcome = script.refresh.popleft() if script.refresh else None
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome or TokenSet(access_token=f"fresh-token-{script.refreshes}", refresh_token="r2")


class ScriptedNoRefresh(Scripted):
    key = "scripted-norefresh"
    label = "Scripted (no refresh)"
    refresh = Connector.refresh  # type: ignore[assignment]


class ScriptedNoLookup(Scripted):
    key = "scripted-nolookup"
    label = "Scripted (no lookup)"
    capabilities = frozenset({Capability.PUBLISH})
    find_published = Connector.find_published  # type: ignore[assignment]


class ScriptedLimited(Scripted):
    key = "scripted-limited"
    label = "Scripted (2 posts per minute)"
    limits = Limits(text=500, rate_limits=(RateLimit(requests=2, per_seconds=60),))


class ScriptedManual(Connector):
    key = "scripted-manual"
    label = "Scripted (no API)"
    capabilities = frozenset()
    auth = Auth(kind=AuthKind.MANUAL)


FAKES: tuple[type[Connector], ...] = (
    Scripted,
    ScriptedNoRefresh,
    ScriptedNoLookup,
    ScriptedLimited,
    ScriptedManual,
)


@contextmanager
def registered() -> Iterator[Script]:
    """Register the scripted networks with a fresh script (shared by all of them) for the duration."""
    script = Script()
    Scripted.script = script
    for cls in FAKES:
        registry.CONNECTORS.pop(cls.key, None)
        registry.register(cls)
    try:
        yield script
    finally:
        for cls in FAKES:
            registry.CONNECTORS.pop(cls.key, None)
