"""Dashboards over 10M clicks and 1M metric snapshots: every panel against a naive GROUP BY over the raw rows,
on SQLite and on PostgreSQL, while clicks are ingested through the links' real writer.

    .venv/bin/python bench/dashboards.py [--clicks 10000000] [--snapshots 1000000] [--runs 30]
                                         [--backends sqlite,postgresql] [--output PATH]

Per backend (each in a child process with its own database: a fresh SQLite file in a temporary data
directory, or a PostgreSQL database created for the run on 127.0.0.1 and dropped at the end):

1. Load: one busy workspace (Europe/Paris) with 6 channels, 4 rubrics, a year of published posts (two
   channels each) with metric snapshots on the metrics' ageing schedule (~80 readings per post x channel:
   ``--snapshots`` in all) and their latest values, hourly follower readings and daily counts, a short
   link per post x channel, ``--clicks`` clicks spread over the year (most in the days after a post, one
   in eight from bots), ``--visits`` tracker visits and ``--conversions`` conversions; plus a small second
   workspace. Clicks are written with COPY (PostgreSQL) or executemany with load-only PRAGMAs (SQLite).
2. Build the roll-ups (services.rollups_refresh), timed.
3. Check: for every date range, each panel's figures equal those of the naive query (per-day clicks,
   per-network totals, post metric totals, visits, conversions, converted sessions and conversion rates
   per network, funnel); the median engaged times (a histogram, docs/dashboards.md) are within
   ``naive.MEDIAN_BOUND`` (10 %) of the exact medians the naive query computes from the raw visits.
4. Time: an ingest process stores clicks through links.services.clicks_store (the redirect fast path's
   store function) in batches of 1,000 at ``--ingest-rate`` clicks/s (measured: ``ingest_clicks_per_s``)
   while each panel runs ``--runs`` times (100: a 95th percentile of 30 runs is their second slowest)
   over rotating realistic ranges (last 7, 30, 90 days, this month, previous month; p95) and its naive
   query ``--naive-runs`` times over the same ranges (median: ``naive_ms``), spread among the panels'
   rounds. The panels take turns (one call each per round), so that a slower minute of the machine does
   not fall on one panel only. This
   process and its database session run on the first core, the writers and theirs on the others
   (``separate_cores``, decision 0014; ``--shared-cores`` to leave them together). The
   naive queries (dashboards_support/naive.py) compute every figure their panel shows with GROUP BYs
   over the raw rows: the site's medians from a GROUP BY network, engaged seconds; the conversion rate
   from the visits with an EXISTS on their conversions. The panel "traffic" reads the integrations'
   imported daily table directly (a few rows a day): not benchmarked.

Writes bench/results/dashboards.json: {"sqlite": {...}, "postgresql": {...}} each with ``panels``
{name: {p95_ms, naive_ms, ratio}}, ``ingest_clicks_per_s``, sizes, load and build times, the machine's
load average. Targets (issue 5): every panel p95 <= 100 ms and >= 10x faster than naive, ingest >= 10k/s.
"""

from __future__ import annotations

import os
import sys

# bench/calendar.py shadows the standard library's ``calendar`` while this folder is first on sys.path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _HERE]
sys.path.insert(0, os.path.join(_HERE, "dashboards_support"))

import argparse  # noqa: E402
import datetime as dt  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from naive import NAIVE, check  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "dashboards.json"
TARGET_P95_MS = 100.0
TARGET_RATIO = 10.0
TARGET_INGEST = 10_000
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
NETWORKS = ("vk", "telegram", "telegram", "mastodon", "bluesky", "facebook")
SNAPSHOTS_PER_TARGET = 80
PRESETS = ("7d", "30d", "90d", "this_month", "previous_month")


def setup_django(migrate: bool = True) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portevoix.settings")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


# --- Loading ----------------------------------------------------------------------------------------


