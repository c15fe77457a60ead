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
from django.db import connection

from portevoix.publishing.tests.fakenet import FakeNetwork

pytestmark = pytest.mark.process

COUNT = 40
WORKERS = ("worker-1", "worker-2")
CHAOS_SECONDS = 18
KILL_AFTER = (6.0, 10.0)  # seconds after a worker starts (booting takes 2-5), unless seen working
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

    def holds_claims(self, name: str, db: Path) -> bool:
        """Whether the worker's publish run holds leases (its worker ids embed the process id)."""
        pid = self.running[name].pid
        try:
            found = rows(
                db,
                "SELECT COUNT(*) FROM publishing_target WHERE state = 'publishing' "
                f"AND lease_owner LIKE '%-{pid}-%'",
            )
        except sqlite3.OperationalError:
            return False
        return found[0][0] > 0

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


def make_database(db: Path, env: dict[str, str], blocker) -> None:
    """A migrated SQLite database for the processes: a copy of the suite's own test database when it is
    SQLite (seconds saved), else ``portevoix migrate`` on a new file."""
    with blocker.unblock():
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            with sqlite3.connect(db) as copy:
                connection.connection.backup(copy)
                migrated = copy.execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
                ).fetchone()
            copy.close()
            if migrated:
                return
            # Run on its own, the suite's connection may hold no migrated database yet: migrate a new file.
            db.unlink()
    subprocess.run(
        [sys.executable, "-m", "portevoix", "migrate", "--noinput", "-v", "0"],
        env=env,
        check=True,
        timeout=120,
    )


def test_workers_killed_at_random_lose_nothing_and_duplicate_nothing(
    tmp_path, django_db_setup, django_db_blocker
):
    started = time.monotonic()
    network = FakeNetwork(seed=int(os.environ.get("PORTEVOIX_CRASH_SEED", "20261126"))).start()
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    db = data_dir / "portevoix.sqlite3"
    env = child_env(data_dir)
    processes = Processes(data_dir)
    chaos = random.Random(7)
    try:
        make_database(db, env, django_db_blocker)
        # The processes boot (seconds on a busy machine) while the posts are seeded.
        processes.start("scheduler", "scheduler")
        for name in WORKERS:
            processes.start(name, "worker")
        subprocess.run(runner("seed", network.url, str(COUNT), "4", "0.2"), env=env, check=True, timeout=60)
        kill_at = {name: time.monotonic() + chaos.uniform(*KILL_AFTER) for name in WORKERS}

        # Chaos: a worker is killed with SIGKILL a random 0-1.2 s after it is seen holding claims (so the
        # kill lands anywhere between a claim, its attempt row, the network call and the outcome), or after
        # a while anyway, and restarted at once.
        chaos_end = time.monotonic() + CHAOS_SECONDS
        while time.monotonic() < chaos_end:
            time.sleep(0.1)
            for name in WORKERS:
                now = time.monotonic()
                if processes.holds_claims(name, db) and kill_at[name] - now > 1.2:
                    kill_at[name] = now + chaos.uniform(0, 1.2)
                if now >= kill_at[name]:
                    processes.kill(name)
                    processes.start(name, "worker")
                    kill_at[name] = time.monotonic() + chaos.uniform(*KILL_AFTER)

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
    abandoned = sum(1 for a in attempts if a["outcome"] == "abandoned")
    summary = (
        f"states {dict(states)}, kills {processes.kills} ({abandoned} mid-attempt), "
        f"network {dict(network.behaviours)}, "
        f"lookups {network.lookups}, {time.monotonic() - started:.1f} s"
    )
    print(summary)
    if not set(states) <= {"published", "unconfirmed"}:
        summary += "\n" + (data_dir / "processes.log").read_text(errors="replace")[-5000:]

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
