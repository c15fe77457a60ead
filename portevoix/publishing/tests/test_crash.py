"""The crash test: real worker processes killed with SIGKILL at random points, a misbehaving network.

A fake network on 127.0.0.1 (fakenet.py) answers late, fails, rate-limits and accepts-then-hangs at random,
and does not honour idempotency keys. Scheduled posts go to it through two ``portevoix worker`` processes
and a ``portevoix scheduler`` on a temporary SQLite database; the workers are killed with SIGKILL at random
moments and restarted. Then, with the killing over, everything must settle, and:
- nothing is lost: every target ends published or, when its outcome cannot be established, unconfirmed;
- nothing is duplicated: the network created at most one post per idempotency key;
- every published target holds the id of the one post the network created for it;
- every ambiguous outcome (an interrupted or timed-out attempt) was reconciled by a lookup or left
  unconfirmed, never resent blindly.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from portevoix.publishing.tests.fakenet import FakeNetwork

pytestmark = pytest.mark.process

COUNT = 40
SETTLED = {"published", "unconfirmed", "failed", "cancelled"}


def child_env(data_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "PORTEVOIX_TASKS_BACKEND", "HOST", "PORT"}
    }
    env.update(
        PORTEVOIX_DATA_DIR=str(data_dir),
        PORTEVOIX_HTTP_ALLOW_PRIVATE="1",
        PORTEVOIX_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def runner(*args: str) -> list[str]:
    return [sys.executable, "-m", "portevoix.publishing.tests.crash_runner", *args]


class Processes:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.env = child_env(data_dir)
        self.running: dict[str, subprocess.Popen[bytes]] = {}
        self.kills = 0
        self.log = (data_dir / "processes.log").open("ab")

    def start(self, name: str, *args: str) -> None:
        self.running[name] = subprocess.Popen(
            runner(*args), env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def kill(self, name: str) -> None:
        process = self.running[name]
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            self.kills += 1
        process.wait()

    def stop_all(self) -> None:
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for process in self.running.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.log.close()


def rows(db: Path, sql: str) -> list[sqlite3.Row]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=20) as connection:
        connection.row_factory = sqlite3.Row
        return connection.execute(sql).fetchall()


def test_workers_killed_at_random_lose_nothing_and_duplicate_nothing(tmp_path):
    started = time.monotonic()
    network = FakeNetwork(seed=int(os.environ.get("PORTEVOIX_CRASH_SEED", "20261126"))).start()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = data_dir / "portevoix.sqlite3"
    env = child_env(data_dir)
    processes = Processes(data_dir)
    try:
        subprocess.run(
            [sys.executable, "-m", "portevoix", "migrate", "--noinput", "-v", "0"],
            env=env,
            check=True,
            timeout=120,
        )
        subprocess.run(runner("seed", network.url, str(COUNT), "3", "0.15"), env=env, check=True, timeout=60)
        processes.start("scheduler", "scheduler")
        processes.start("worker-1", "worker")
        processes.start("worker-2", "worker")

        # Chaos: kill a random worker every 0.4-1.5 s for 14 s, restarting it at once.
        chaos = random.Random(7)
        chaos_end = time.monotonic() + 14
        while time.monotonic() < chaos_end:
            time.sleep(chaos.uniform(0.4, 1.5))
            name = chaos.choice(["worker-1", "worker-2"])
            processes.kill(name)
            processes.start(name, "worker")

        # Calm: let everything settle.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            states = Counter(row["state"] for row in rows(db, "SELECT state FROM publishing_target"))
            if set(states) <= SETTLED:
                break
            time.sleep(0.5)
    finally:
        processes.stop_all()
        network.stop()

    targets = rows(
        db,
        "SELECT t.id, t.state, t.idempotency_key AS key, t.remote_id, t.error_code, c.network "
        "FROM publishing_target t JOIN channels_channel c ON c.id = t.channel_id",
    )
    attempts = rows(
        db, "SELECT target_id, number, kind, outcome FROM publishing_attempt ORDER BY target_id, number"
    )
    by_target: dict[int, list[sqlite3.Row]] = {}
    for attempt in attempts:
        by_target.setdefault(attempt["target_id"], []).append(attempt)
    states = Counter(target["state"] for target in targets)
    summary = (
        f"states {dict(states)}, kills {processes.kills}, network {dict(network.behaviours)}, "
        f"lookups {network.lookups}, {time.monotonic() - started:.1f} s"
    )
    print(summary)

    assert len(targets) == COUNT
    # Nothing lost: every target came to rest, published or (outcome unknown) waiting for a person.
    assert set(states) <= {"published", "unconfirmed"}, summary
    # Nothing duplicated: the network (which ignores idempotency keys) created at most one post per key.
    assert max(network.created.values(), default=0) <= 1, summary
    assert sum(network.created.values()) >= states["published"]
    for target in targets:
        key, history = target["key"], by_target.get(target["id"], [])
        if target["state"] == "published":
            assert network.created[key] == 1, target
            assert target["remote_id"] == str(network.posts[key]["id"]), target
        else:
            # Unconfirmed only where the network cannot be searched; never sent twice.
            assert target["network"] == "crashnet-nolookup", (dict(target), [dict(a) for a in history])
            assert network.created[key] <= 1
        # Every ambiguous publish attempt was followed by a lookup, or the target is unconfirmed.
        for index, attempt in enumerate(history):
            if attempt["kind"] == "publish" and attempt["outcome"] in {"unknown", "abandoned", "started"}:
                later = history[index + 1 :]
                assert target["state"] == "unconfirmed" or any(a["kind"] == "lookup" for a in later), [
                    dict(a) for a in history
                ]
                # Never resent without a lookup that found nothing in between.
                for next_attempt in later:
                    if next_attempt["kind"] == "publish":
                        between = later[: later.index(next_attempt)]
                        assert any(a["kind"] == "lookup" and a["outcome"] == "not_found" for a in between), [
                            dict(a) for a in history
                        ]
                        break
    assert processes.kills >= 5
    ambiguous = sum(
        1 for a in attempts if a["kind"] == "publish" and a["outcome"] in {"unknown", "abandoned"}
    )
    assert ambiguous > 0, "the chaos produced no ambiguous outcome to reconcile"
    assert time.monotonic() - started < 90
