"""Turns: which of many threads doing network calls runs its Python code next, new requests first.

The publishing engine sends a burst of due posts from hundreds of pool threads in one process. When all of
them are ready to run at once, CPython hands its interpreter lock from thread to thread at great cost
(about 180 futex calls per request were measured with 256 threads; docs/decisions/0012), and a thread
with a fresh post to send waits behind threads reading answers to posts already sent. A ``Turns`` object
lets one thread run at a time among those that take part, and when the turn is handed on, a thread that
is about to send a new request goes before one that has an answer to read: every due post reaches the
network before the engine spends time on answers (their outcomes are recorded a moment later).

It is advisory: a thread releases its turn around anything that may block (``released()``: the
transport does so around connecting, waiting for an answer and streaming bodies; a connector around its
sleeps), so a slow network or a sleep never holds the others up. Code that does not take part (a thread
that never called ``take``) is not affected: ``released()`` is then a no-op.
"""

from __future__ import annotations

import contextlib
import threading
from collections import deque
from collections.abc import Iterator

_local = threading.local()


class Turns:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._busy = False
        self._new: deque[threading.Lock] = deque()  # threads about to send a new request
        self._answers: deque[threading.Lock] = deque()  # threads with an answer to read

    def take(self, *, new_request: bool = True) -> None:
        with self._lock:
            if not self._busy:
                self._busy = True
                _local.turns = self
                return
            waiter = threading.Lock()
            waiter.acquire()
            (self._new if new_request else self._answers).append(waiter)
        waiter.acquire()  # handed over by ``give``: the turn is ours, still marked busy
        _local.turns = self

    def give(self) -> None:
        _local.turns = None
        with self._lock:
            queue = self._new or self._answers
            if queue:
                queue.popleft().release()
            else:
                self._busy = False

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        self.take()
        try:
            yield
        finally:
            self.give()


@contextlib.contextmanager
def released(*, then_send: bool = False) -> Iterator[None]:
    """Let the others run while this thread blocks (network, sleep); take the turn back afterwards, as a
    thread with an answer to read (or, with ``then_send``, one about to send a request). A no-op for a
    thread that does not hold a turn."""
    turns: Turns | None = getattr(_local, "turns", None)
    if turns is None:
        yield
        return
    turns.give()
    try:
        yield
    finally:
        turns.take(new_request=then_send)
