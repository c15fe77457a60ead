"""Processes of the crash test: ``python -m portevoix.publishing.tests.crash_runner <command>``.

The same ``portevoix worker`` and ``portevoix scheduler`` commands as in production, with the crash test's
fake networks registered and fast clocks (short leases, backoff and reconciliation delays), on the SQLite
database of ``PORTEVOIX_DATA_DIR``. ``seed`` creates the workspace, channels and scheduled posts.

    crash_runner seed <network url> <count> <first due in seconds> <spacing seconds>
    crash_runner worker
    crash_runner scheduler
"""

from __future__ import annotations

import os
import sys

FAST = {
    "PORTEVOIX_PUBLISH_LEASE_SECONDS": 2.0,
    "PORTEVOIX_PUBLISH_PREFETCH_SECONDS": 1.0,
    "PORTEVOIX_PUBLISH_RECONCILE_DELAY": 0.5,
    "PORTEVOIX_PUBLISH_BACKOFF_BASE": 0.3,
    "PORTEVOIX_PUBLISH_BACKOFF_CAP": 2.0,
    "PORTEVOIX_PUBLISH_CLAIM_INTERVAL": 0.1,
    "PORTEVOIX_PUBLISH_RUN_SECONDS": 5.0,
    "PORTEVOIX_PUBLISH_CONCURRENCY": 4,
    "PORTEVOIX_PUBLISH_BATCH": 10,
    "PORTEVOIX_PUBLISH_DISPATCH_SECONDS": 0.2,
    "PORTEVOIX_PUBLISH_PENDING_CHECK": 0.5,
}


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portevoix.settings")
    import django

    django.setup()
    from django.conf import settings

    for name, value in FAST.items():
        setattr(settings, name, value)
    from portevoix.publishing.tests import fakenet

    fakenet.register()


def seed(url: str, count: int, first_in: float, spacing: float) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from portevoix.accounts.models import User
    from portevoix.channels.models import Channel
    from portevoix.content.models import Post
    from portevoix.publishing.models import Target, TargetState
    from portevoix.publishing.services import new_idempotency_key
    from portevoix.workspaces import services

    owner = User.objects.create_user("owner@crash.test", "correct-horse-battery-staple")
    workspace = services.workspace_create(user=owner, name="Crash", timezone_name="UTC")
    channels = [
        Channel.objects.create(
            workspace=workspace,
            network=network,
            name=network,
            external_id=network,
            base_url=url,
            credentials={"access_token": "crash-token"},
        )
        for network in ("crashnet", "crashnet-nolookup")
    ]
    start = timezone.now() + timedelta(seconds=first_in)
    for n in range(count):
        channel = channels[0] if n % 4 else channels[1]  # a quarter cannot be looked up
        post = Post.objects.create(workspace=workspace, text=f"Crash test post {n}")
        due = start + timedelta(seconds=n * spacing)
        Target.objects.create(
            workspace=workspace,
            post=post,
            channel=channel,
            state=TargetState.SCHEDULED,
            due_at=due,
            next_attempt_at=due,
            idempotency_key=new_idempotency_key(),
        )


def main(argv: list[str]) -> None:
    setup()
    command = argv[0]
    if command == "seed":
        seed(argv[1], int(argv[2]), float(argv[3]), float(argv[4]))
        return
    from django.core.management import call_command

    if command == "worker":
        call_command("worker", "--interval", "0.3")
    elif command == "scheduler":
        call_command("scheduler", "--tick", "0.2")
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