def _bulk(table: str, columns: tuple[str, ...], rows: Any, chunk: int = 50_000) -> int:
    """COPY on PostgreSQL, executemany on SQLite; ``rows`` is an iterable of tuples. Returns rows written."""
    from django.db import connection

    total = 0
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        statement = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)
                total += 1
        raw.commit()
        return total
    sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("?" * len(columns))})'  # noqa: S608
    raw = connection.connection
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            raw.executemany(sql, batch)
            raw.commit()
            total += len(batch)
            batch = []
    if batch:
        raw.executemany(sql, batch)
        raw.commit()
        total += len(batch)
    return total


def _ts(value: dt.datetime, sqlite: bool) -> Any:
    return value.replace(tzinfo=None).isoformat(" ") if sqlite else value


def load(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from portevoix.accounts.models import User
    from portevoix.analytics.models import Conversion, Site, Visit
    from portevoix.channels.models import Channel
    from portevoix.content.models import Post
    from portevoix.links.models import Click, ShortLink
    from portevoix.metrics.models import FollowerDaily, FollowerSnapshot, PostMetricLatest, PostMetricSnapshot
    from portevoix.metrics.services import follower_months_fill, publication
    from portevoix.planning.models import Rubric
    from portevoix.publishing.models import Target, TargetState
    from portevoix.workspaces import services as ws_services

    sqlite = connection.vendor == "sqlite"
    if sqlite:
        with connection.cursor() as cursor:  # for the load only; the timed phase runs on the defaults
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-200000")
    rng = random.Random(20261126)  # noqa: S311 (reproducible data, not secrets)
    began = time.perf_counter()
    user = User.objects.create_user("bench@example.com", "bench-passphrase-123", full_name="Bench")
    ws = ws_services.workspace_create(
        user=user, name="Busy brand", timezone_name="Europe/Paris", language="en"
    )
    other_user = User.objects.create_user("other@example.com", "bench-passphrase-123", full_name="Other")
    other = ws_services.workspace_create(user=other_user, name="Other", timezone_name="UTC", language="en")
    channels = [
        Channel.objects.create(
            workspace=ws, network=net, external_id=f"@b{n}", name=f"{net} {n}", base_url="https://api.test"
        )
        for n, net in enumerate(NETWORKS)
    ]
    other_channel = Channel.objects.create(
        workspace=other, network="vk", external_id="@o", name="other", base_url="https://api.test"
    )
    rubrics = [Rubric.objects.create(workspace=ws, name=f"Rubric {n}") for n in range(4)]
    now = timezone.now().replace(microsecond=0)
    first = now - dt.timedelta(days=365)
    targets_wanted = max(10, args.snapshots // SNAPSHOTS_PER_TARGET)
    posts_wanted = targets_wanted // 2
    step = dt.timedelta(days=365) / posts_wanted
    posts = Post.objects.bulk_create(
        [
            Post(
                workspace=ws,
                title=f"Post {n}",
                text="",
                rubric=rubrics[n % 5] if n % 5 < 4 else None,
                scheduled_at=first + step * n,
            )
            for n in range(posts_wanted)
        ],
        batch_size=2000,
    )
    targets = []
    for n, post in enumerate(posts):
        for channel in (channels[n % 6], channels[(n + 3) % 6]):
            targets.append(
                Target(
                    workspace=ws,
                    post=post,
                    channel=channel,
                    state=TargetState.PUBLISHED,
                    published_at=post.scheduled_at,
                    idempotency_key=f"bench-{post.pk}-{channel.pk}",
                )
            )
    targets = Target.objects.bulk_create(targets, batch_size=2000)
    # Metric snapshots on the ageing schedule; the values grow and then settle.
    offsets = (
        [dt.timedelta(hours=h) for h in range(1, 25)]
        + [dt.timedelta(days=1, hours=6 * h) for h in range(1, 25)]
        + [dt.timedelta(days=7 + d) for d in range(1, 24)]
        + [dt.timedelta(days=30 + 7 * w) for w in range(1, 10)]
    )[:SNAPSHOTS_PER_TARGET]
    latest_rows = []
    network_of = {c.pk: c.network for c in channels}

    def snapshots():
        for target in targets:
            net = network_of[target.channel_id]
            scale = rng.randint(200, 5000)
            values: dict[str, int | None] = {}
            for when in offsets:
                at = target.published_at + when
                if at > now:
                    break
                grow = min(1.0, (when.total_seconds() / 86400 + 0.2) / 3)
                views = int(scale * grow)
                values = {
                    "views": None if net in ("bluesky", "mastodon") else views,
                    "reach": int(views * 0.7) if net in ("vk", "facebook") else None,
                    "likes": None if net == "telegram" else int(views * 0.05),
                    "comments": None if net == "telegram" else int(views * 0.01),
                    "shares": int(views * 0.005) if net != "telegram" else None,
                    "saves": None,
                    "quotes": int(views * 0.001) if net in ("bluesky", "mastodon") else None,
                }
                last_at = at
                yield (
                    ws.pk, target.pk, target.channel_id, _ts(at, sqlite), *values.values(), "api",
                )  # fmt: skip
            if values:
                latest_rows.append((target, last_at, values))

    snap_columns = (
        "workspace_id", "target_id", "channel_id", "collected_at",
        "views", "reach", "likes", "comments", "shares", "saves", "quotes", "source",
    )  # fmt: skip
    snapshots_written = _bulk(PostMetricSnapshot._meta.db_table, snap_columns, snapshots())
    PostMetricLatest.objects.bulk_create(
        [
            PostMetricLatest(
                target=target,
                workspace=ws,
                post_id=target.post_id,
                channel_id=target.channel_id,
                published_at=target.published_at,
                collected_at=at,
                source="api",
                **values,
            )
            for target, at, values in latest_rows
        ],
        batch_size=2000,
    )
    # Followers: hourly readings and the daily table (the last reading of each local day).
    tz = ws.tzinfo
    follower_rows = []
    daily: dict[tuple[int, dt.date], tuple[int, dt.datetime]] = {}
    for channel in channels:
        count = rng.randint(1000, 50000)
        at = first
        while at <= now:
            count += rng.randint(-3, 8)
            follower_rows.append((ws.pk, channel.pk, _ts(at, sqlite), count, "api"))
            daily[(channel.pk, at.astimezone(tz).date())] = (count, at)
            at += dt.timedelta(hours=1)
    _bulk(
        FollowerSnapshot._meta.db_table,
        ("workspace_id", "channel_id", "collected_at", "followers", "source"),
        iter(follower_rows),
    )
    FollowerDaily.objects.bulk_create(
        [
            FollowerDaily(workspace=ws, channel_id=c, day=d, followers=n, collected_at=a, source="api")
            for (c, d), (n, a) in daily.items()
        ],
        batch_size=5000,
    )
    # What the metrics' services keep beside the figures (rubric, followers at publication, the followers'
    # month rows) for the rows written in bulk above.
    publication.workspace_refresh(workspace=ws)
    follower_months_fill(workspace_id=ws.pk)
    # Short links, one per post x channel, and the clicks (ids in time order, as the writer makes them).
    links = ShortLink.objects.bulk_create(
        [
            ShortLink(
                workspace=ws,
                code=f"b{n:07d}",
                target_url="https://example.com/",
                final_url="https://example.com/",
                post_id=t.post_id,
                channel_id=t.channel_id,
            )
            for n, t in enumerate(targets)
        ],
        batch_size=2000,
    )
    other_link = ShortLink.objects.create(
        workspace=other,
        code="o0000001",
        target_url="https://e.com/",
        final_url="https://e.com/",
        channel=other_channel,
    )
    published = [t.published_at for t in targets]
    per_day = args.clicks / 365
    referrers = ("", "vk.com", "t.me", "mastodon.social", "bsky.app", "l.facebook.com")

    def clicks():
        index = 0
        for day in range(365):
            day_start = first + dt.timedelta(days=day)
            day_end = day_start + dt.timedelta(days=1)
            while index < len(links) and published[index] < day_end - dt.timedelta(days=14):
                index += 1
            active = [n for n in range(index, len(links)) if published[n] < day_end]
            if not active:
                continue
            weights = [1.0 / (1 + (day_end - published[n]).total_seconds() / 86400) ** 2 for n in active]
            count = int(per_day)
            chosen = rng.choices(active, weights, k=count)
            seconds = sorted(rng.random() * 86400 for _ in range(count))
            for n, second in zip(chosen, seconds, strict=True):
                at = max(day_start + dt.timedelta(seconds=second), published[n])
                bot = rng.random() < 0.125
                yield (links[n].pk, ws.pk, _ts(at, sqlite), referrers[n % 6], 4 if bot else 2, bot, "")
            for _ in range(20):
                yield (
                    other_link.pk,
                    other.pk,
                    _ts(day_start + dt.timedelta(hours=3), sqlite),
                    "",
                    1,
                    False,
                    "",
                )

    click_columns = ("link_id", "workspace_id", "at", "referrer_host", "device", "is_bot", "country")
    clicks_written = _bulk(Click._meta.db_table, click_columns, clicks())
    # Tracker visits and conversions, attributed to posts and networks like the clicks.
    site = Site.objects.create(workspace=ws, name="Shop", public_key="benchsite", secret_hash="x" * 64)
    visit_rows = []
    for n in range(args.visits):
        k = rng.randrange(len(targets))
        target = targets[k]
        at = min(now, target.published_at + dt.timedelta(hours=rng.expovariate(1 / 30)))
        social = rng.random() < 0.7
        bounced = rng.random() < 0.45
        visit_rows.append(
            (
                ws.pk,
                site.pk,
                f"v{n}",
                _ts(at, sqlite),
                _ts(at + dt.timedelta(seconds=60), sqlite),
                "/",
                "",
                "x",
                "social" if social else "",
                f"camp{k % 7}" if social else "",
                "",
                network_of[target.channel_id] if social else "",
                target.post_id if social else None,
                None,
                1 if bounced else 3,
                0 if bounced else rng.randint(5, 300),
                not bounced,
                bounced,
                2,
                "",
            )
        )
    visit_rows.sort(key=lambda row: row[3])
    visit_columns = (
        "workspace_id", "site_id", "visitor", "started_at", "last_seen_at", "landing_path", "referrer_host",
        "source", "medium", "campaign", "content", "network", "post_id", "link_id", "pageviews",
        "engaged_seconds", "engaged", "bounced", "device", "country",
    )  # fmt: skip
    visits_written = _bulk(Visit._meta.db_table, visit_columns, iter(visit_rows))
    # The visits' ids follow their order (a fresh table): a conversion is joined to the visit it copies.
    first_visit = Visit.objects.filter(workspace=ws).order_by("id").values_list("id", flat=True).first() or 0
    conv_rows = []
    for n in range(args.conversions):
        index = rng.randrange(len(visit_rows))
        row = visit_rows[index]
        purchase = rng.random() < 0.6
        conv_rows.append(
            (
                ws.pk,
                site.pk,
                first_visit + index,
                row[3],
                "purchase" if purchase else "signup",
                str(Decimal(rng.randint(500, 20000)) / 100) if purchase else None,
                "EUR" if purchase else "",
                row[11],
                row[9],
                row[12],
                "page",
                f"o{n}",
            )
        )
    conv_rows.sort(key=lambda row: row[3])
    conv_columns = (
        "workspace_id", "site_id", "visit_id", "at", "goal", "revenue", "currency", "network", "campaign",
        "post_id", "source", "order_id",
    )  # fmt: skip
    conversions_written = _bulk(Conversion._meta.db_table, conv_columns, iter(conv_rows))
    if sqlite:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("ANALYZE")
    else:
        # Vacuum and checkpoint now, so that neither autovacuum (10M rows just inserted) nor the
        # checkpointer runs during the timed phase.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")
    return {
        "workspace": ws,
        "other": other,
        "ingest_links": [link.pk for link in links[-40:]],
        "sizes": {
            "clicks": clicks_written,
            "metric_snapshots": snapshots_written,
            "targets": len(targets),
            "visits": visits_written,
            "conversions": conversions_written,
            "follower_snapshots": len(follower_rows),
        },
        "load_s": round(time.perf_counter() - began, 1),
    }


# --- Ingest -----------------------------------------------------------------------------------------


def ingest_main(
    env: dict[str, str], link_ids: list[int], workspace_id: int, rate: float, stop: Any, out: Any, slot: int
) -> None:
    os.environ.update(env)
    setup_django(migrate=False)
    from portevoix.links.models import Device
    from portevoix.links.services import ClickRow, clicks_store

    rng = random.Random(7)  # noqa: S311 (test data)
    stored = 0
    began = time.perf_counter()
    while not stop.is_set():
        now = dt.datetime.now(dt.UTC)
        rows = [
            ClickRow(
                rng.choice(link_ids), workspace_id, now, "t.me", int(Device.MOBILE), rng.random() < 0.1, ""
            )
            for _ in range(1000)
        ]
        stored += clicks_store(rows=rows)
        out[2 * slot] = stored
        out[2 * slot + 1] = time.perf_counter() - began
        ahead = stored / rate - (time.perf_counter() - began)
        if ahead > 0:
            time.sleep(ahead)


def separate_cores(writer_pids: list[int]) -> dict[str, Any] | None:
    """Put this process (the panels and the naive queries) and its PostgreSQL session on the first core, and
    the writers and their sessions on the others, as the redirect bench keeps server and load apart. On a
    2-core machine four busy processes otherwise share two cores, and the panels' 95th percentile measures
    the scheduler's wake-up delays more than the queries. None on one core or without affinity calls."""
    from django.db import connection

    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_setaffinity") else []
    if len(cores) < 2:
        return None
    panels, writers = {cores[0]}, set(cores[1:])
    own_session, sessions = None, []
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            own_session = cursor.fetchone()[0]
            cursor.execute(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            sessions = [row[0] for row in cursor.fetchall()]
    os.sched_setaffinity(0, panels)
    pinned_sessions = True
    for pid, where in [(own_session, panels), *((pid, writers) for pid in sessions)]:
        if pid is None:
            continue
        try:
            os.sched_setaffinity(pid, where)
        except OSError:  # the database server runs as another user: its sessions stay where they are
            pinned_sessions = False
    for pid in writer_pids:
        os.sched_setaffinity(pid, writers)
    return {
        "panels": sorted(panels),
        "ingest": sorted(writers),
        "database_sessions_pinned": pinned_sessions if connection.vendor == "postgresql" else None,
    }


# --- One backend ------------------------------------------------------------------------------------


def run_one(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection

    from portevoix.dashboards import selectors, services

    data = load(args)
    print(f"  loaded {data['sizes']} in {data['load_s']} s", flush=True)
    began = time.perf_counter()
    services.rollups_refresh(settle=dt.timedelta(0))
    build_s = round(time.perf_counter() - began, 1)
    with connection.cursor() as cursor:
        # The roll-up tables are new: their statistics for the planner, and on PostgreSQL their visibility
        # map (index-only scans), as autovacuum gives a running system within a minute of such writes;
        # then a checkpoint, as after the load, so that none runs during the timed phase.
        if connection.vendor == "sqlite":
            cursor.execute("ANALYZE")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cursor.execute("VACUUM ANALYZE")
            cursor.execute("CHECKPOINT")
    print(f"  roll-ups built in {build_s} s", flush=True)
    ws = data["workspace"]
    ranges = [selectors.filters_from_choice(ws, preset=p) for p in PRESETS]
    problems = [problem for f in ranges for problem in check(f)]
    print(f"  checked {len(ranges)} ranges: {problems or 'same answers'}", flush=True)

    if args.profile:
        import cProfile
        import pstats

        for name in NAIVE:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(5):
                selectors.PANELS[name](ranges[2])
            profiler.disable()
            print(f"--- {name} (5 runs, 90 days)")
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(12)
    ctx = multiprocessing.get_context("spawn")
    stop = ctx.Event()
    workers = args.ingest_workers
    out = ctx.Array("d", [0.0] * (2 * workers))
    env = {
        k: v
        for k, v in os.environ.items()
        if k in ("DATABASE_URL", "PORTEVOIX_DATA_DIR", "DJANGO_SETTINGS_MODULE")
    }
    links = data["ingest_links"]
    ingest = [
        ctx.Process(
            target=ingest_main,
            args=(env, links[slot::workers], ws.pk, args.ingest_rate / workers, stop, out, slot),
        )
        for slot in range(workers)
    ]
    for process in ingest:
        process.start()
    time.sleep(4)  # the writers are up and storing
    cores = None if args.shared_cores else separate_cores([process.pid for process in ingest if process.pid])
    start_counts = [out[2 * slot] for slot in range(workers)]
    start_times = [out[2 * slot + 1] for slot in range(workers)]
    loads = [os.getloadavg()[0]]
    # Panels take turns, one call each per round (and the naive queries likewise, after them): a slower
    # minute of a shared machine spreads over every panel instead of falling on whichever ran then.
    times: dict[str, list[float]] = {name: [] for name in NAIVE}
    naive_times: dict[str, list[float]] = {name: [] for name in NAIVE}
    for name in NAIVE:
        for f in ranges:
            selectors.PANELS[name](f)  # warm-up
    # The naive rounds are spread among the panels' rounds (one every ``runs / naive_runs``), so that both
    # sides of each ratio are measured over the same minutes of a machine whose speed drifts.
    every = max(1, args.runs // max(1, args.naive_runs))
    naive_round = 0
    for n in range(args.runs):
        f = ranges[n % len(ranges)]
        for name in NAIVE:
            t0 = time.perf_counter()
            selectors.PANELS[name](f)
            times[name].append((time.perf_counter() - t0) * 1000)
        if n % every == every - 1 and naive_round < args.naive_runs:
            f = ranges[naive_round % len(ranges)]
            naive_round += 1
            for name in NAIVE:
                t0 = time.perf_counter()
                NAIVE[name](f)
                naive_times[name].append((time.perf_counter() - t0) * 1000)
        if n % 20 == 19:
            loads.append(os.getloadavg()[0])
    loads.append(os.getloadavg()[0])
    panels: dict[str, Any] = {}
    for name in NAIVE:
        p95 = percentile(times[name], 0.95)
        naive_ms = statistics.median(naive_times[name])
        panels[name] = {
            "p95_ms": round(p95, 2),
            "median_ms": round(statistics.median(times[name]), 2),
            "naive_ms": round(naive_ms, 1),
            "ratio": round(naive_ms / p95, 1) if p95 else None,
        }
        print(f"  {name}: {panels[name]}", flush=True)
    rates = []
    stored = 0.0
    for slot in range(workers):
        count, elapsed = out[2 * slot] - start_counts[slot], out[2 * slot + 1] - start_times[slot]
        stored += count
        rates.append(count / elapsed if elapsed > 0 else 0.0)
    stop.set()
    for process in ingest:
        process.join(30)
    ingest_rate = round(sum(rates))
    began = time.perf_counter()
    report = services.rollups_refresh(settle=dt.timedelta(0))
    catch_up = round(time.perf_counter() - began, 2)
    connection.close()
    return {
        "panels": panels,
        "ingest_clicks_per_s": ingest_rate,
        "ingested_during_timing": int(stored),
        "ingest_workers": workers,
        "cores": cores,
        "refresh_after_ingest_s": catch_up,
        "refresh_after_ingest_clicks": report.clicks,
        "rollup_build_s": build_s,
        "load_s": data["load_s"],
        "sizes": data["sizes"],
        "same_answers_as_naive": not problems,
        "differences": problems[:10],
        "runs": args.runs,
        "naive_runs": args.naive_runs,
        "ranges": list(PRESETS),
        "load_average_1min": [round(value, 2) for value in loads],
        "targets_met": all(
            p["p95_ms"] <= TARGET_P95_MS and (p["ratio"] or 0) >= TARGET_RATIO for p in panels.values()
        )
        and ingest_rate >= TARGET_INGEST
        and not problems,
    }


def child(args: argparse.Namespace) -> None:
    backend = args.one
    if backend == "postgresql":
        import psycopg

        name = f"pv_bench_dashboards_{os.getpid()}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{name}"
        try:
            setup_django()
            result = run_one(args)
        finally:
            from django.db import connections

            connections.close_all()
            with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        with tempfile.TemporaryDirectory(prefix="pv-bench-dashboards-", dir=args.tmp) as data_dir:
            os.environ.pop("DATABASE_URL", None)
            os.environ["PORTEVOIX_DATA_DIR"] = data_dir
            setup_django()
            result = run_one(args)
            size = sum(p.stat().st_size for p in Path(data_dir).glob("*.sqlite3*"))
            result["sqlite_file_gb"] = round(size / 1e9, 2)
    Path(args.child_output).write_text(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--snapshots", type=int, default=1_000_000)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--conversions", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=100, help="timed runs of each panel (p95 of these)")
    parser.add_argument("--naive-runs", type=int, default=5)
    parser.add_argument("--ingest-rate", type=int, default=12_000, help="clicks/s the ingest process aims at")
    parser.add_argument("--ingest-workers", type=int, default=2, help="writer processes (disjoint links)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--tmp", default=None, help="where the SQLite file goes (default: the system's)")
    parser.add_argument("--profile", action="store_true", help="print where each panel spends its time")
    parser.add_argument(
        "--shared-cores",
        action="store_true",
        help="leave the panels and the writers on every core (default: separate cores, see separate_cores)",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--child-output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        child(args)
        return
    results: dict[str, Any] = {}
    if args.output.exists():
        try:
            results = json.loads(args.output.read_text())
        except ValueError:
            results = {}
    for backend in args.backends.split(","):
        print(f"== {backend}", flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json") as handle:
            command = [sys.executable, __file__, "--one", backend, "--child-output", handle.name]
            for option in (
                "clicks",
                "snapshots",
                "visits",
                "conversions",
                "runs",
                "naive_runs",
                "ingest_rate",
            ):
                command += [f"--{option.replace('_', '-')}", str(getattr(args, option))]
            if args.tmp:
                command += ["--tmp", args.tmp]
            if args.profile:
                command += ["--profile"]
            if args.shared_cores:
                command += ["--shared-cores"]
            subprocess.run(command, check=True)  # noqa: S603 (this interpreter, this script)
            results[backend] = json.loads(Path(handle.name).read_text())
    results["machine"] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_end": [round(v, 2) for v in os.getloadavg()],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    for backend in args.backends.split(","):
        part = results[backend]
        print(
            backend,
            json.dumps({k: v["p95_ms"] for k, v in part["panels"].items()}),
            "ingest/s",
            part["ingest_clicks_per_s"],
        )
        print(f"  targets {'met' if part['targets_met'] else 'NOT met'}")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
