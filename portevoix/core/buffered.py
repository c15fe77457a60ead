"""A buffer that a hot path records into and one background thread stores from, in batches.

The redirect and tracker fast paths (links/fastpath.py, analytics/fastpath.py) answer without touching the
database: each click or beacon is appended here, and a writer thread stores the batch every
``flush_interval`` seconds, or at once when ``flush_size`` items wait. At most ``max_buffer`` items are
held: beyond that the database is not keeping up, and items are dropped and counted (and logged, not once
per item). A batch that fails is kept and tried again at the next flush, at most ``max_attempts`` times in
a row when that is set (a batch the database refuses for good must not block the ones after it).
``stop()`` stores what is left (the ASGI lifespan shutdown calls it; so does ``atexit``): no item is lost on
a graceful restart.
"""

from __future__ import annotations

import atexit
import collections
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

logger = logging.getLogger(__name__)

Item = TypeVar("Item")


class BufferedWriter(Generic[Item]):
    def __init__(
        self,
        store: Callable[[Sequence[Any]], int],
        *,
        name: str,
        what: str,
        prepare: Callable[[list[Item]], list[Any]] | None = None,
        flush_interval: float = 1.0,
        flush_size: int = 1000,
        max_buffer: int = 1_000_000,
        max_attempts: int | None = None,
        on_start: Callable[[], None] | None = None,
    ) -> None:
        """``store`` writes prepared rows and returns how many it stored; ``prepare`` turns recorded items
        into rows (in the writer thread, off the hot path); ``name`` names the thread; ``what`` names the
        items in log lines ("clicks")."""
        self.store = store
        self.name, self.what = name, what
        self._prepare = prepare or list
        self.flush_interval, self.flush_size, self.max_buffer = flush_interval, flush_size, max_buffer
        self.max_attempts = max_attempts
        self._on_start = on_start
        self._buffer: collections.deque[Item] = collections.deque()
        self._retry: list[Any] = []  # prepared rows of a batch that failed
        self._failures = 0
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._flush_lock = threading.Lock()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.stored = 0
        self.dropped = 0
        atexit.register(self._at_exit)

    def record(self, item: Item) -> None:
        """On the hot path: append, never block, never touch the database."""
        buffer = self._buffer
        if len(buffer) >= self.max_buffer:
            self.dropped += 1
            if self.dropped % 10_000 == 1:
                logger.error(
                    "The %s buffer is full (%s): the database is not keeping up; dropped",
                    self.what,
                    len(buffer),
                )
            return
        buffer.append(item)
        if self._thread is None:
            self.start()
        if len(buffer) >= self.flush_size:
            self._wake.set()

    def pending(self) -> int:
        return len(self._buffer) + len(self._retry)

    def start(self) -> None:
        with self._start_lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        if self._on_start is not None:
            self._on_start()
        while not self._stopping.is_set():
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # never let the writer die; the batch waits for the next try
                logger.exception("Storing %s failed; retrying at the next flush", self.what)
        from django.db import connection

        connection.close()  # this thread's own connection

    def flush(self) -> int:
        """Store what is buffered now; returns how many rows were stored. Raises what ``store`` raised
        (the batch is kept for the next flush, or dropped after ``max_attempts`` failures in a row)."""
        with self._flush_lock:
            buffer = self._buffer
            taken = [buffer.popleft() for _ in range(len(buffer))]
            rows = self._retry + (self._prepare(taken) if taken else [])
            self._retry = []
            if not rows:
                return 0
            try:
                stored = self.store(rows)
            except Exception:
                self._failures += 1
                if self.max_attempts is not None and self._failures >= self.max_attempts:
                    logger.error(
                        "Dropping %s %s refused %s times in a row", len(rows), self.what, self._failures
                    )
                    self.dropped += len(rows)
                    self._failures = 0
                else:
                    self._retry = rows
                from django.db import connection

                connection.close()  # a broken connection is reopened at the next try
                raise
            self._failures = 0
            self.stored += stored
            return stored

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the writer thread and store everything still buffered (lifespan shutdown)."""
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._thread = None
        for _attempt in range(3):
            try:
                self.flush()
                break
            except Exception:
                logger.exception("Storing %s at shutdown failed", self.what)
                time.sleep(0.5)

    def _at_exit(self) -> None:
        if self.pending():
            try:
                self.stop(timeout=5.0)
            except Exception:  # pragma: no cover - interpreter shutting down
                logger.exception("%s could not be stored at exit", self.what.capitalize())


class WithBufferedWriter:
    """For a fast path that owns a ``writer``: its counters and controls, named as the path's own."""

    writer: BufferedWriter[Any]

    @property
    def stored(self) -> int:
        return self.writer.stored

    @property
    def dropped(self) -> int:
        return self.writer.dropped

    def pending(self) -> int:
        return self.writer.pending()

    def start(self) -> None:
        self.writer.start()

    def flush(self) -> int:
        """Store what is buffered now; returns how many rows were stored."""
        return self.writer.flush()
