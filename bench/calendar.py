"""The calendar's month view with 1,000 posts, rendered server-side, against the same view with no posts.

    .venv/bin/python bench/calendar.py [--posts 1000] [--runs 40] [--output PATH]

Through Django's test client, signed in as the owner of each workspace (the whole request: middleware,
session, the workspace's membership, the selectors, the template), on a fresh SQLite database in a
temporary data directory (or the database of ``DATABASE_URL``, which must be empty and migrated, e.g. a
database created for the run). One workspace holds ``--posts`` posts spread over next month (two channels
each, four rubrics and posts without one); the baseline workspace holds none and is asked for the same
month. Runs alternate between the two, after a few warm-up requests. The month shows at most four posts
a day (the rest behind "+N more", a link to the day), so ``week_view_median_ms`` also times a week of the
same workspace in which every post is drawn (``week_view_chips``). Results go to
bench/results/calendar.json: ``median_ms``, ``p95_ms`` and ``queries`` of the full month,
``baseline_median_ms`` (and its p95 and queries), ``ratio`` (median over baseline median), the machine.
Target (issue 4): median <= 150 ms.
"""

from __future__ import annotations

import os
import sys

# This file's name shadows the standard library's ``calendar`` module (imported by http.cookiejar, email...)
# while its folder is first on sys.path: take the folder off before anything imports it.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or os.curdir) != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results" / "calendar.json"
TARGET_MEDIAN_MS = 150.0


def setup_django(data_dir: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["PORTEVOIX_DATA_DIR"] = data_dir  # a fresh SQLite database (unless DATABASE_URL is set)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portevoix.settings")
    os.environ["ALLOWED_HOSTS"] = "testserver"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--profile", action="store_true", help="print where one full request spends its time")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pv-bench-calendar-") as data_dir:
        setup_django(data_dir)
        result = run(args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(
        json.dumps({k: result[k] for k in ("median_ms", "p95_ms", "queries", "baseline_median_ms", "ratio")})
    )
    print(f"target median <= {TARGET_MEDIAN_MS:.0f} ms: {'met' if result['target_met'] else 'NOT met'}")
    print(f"written to {args.output}")


def run(args: argparse.Namespace) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from portevoix.accounts.models import User
    from portevoix.planning.tests.calendar_factory import make_channel, make_posts, make_rubric
    from portevoix.workspaces import services

    def workspace(email: str, name: str) -> tuple[Any, Client]:
        user = User.objects.create_user(email, "bench-passphrase-123", full_name=name)
        created = services.workspace_create(user=user, name=name, timezone_name="Europe/Paris", language="en")
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return created, client

    full, full_client = workspace("full@example.com", "Busy plan")
    empty, empty_client = workspace("empty@example.com", "Empty plan")

    today = timezone.now().date()
    month = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    start = datetime(month.year, month.month, 1, 6, tzinfo=UTC)
    span = datetime(following.year, following.month, 1, tzinfo=UTC) - start - timedelta(hours=8)
    channels = [make_channel(full, "telegram"), make_channel(full, "bluesky")]
    colours = ("#e8590c", "#2b8a3e", "#1971c2", "#9c36b5")
    rubrics = [make_rubric(full, f"Rubric {n}", colour, 20) for n, colour in enumerate(colours)] + [None]
    make_posts(
        full,
        count=args.posts,
        first=start,
        step=span / max(1, args.posts),
        channels=channels,
        rubrics=rubrics,
        author=full.memberships.get().user,
    )

    def url(ws: Any) -> str:
        return reverse("planning:calendar", args=[ws.slug]) + f"?view=month&date={month.isoformat()}"

    full_url, empty_url = url(full), url(empty)

    def timed(client: Client, address: str) -> float:
        began = time.perf_counter()
        response = client.get(address)
        elapsed = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, response.status_code
        return elapsed

    for _ in range(args.warmup):
        timed(full_client, full_url)
        timed(empty_client, empty_url)
    full_times: list[float] = []
    empty_times: list[float] = []
    for _ in range(args.runs):
        full_times.append(timed(full_client, full_url))
        empty_times.append(timed(empty_client, empty_url))

    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(5):
            full_client.get(full_url)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    # Every chip rendered: the week view of the second week of the month (about a quarter of the posts).
    week_url = full_url.replace("view=month", "view=week").replace(
        month.isoformat(), (month + timedelta(days=8)).isoformat()
    )
    week_times = [timed(full_client, week_url) for _ in range(max(5, args.runs // 4))]
    week_chips = full_client.get(week_url).content.decode().count('data-testid="calendar-chip"')
    with CaptureQueriesContext(connection) as full_queries:
        page = full_client.get(full_url).content.decode()
    with CaptureQueriesContext(connection) as empty_queries:
        empty_client.get(empty_url)
    chips = page.count('data-testid="calendar-chip"')
    assert chips > 0, "the full month shows no post"

    median = statistics.median(full_times)
    baseline = statistics.median(empty_times)
    return {
        "benchmark": "calendar month view, server-side render through the Django test client (signed in)",
        "posts": args.posts,
        "month": month.isoformat(),
        "runs": args.runs,
        "median_ms": round(median, 2),
        "p95_ms": round(percentile(full_times, 0.95), 2),
        "queries": len(full_queries.captured_queries),
        "chips_rendered": chips,
        "html_bytes": len(page.encode()),
        "baseline_median_ms": round(baseline, 2),
        "baseline_p95_ms": round(percentile(empty_times, 0.95), 2),
        "baseline_queries": len(empty_queries.captured_queries),
        "ratio": round(median / baseline, 2) if baseline else None,
        "week_view_median_ms": round(statistics.median(week_times), 2),
        "week_view_chips": week_chips,
        "target_median_ms": TARGET_MEDIAN_MS,
        "target_met": median <= TARGET_MEDIAN_MS,
        "machine": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "database": connection.vendor,
        },
        "date": date.today().isoformat(),
    }


if __name__ == "__main__":
    main()
