"""How claimed work reaches the network: one coordinating loop per worker, network calls in a pool.

``run()`` is what the ``publish_due`` task does (publishing/tasks.py). It claims due targets (prefetching
those due within ``prefetch``), keeps them in a heap ordered by their time, and at each target's time
writes its attempt row and hands the network call to a thread pool; as calls complete it records their
outcomes. All database work stays in this thread (one connection, one short transaction per batch of
claims, starts and outcomes), so many calls can be in flight without many connections or a long write
lock on SQLite. It renews the leases it holds, keeps claiming while it is busy, and returns once nothing
is due within the prefetch window (or after ``run_seconds``, so that one worker process also gets to run
other tasks). When a claim comes back full it enqueues another ``publish_due`` so that an idle worker
joins in.

With ``concurrency=1`` everything runs inline in the calling thread (the tests, and a debugger).
"""

from __future__ import annotations

import contextlib
import dataclasses
import heapq
import itertools
import logging
import os
import queue
import secrets
import signal
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from django.db import close_old_connections, connections, transaction
from django.utils import timezone

from portevoix.core.stdlib_transport import first_write_not_before
from portevoix.core.turns import Turns
from portevoix.publishing import claims
from portevoix.publishing.conf import Config
from portevoix.publishing.engine import Engine, Job, Mode, Result

logger = logging.getLogger(__name__)

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def new_worker_id() -> str:
    """Unique per run: a host, a process and a random suffix (a restarted process never reuses one)."""
    return f"{socket.gethostname()[:60]}-{os.getpid()}-{secrets.token_hex(4)}"


