"""Posts for the calendar's tests, the browser test and the benchmark: rows written directly (a post with
its planned time and one scheduled target per channel), so that a thousand of them take a moment."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.content.models import Post
from portevoix.planning.models import Rubric
from portevoix.publishing.models import Target, TargetState
from portevoix.publishing.services import new_idempotency_key
from portevoix.workspaces.models import Workspace

_numbers = itertools.count(1)

BASE_URLS = {"telegram": "https://api.telegram.org", "bluesky": "https://bsky.social"}


def make_channel(workspace: Workspace, network: str = "telegram", name: str = "") -> Channel:
    number = next(_numbers)
    return Channel.objects.create(
        workspace=workspace,
        network=network,
        name=name or f"{network} #{number}",
        external_id=f"cal-{number}",
        base_url=BASE_URLS.get(network, "https://example.com"),
        status=ChannelStatus.ACTIVE,
    )


def make_rubric(workspace: Workspace, name: str, colour: str, target: int | None = None) -> Rubric:
    return Rubric.objects.create(workspace=workspace, name=name, colour=colour, target_share=target)


def make_posts(
    workspace: Workspace,
    *,
    count: int,
    first: datetime,
    step: timedelta,
    channels: list[Channel],
    rubrics: list[Rubric | None] | None = None,
    state: str = TargetState.SCHEDULED,
    author: object = None,
    timezone: str = "Europe/Paris",
) -> list[Post]:
    """``count`` posts from ``first`` every ``step``, each going to every channel of ``channels`` with a
    target in ``state``; rubrics taken in turn from ``rubrics``."""
    rubrics = rubrics or [None]
    posts = Post.objects.bulk_create(
        [
            Post(
                workspace=workspace,
                author=author,
                title="" if n % 3 else f"Atelier {n}",
                # Not words of the interface: the page-render test looks for untranslated ones.
                text=f"Atelier {n}: open studio, new prints and a weekend workshop, with a few words more.",
                scheduled_at=first + n * step,
                timezone=timezone,
                rubric=rubrics[n % len(rubrics)],
            )
            for n in range(count)
        ]
    )
    if not posts or posts[0].pk is None:  # databases that do not return ids from bulk_create
        posts = list(Post.objects.filter(workspace=workspace).order_by("-pk")[:count])[::-1]
    Target.objects.bulk_create(
        [
            Target(
                workspace=workspace,
                post=post,
                channel=channel,
                state=state,
                due_at=post.scheduled_at,
                next_attempt_at=post.scheduled_at if state == TargetState.SCHEDULED else None,
                idempotency_key=new_idempotency_key(),
            )
            for post in posts
            for channel in channels
        ]
    )
    return posts
