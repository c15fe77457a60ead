"""Publishing lateness: the engine on SQLite and on PostgreSQL against Huey's SQLite consumer, same run.

Workload (issue 3, item 8): ``--posts`` scheduled posts (10,000), of which ``--burst`` (1,000) are due at the
same instant, the rest spread evenly over ``--window`` seconds; each goes to a fake network on 127.0.0.1
(``scheduler_support/fastnet.py``, an asyncio server the ``crashnet`` connector of the crash test talks to)
that answers after ``--latency`` (50 ms) and fails ``--fail-rate`` (3 %) of requests with a 503. The
network ignores idempotency keys, so any duplicate send shows up as a second post.

- ``sqlite``: one ``portevoix scheduler`` and one ``portevoix worker`` (``portevoix serve``'s publisher) at
  the default settings on a fresh SQLite file;
- ``postgresql``: one scheduler and two workers on a fresh database (createdb, ``portevoix migrate``,
  dropdb at the end);
- ``peer_huey``: ``SqliteHuey`` and ``huey_consumer`` at its defaults (one worker thread), each post a task
  scheduled with ``eta`` = its time, making the same HTTP request (3 retries, 1 s apart, on errors).

Lateness = when the network received each post's first publish request minus the post's time
(``lateness_ms``: how accurately posts are sent at their time, docs/decisions/0007-scheduler-lateness.md);
``success_lateness_ms`` is the same for the request that created the post (a post whose first request
got an injected 503 counts its retry there). ``misses`` = posts not created on the network when the
system is given up on (``--grace`` seconds after the last post's time, or when everything is published).
``duplicates`` = posts created more than once.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SUPPORT = Path(__file__).resolve().parent / "scheduler_support"
RESULTS = Path(__file__).resolve().parent / "results" / "scheduler.json"
# The script's own folder holds other benchmarks' modules (bench/calendar.py would shadow the standard
# library's calendar, which httpx imports): import from the project and the support folder only.
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != SUPPORT.parent]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(SUPPORT))

from fastnet import FastNetwork as BenchNetwork  # noqa: E402


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p99": None, "max": None}
    return {
        "p50": round(percentile(values, 0.50) * 1000, 1),
        "p99": round(percentile(values, 0.99) * 1000, 1),
        "max": round(max(values) * 1000, 1),
    }


def measure(network: BenchNetwork, keys: dict[str, float]) -> dict[str, Any]:
    with network.lock:
        created = dict(network.created)
        created_at = dict(network.created_at)
        first_seen = dict(network.first_seen)
        behaviours = dict(network.behaviours)
    published = [key for key in keys if created.get(key, 0) >= 1]
    sent = sorted(created_at[key] for key in published)
    burst_at = Counter(keys.values()).most_common(1)[0][0] if keys else None
    first_due = min(keys.values(), default=0.0)
    span = sent[-1] - sent[0] if len(sent) > 1 else 0.0
    return {
        "lateness_ms": summary([first_seen[key] - keys[key] for key in first_seen if key in keys]),
        "success_lateness_ms": summary([created_at[key] - keys[key] for key in published]),
        # The posts due at the same instant (the burst) on their own: how fast a burst drains.
        "burst_lateness_ms": summary(
            [first_seen[key] - keys[key] for key in first_seen if keys.get(key) == burst_at]
        ),
        # How the burst drained: posts first received in each 50 ms after the burst's time.
        "burst_by_50ms": dict(
            sorted(
                Counter(
                    int((first_seen[key] - keys[key]) * 20) * 50
                    for key in first_seen
                    if keys.get(key) == burst_at
                ).items()
            )
        ),
        # Where the posts later than the target (250 ms) were due, in seconds from the first post's time.
        "late_by_second": dict(
            sorted(
                Counter(
                    int(keys[key] - first_due)
                    for key in first_seen
                    if key in keys and first_seen[key] - keys[key] > 0.25
                ).items()
            )
        ),
        "retried": sum(1 for key in published if created_at[key] != first_seen.get(key)),
        "duplicates": sum(count - 1 for count in created.values() if count > 1),
        "misses": len(keys) - len(published),
        "published": len(published),
        "requests": behaviours,
        # Sustained rate: posts created per second between the first and the last one.
        "published_per_second": round(len(sent) / span, 1) if span else None,
    }


class Children:
    def __init__(self, log: Path) -> None:
        self.log = log.open("ab")
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, argv: list[str], env: dict[str, str], cwd: Path = ROOT) -> None:
        self.running.append(
            subprocess.Popen(argv, env=env, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT)  # noqa: S603
        )

    def stop(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.send_signal(
                    signal.SIGTERM if "huey" not in " ".join(map(str, process.args)) else signal.SIGINT
                )
        deadline = time.monotonic() + 15
        for process in self.running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.clear()
        self.log.close()


def engine_env(data_dir: Path, database_url: str | None, concurrency: int | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "PORTEVOIX_TASKS_BACKEND"}
    }
    env.update(
        PORTEVOIX_DATA_DIR=str(data_dir),
        PORTEVOIX_HTTP_ALLOW_PRIVATE="1",
        PORTEVOIX_LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["DATABASE_URL"] = database_url
    if concurrency:
        env["PORTEVOIX_PUBLISH_CONCURRENCY"] = str(concurrency)
    return env


def wait_until_done(network: BenchNetwork, keys: dict[str, float], grace: float) -> None:
    give_up = max(keys.values()) + grace
    while time.time() < give_up:
        with network.lock:
            if len(network.created) >= len(keys) and all(network.created.get(key) for key in keys):
                break
        time.sleep(0.5)
    time.sleep(1.0)  # a late duplicate would land now


def run_engine(
    name: str,
    args: argparse.Namespace,
    network: BenchNetwork,
    work: Path,
    database_url: str | None,
    workers: int,
) -> dict[str, Any]:
    data_dir = work / name
    data_dir.mkdir()
    env = engine_env(data_dir, database_url, args.concurrency)
    python = sys.executable
    runner = str(SUPPORT / "runner.py")
    subprocess.run(  # noqa: S603 (our own interpreter and arguments)
        [python, "-m", "portevoix", "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=ROOT
    )
    network.reset()
    children = Children(work / f"{name}.log")
    try:
        for _ in range(workers):
            children.start([python, runner, "worker"], env)
        children.start([python, runner, "scheduler"], env)
        start = time.time() + args.lead
        keys_file = data_dir / "keys.json"
        subprocess.run(  # noqa: S603
            [
                python,
                runner,
                "seed",
                network.url,
                str(args.posts),
                str(args.burst),
                repr(start),
                repr(args.window),
                repr(start + args.window / 2),
                str(keys_file),
            ],
            env=env,
            check=True,
            cwd=ROOT,
        )
        if time.time() > start:
            print(f"  warning: seeding ended {time.time() - start:.1f} s after the first post's time")
        keys = json.loads(keys_file.read_text())
        wait_until_done(network, keys, args.grace)
        result = measure(network, keys)
        states = subprocess.run(  # noqa: S603
            [python, runner, "states"], env=env, check=True, cwd=ROOT, capture_output=True
        )
        result["target_states"] = json.loads(states.stdout)
    finally:
        children.stop()
    settings = f"PORTEVOIX_PUBLISH_CONCURRENCY={args.concurrency}" if args.concurrency else "default settings"
    result["setup"] = f"{workers} worker(s) + 1 scheduler, {settings}"
    return result


def run_huey(args: argparse.Namespace, network: BenchNetwork, work: Path) -> dict[str, Any]:
    data_dir = work / "huey"
    data_dir.mkdir()
    env = dict(os.environ, BENCH_HUEY_DB=str(data_dir / "huey.sqlite3"), PYTHONPATH=str(SUPPORT))
    os.environ["BENCH_HUEY_DB"] = env["BENCH_HUEY_DB"]
    import huey_tasks  # the same module the consumer loads, writing to the same SQLite file
    from runner import due_times

    network.reset()
    children = Children(work / "huey.log")
    try:
        consumer = shutil.which("huey_consumer", path=str(Path(sys.executable).parent)) or "huey_consumer"
        children.start([sys.executable, consumer, "huey_tasks.huey"], env, cwd=SUPPORT)
        start = time.time() + args.lead
        times = due_times(args.posts, args.burst, start, args.window, start + args.window / 2)
        keys: dict[str, float] = {}
        for n, due in enumerate(times):
            key = secrets.token_hex(16)
            keys[key] = due
            eta = datetime.fromtimestamp(due, tz=UTC).replace(tzinfo=None)  # Huey's ETAs are naive UTC
            huey_tasks.publish.schedule((network.url, key, f"Benchmark post {n}"), eta=eta)
        if time.time() > start:
            print(f"  warning: enqueueing ended {time.time() - start:.1f} s after the first post's time")
        wait_until_done(network, keys, args.grace)
        result = measure(network, keys)
    finally:
        children.stop()
    import huey

    result["setup"] = f"huey {huey.__version__} SqliteHuey, huey_consumer at defaults (1 worker thread)"
    return result


def createdb(name: str, host: str, user: str) -> None:
    subprocess.run(["createdb", "-h", host, "-U", user, name], check=True)  # noqa: S603, S607


def dropdb(name: str, host: str, user: str) -> None:
    subprocess.run(["dropdb", "-h", host, "-U", user, "--if-exists", "--force", name], check=False)  # noqa: S603, S607


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=1_000, help="posts due at the same instant")
    parser.add_argument("--window", type=float, default=60.0, help="seconds over which the others are spread")
    # Seeding 10,000 posts takes about 25 s on PostgreSQL on a busy 2-CPU machine: the first post must not be
    # due before it exists.
    parser.add_argument("--lead", type=float, default=45.0, help="seconds from seeding to the first post")
    parser.add_argument(
        "--grace", type=float, default=90.0, help="seconds after the last post before giving up"
    )
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--fail-rate", type=float, default=0.03)
    parser.add_argument("--seed", type=int, default=20261126)
    parser.add_argument("--pg-host", default=os.environ.get("PGHOST", "127.0.0.1"))
    parser.add_argument("--pg-user", default=os.environ.get("PGUSER", "postgres"))
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1024,
        help="PORTEVOIX_PUBLISH_CONCURRENCY for the engine's workers (0: the project's setting)",
    )
    parser.add_argument("--only", choices=("sqlite", "postgresql", "peer_huey"), action="append")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--keep-logs", type=Path, help="copy the processes' logs to this folder")
    args = parser.parse_args()
    runs = args.only or ["sqlite", "postgresql", "peer_huey"]

    network = BenchNetwork(latency=args.latency, fail_rate=args.fail_rate, seed=args.seed).start()
    work = Path(tempfile.mkdtemp(prefix="pv-bench-scheduler-"))
    report: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "workload": {
            "posts": args.posts,
            "burst": args.burst,
            "window_seconds": args.window,
            "latency_ms": args.latency * 1000,
            "fail_rate": args.fail_rate,
            "grace_seconds": args.grace,
            "seed": args.seed,
        },
    }
    random.seed(args.seed)
    started = time.monotonic()
    try:
        for run in runs:
            print(f"== {run}", flush=True)
            if run == "sqlite":
                report[run] = run_engine(run, args, network, work, None, workers=1)
            elif run == "postgresql":
                database = f"portevoix_bench_{secrets.token_hex(4)}"
                createdb(database, args.pg_host, args.pg_user)
                try:
                    url = f"postgres://{args.pg_user}@{args.pg_host}/{database}"
                    report[run] = run_engine(run, args, network, work, url, workers=2)
                finally:
                    dropdb(database, args.pg_host, args.pg_user)
            else:
                report[run] = run_huey(args, network, work)
            print(
                json.dumps(
                    {
                        k: report[run][k]
                        for k in ("lateness_ms", "success_lateness_ms", "duplicates", "misses", "published")
                    }
                )
            )
    finally:
        network.stop()
        if args.keep_logs:
            args.keep_logs.mkdir(parents=True, exist_ok=True)
            for log in work.glob("*.log"):
                shutil.copy(log, args.keep_logs / log.name)
        shutil.rmtree(work, ignore_errors=True)
    report["total_seconds"] = round(time.monotonic() - started, 1)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output} ({report['total_seconds']} s)")


if __name__ == "__main__":
    main()