def pool(size: int) -> ThreadPoolExecutor:
    """One pool per process, reused by every run (its threads keep their HTTP connections warm)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size != size:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="portevoix-publish")
            _pool_size = size
        return _pool


# Seconds the outcomes of completed calls may wait while a burst of due jobs is being handed to the pool
# (the targets stay leased meanwhile; a lease lasts minutes).
RECORD_DELAY = 1.0

_warmed: dict[int, int] = {}  # id(pool) -> threads started ahead


def warm(size: int, threads: int) -> None:
    """Start up to ``threads`` pool threads now, ahead of a burst: the pool starts its threads one per
    submitted call, and starting them while the calls of a burst are being handed over delays those calls.
    A thread starts for each short sleep submitted while the others are still sleeping."""
    executor = pool(size)
    wanted = min(threads, size)
    missing = wanted - _warmed.get(id(executor), 0)
    for _ in range(max(0, missing)):
        executor.submit(time.sleep, 0.05)
    _warmed[id(executor)] = max(wanted, _warmed.get(id(executor), 0))


# The pool threads' turns (core.turns): one runs at a time, those with a new request to send first.
TURNS = Turns()


def _call_in_thread(job: Job) -> Result:
    if job.mode is not Mode.REFRESH:
        # Handed over up to ``start_ahead`` early: everything but the write is done before the time.
        with first_write_not_before(job.due.timestamp()), TURNS.turn():
            return Engine.call(job)
    # A token refresh stores the new tokens itself (channels app): this thread needs its own connection.
    close_old_connections()
    try:
        return Engine.call(job)
    finally:
        connections.close_all()


def worker_stopping() -> bool:
    """True once ``portevoix worker`` received SIGTERM/SIGINT: its signal handler is a bound method of the
    django-tasks-db worker, whose ``running`` flag turns false (the worker lets the current task finish)."""
    try:
        handler = signal.getsignal(signal.SIGTERM)
    except ValueError:
        return False
    owner = getattr(handler, "__self__", None)
    return owner is not None and getattr(owner, "running", True) is False


@dataclass
class Stats:
    claimed: int = 0
    started: int = 0
    finished: int = 0
    released: int = 0
    extra_runs: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "claimed": self.claimed,
            "started": self.started,
            "finished": self.finished,
            "released": self.released,
            "extra_runs": self.extra_runs,
            "seconds": round(self.seconds, 3),
        }


class Dispatcher:
    """One worker's loop. A target goes through three holding places:

    - ``heap``: claimed and prepared (channel, connector, history loaded), waiting for its time;
    - ``armed``: its attempt row committed (``Engine.begin``, up to ``start_ahead`` before its time, many
      targets in one transaction), waiting for its exact time and a free slot;
    - ``inflight``: its network call running in the pool.
    """

    def __init__(
        self,
        worker_id: str | None = None,
        *,
        config: Config | None = None,
        concurrency: int | None = None,
        on_full_batch: Callable[[], None] | None = None,
        stop: Callable[[], bool] = worker_stopping,
    ) -> None:
        self.config = config or Config.load()
        self.worker_id = (worker_id or new_worker_id())[:100]
        self.concurrency = max(1, concurrency if concurrency is not None else self.config.concurrency)
        if concurrency is not None and concurrency != self.config.concurrency:
            self.config = dataclasses.replace(self.config, concurrency=self.concurrency)
        self.engine = Engine(self.worker_id, config=self.config)
        self.on_full_batch = on_full_batch
        self.stop = stop
        self.heap: list[tuple[float, int, Job]] = []
        self.armed: list[tuple[float, int, Job]] = []
        self.inflight: dict[Future[Result], Job] = {}
        self.done: queue.SimpleQueue[Future[Result]] = queue.SimpleQueue()  # completed calls, in order
        self.unrecorded: list[Result] = []  # completed calls whose outcome is not written yet
        self.unrecorded_since: float | None = None
        self.last_handed_due = 0.0  # the latest time of a job handed to the pool (its write may be pending)
        self._seq = itertools.count()
        self.stats = Stats()

    @property
    def inline(self) -> bool:
        return self.concurrency == 1

    @property
    def capacity(self) -> int:
        """Targets held at once: prefetched, armed and in flight."""
        return max(self.config.max_held, self.concurrency)

    @property
    def held(self) -> int:
        return len(self.heap) + len(self.armed) + len(self.inflight) + len(self.unrecorded)

    def push(self, jobs: list[Job], *, arm_at_due: bool = False) -> None:
        """Queue prepared jobs; each is armed up to ``start_ahead`` before its time, or at its time for
        jobs waiting for a rate-limit token (arming them early would only ask for the token again)."""
        shift = self.config.start_ahead / 2 if arm_at_due else 0.0
        for job in jobs:
            heapq.heappush(self.heap, (job.due.timestamp() + shift, next(self._seq), job))

    def run(self, *, max_seconds: float | None = None) -> Stats:
        started_at = time.monotonic()
        deadline = started_at + (self.config.run_seconds if max_seconds is None else max_seconds)
        last_claim = float("-inf")
        last_renew = time.monotonic()
        claimed_nothing = False
        claim_again = False
        fanned_out = False
        try:
            while True:
                stopping = self.stop()
                claiming = time.monotonic() < deadline and not stopping
                if stopping and self.heap:
                    self._release_all()
                idle = not self.heap and not self.armed and not self.inflight
                if claiming and (
                    idle or claim_again or time.monotonic() - last_claim >= self.config.claim_interval
                ):
                    claim_again = False
                    room = self.capacity - self.held
                    if room > 0:
                        limit = min(room, self.config.batch)
                        got = claims.claim_due(
                            self.worker_id,
                            limit,
                            timezone.now(),
                            prefetch=self.config.prefetch,
                            lease=self.config.lease,
                        )
                        last_claim = time.monotonic()
                        claimed_nothing = not got
                        self.stats.claimed += len(got)
                        if got:
                            self.push(self.engine.prepare(got))
                        if len(got) == limit:
                            claim_again = True  # more may be due: claim again on the next turn
                            if self.on_full_batch and not fanned_out:
                                fanned_out = True
                                self.stats.extra_runs += 1
                                self.on_full_batch()
                self._arm_due()
                self._fire_due()
                if time.monotonic() - last_renew >= self.config.lease.total_seconds() / 3:
                    self._renew()
                    last_renew = time.monotonic()
                if not self.held and (claimed_nothing or not claiming):
                    break
                if not claim_again:
                    self._wait(last_claim, claiming)
                self._collect()
        finally:
            if self.inflight:  # only after an exception in this thread: let the calls end, record them
                wait(list(self.inflight))
                self._collect()
            if self.unrecorded:
                results, self.unrecorded = self.unrecorded, []
                self._finished(results)
            self.engine.close()
            self.stats.seconds = time.monotonic() - started_at
        return self.stats

    def _arm_due(self) -> None:
        """Write the attempt rows of everything due within ``start_ahead``, in one transaction, once the
        first of them is due within half of it (so that each transaction covers half a window's jobs)."""
        now = timezone.now().timestamp()
        if not self.heap or self.heap[0][0] > now + self.config.start_ahead / 2:
            return
        horizon = now + self.config.start_ahead
        ready: list[Job] = []
        while self.heap and self.heap[0][0] <= horizon:
            ready.append(heapq.heappop(self.heap)[2])
        if not ready:
            return
        started, held = self.engine.begin(ready)
        self.push(held, arm_at_due=True)
        self.stats.started += len(started)
        for job in started:
            heapq.heappush(self.armed, (job.due.timestamp(), next(self._seq), job))
        if not self.inline:
            warm(self.concurrency, min(self.concurrency, len(self.armed) + len(self.inflight)))

    def _fire_due(self) -> None:
        """Hand armed jobs to the pool as slots allow, earliest first: their threads prepare each request
        at once and write it at the job's time (``first_write_not_before``), never before. Inline (one
        slot, no pool), a job is handed over at its time."""
        now = timezone.now().timestamp()
        free = self.concurrency - len(self.inflight) if not self.inline else 1
        until = now if self.inline else now + self.config.start_ahead
        ready: list[Job] = []
        while self.armed and self.armed[0][0] <= until and len(ready) < free:
            ready.append(heapq.heappop(self.armed)[2])
        if not ready:
            return
        if self.inline:
            for job in ready:
                self._finished([Engine.call(job)])
            return
        executor = pool(self.concurrency)
        self.last_handed_due = max(self.last_handed_due, ready[-1].due.timestamp())
        for job in ready:
            future = executor.submit(_call_in_thread, job)
            self.inflight[future] = job
            future.add_done_callback(self.done.put)

    def _wait(self, last_claim: float, claiming: bool) -> None:
        """Sleep until the next thing to do: a call completes, an armed job's time, the next job to arm,
        or the next claim (when this run still claims and has room)."""
        now = timezone.now().timestamp()
        timeout = 0.5
        if claiming and self.held < self.capacity:
            timeout = self.config.claim_interval - (time.monotonic() - last_claim)
        if self.heap:
            timeout = min(timeout, self.heap[0][0] - self.config.start_ahead / 2 - now)
        if self.armed and len(self.inflight) < self.concurrency:
            timeout = min(timeout, self.armed[0][0] - (0.0 if self.inline else self.config.start_ahead) - now)
        if self.unrecorded_since is not None:
            timeout = min(timeout, self.unrecorded_since + RECORD_DELAY - time.monotonic())
        timeout = max(0.0, min(timeout, 0.5))
        if self.inflight and self.done.empty() and timeout > 0:
            with contextlib.suppress(queue.Empty):  # wake up at the first completion (put back for _collect)
                self.done.put(self.done.get(timeout=timeout))
        elif not self.inflight and timeout > 0:
            time.sleep(timeout)

    def _collect(self) -> None:
        """Take the completed calls (their slots are free at once) and record their outcomes, unless
        armed jobs are due now: those are handed to the pool first, and the outcomes wait (at most
        ``RECORD_DELAY``) so that writing them never holds up a burst of sends."""
        while True:
            try:
                future = self.done.get_nowait()
            except queue.Empty:
                break
            job = self.inflight.pop(future)
            try:
                self.unrecorded.append(future.result())
            except Exception as error:  # _call_in_thread catches everything; belt and braces
                self.unrecorded.append(Result(job, error=error))
        if not self.unrecorded:
            return
        if self.unrecorded_since is None:
            self.unrecorded_since = time.monotonic()
        self._fire_due()
        now = timezone.now().timestamp()
        sending = now < self.last_handed_due + 0.25 or (
            bool(self.armed) and self.armed[0][0] <= now + self.config.start_ahead
        )
        if sending and time.monotonic() - self.unrecorded_since < RECORD_DELAY:
            return
        results, self.unrecorded, self.unrecorded_since = self.unrecorded, [], None
        self._finished(results)

    def _finished(self, results: list[Result]) -> None:
        self.stats.finished += len(results)
        self.push(self.engine.finish(results))

    def _renew(self) -> None:
        held = [job.target_id for *_key, job in self.heap + self.armed]
        held += [job.target_id for job in self.inflight.values()]
        held += [result.job.target_id for result in self.unrecorded]
        if held:
            claims.renew(self.worker_id, held, timezone.now(), lease=self.config.prefetch + self.config.lease)

    def _release_all(self) -> None:
        """Stopping: give back what was claimed but not started, so another worker sends it on time.
        Armed jobs (attempt rows written, due within ``start_ahead``) are still sent at their time."""
        jobs = [job for *_key, job in self.heap]
        self.heap.clear()
        with transaction.atomic():
            for job in jobs:
                if self.engine.release(job):
                    self.stats.released += 1


def run(
    *,
    worker_id: str | None = None,
    max_seconds: float | None = None,
    concurrency: int | None = None,
    on_full_batch: Callable[[], None] | None = None,
    stop: Callable[[], bool] = worker_stopping,
) -> Stats:
    """Claim and publish until nothing is due within the prefetch window."""
    dispatcher = Dispatcher(worker_id, concurrency=concurrency, on_full_batch=on_full_batch, stop=stop)
    return dispatcher.run(max_seconds=max_seconds)
