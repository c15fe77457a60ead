"""Processes of the scheduler benchmark: ``python bench/scheduler_support/runner.py <command>``.

The production ``portevoix worker`` and ``portevoix scheduler`` commands at their default settings (what
``portevoix serve`` starts), with the crash test's fake network connector (``crashnet``) registered, on the
database of ``DATABASE_URL`` or else the SQLite file under ``PORTEVOIX_DATA_DIR``.

    runner.py seed <network url> <posts> <burst> <start epoch> <window seconds> <burst epoch> <keys.json>
    runner.py worker
    runner.py scheduler
    runner.py states
"""

from __future__ import annotations

import json
import os
import sys


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portevoix.settings")
    import django

    django.setup()
    from portevoix.publishing.tests import fakenet

    fakenet.register()


def due_times(posts: int, burst: int, start: float, window: float, burst_at: float) -> list[float]:
    """``posts - burst`` posts spread evenly over ``window`` seconds from ``start``, plus ``burst`` posts
    all due at the same instant ``burst_at``."""
    spread = posts - burst
    times = [start + window * n / max(1, spread) for n in range(spread)]
    times += [burst_at] * burst
    return sorted(times)


def seed(url: str, posts: int, burst: int, start: float, window: float, burst_at: float, out: str) -> None:
    from datetime import UTC, datetime

    from django.db import transaction

    from portevoix.accounts.models import User
    from portevoix.channels.models import Channel
    from portevoix.content.models import Post
    from portevoix.publishing.models import Target, TargetState
    from portevoix.publishing.services import new_idempotency_key
    from portevoix.workspaces import services

    owner = User.objects.create_user("owner@bench.test", "correct-horse-battery-staple")
    workspace = services.workspace_create(user=owner, name="Bench", timezone_name="UTC")
    channel = Channel.objects.create(
        workspace=workspace,
        network="crashnet",
        name="crashnet",
        external_id="crashnet",
        base_url=url,
        credentials={"access_token": "bench-token"},
    )
    keys: dict[str, float] = {}
    with transaction.atomic():
        created = Post.objects.bulk_create(
            [Post(workspace=workspace, text=f"Benchmark post {n}") for n in range(posts)], batch_size=500
        )
        targets = []
        for post, due in zip(created, due_times(posts, burst, start, window, burst_at), strict=True):
            key = new_idempotency_key()
            keys[key] = due
            when = datetime.fromtimestamp(due, tz=UTC)
            targets.append(
                Target(
                    workspace=workspace,
                    post=post,
                    channel=channel,
                    state=TargetState.SCHEDULED,
                    due_at=when,
                    next_attempt_at=when,
                    idempotency_key=key,
                )
            )
        Target.objects.bulk_create(targets, batch_size=500)
    with open(out, "w") as handle:
        json.dump(keys, handle)


def main(argv: list[str]) -> None:
    setup()
    command = argv[0]
    if command == "seed":
        seed(argv[1], int(argv[2]), int(argv[3]), float(argv[4]), float(argv[5]), float(argv[6]), argv[7])
        return
    if command == "states":
        from collections import Counter

        from portevoix.publishing.models import Target

        print(json.dumps(Counter(Target.objects.values_list("state", flat=True))))
        return
    from django.core.management import call_command

    if command == "worker":
        call_command("worker")
    elif command == "scheduler":
        call_command("scheduler")
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
