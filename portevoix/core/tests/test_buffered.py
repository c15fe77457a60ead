"""The hot paths' buffered writer: batches, retries, a bound on memory, and nothing lost on stop."""

from __future__ import annotations

import threading

import pytest

from portevoix.core.buffered import BufferedWriter


class Store:
    def __init__(self) -> None:
        self.batches: list[list[object]] = []
        self.failing = 0
        self.stored = threading.Event()

    def __call__(self, rows) -> int:
        if self.failing:
            self.failing -= 1
            raise RuntimeError("database refused")
        self.batches.append(list(rows))
        self.stored.set()
        return len(rows)


def test_items_are_prepared_and_stored_in_one_batch_by_the_writer_thread():
    store = Store()
    writer = BufferedWriter(
        store,
        name="t",
        what="things",
        prepare=lambda items: [i * 10 for i in items],
        flush_interval=3600,
        flush_size=3,
    )
    for item in (1, 2, 3):
        writer.record(item)
    assert store.stored.wait(5)  # the third item woke the writer at once (flush_size)
    writer.stop()
    assert store.batches == [[10, 20, 30]]
    assert (writer.stored, writer.pending()) == (3, 0)


def test_a_failed_batch_is_kept_and_stored_at_the_next_flush():
    store = Store()
    store.failing = 1
    writer = BufferedWriter(store, name="t", what="things", flush_interval=3600)
    writer.record("a")
    with pytest.raises(RuntimeError):
        writer.flush()
    assert writer.pending() == 1
    writer.record("b")
    assert writer.flush() == 2
    assert store.batches == [["a", "b"]]


def test_a_batch_refused_max_attempts_times_is_dropped_and_counted():
    store = Store()
    store.failing = 2
    writer = BufferedWriter(store, name="t", what="things", flush_interval=3600, max_attempts=2)
    writer.record("poison")
    for _ in range(2):
        with pytest.raises(RuntimeError):
            writer.flush()
    assert (writer.pending(), writer.dropped) == (0, 1)
    writer.record("next")
    assert writer.flush() == 1  # the batches after it are not blocked


def test_beyond_max_buffer_items_are_dropped_not_queued():
    writer = BufferedWriter(
        Store(), name="t", what="things", flush_interval=3600, flush_size=100, max_buffer=2
    )
    writer._thread = threading.current_thread()  # no writer thread: the buffer only fills
    for item in range(5):
        writer.record(item)
    assert (writer.pending(), writer.dropped) == (2, 3)


def test_stop_stores_everything_still_buffered():
    store = Store()
    writer = BufferedWriter(store, name="t", what="things", flush_interval=3600, flush_size=1000)
    for item in range(10):
        writer.record(item)
    writer.stop()
    assert sum(len(batch) for batch in store.batches) == 10
    assert writer.pending() == 0
