"""The peer: Huey's ``SqliteHuey`` with one task that makes the same publish request to the fake network.

Loaded by ``huey_consumer huey_tasks.huey`` (consumer defaults: one worker thread, scheduler checked every
second). ``BENCH_HUEY_DB`` is the SQLite file. Transient failures are retried 3 times, 1 s apart (Huey does
not retry at all by default; without this every injected 503 would be a miss).
"""

from __future__ import annotations

import os

import httpx
from huey import SqliteHuey

huey = SqliteHuey("bench", filename=os.environ.get("BENCH_HUEY_DB", "huey-bench.sqlite3"))


@huey.task(retries=3, retry_delay=1)
def publish(url: str, key: str, text: str) -> str:
    response = httpx.post(f"{url}/publish", json={"key": key, "text": text}, timeout=1.0)
    response.raise_for_status()
    return str(response.json()["id"])
