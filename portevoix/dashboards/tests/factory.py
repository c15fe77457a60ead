"""Small builders for the dashboards' tests and screenshots: channels, published posts with metrics,
short links with clicks stored through the links' real writer, tracker visits and conversions."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from portevoix.analytics.models import Conversion, Site, Visit
from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.links.models import Device, ShortLink
from portevoix.links.services import ClickRow, clicks_store
from portevoix.metrics.models import FollowerDaily, PostMetricLatest
from portevoix.metrics.services import publication
from portevoix.metrics.services.months import follower_month_keep
from portevoix.publishing.models import Target, TargetState
from portevoix.publishing.services import new_idempotency_key
from portevoix.workspaces.models import Workspace

_numbers = itertools.count(1)


def channel(workspace: Workspace, network: str = "telegram", name: str = "") -> Channel:
    n = next(_numbers)
    return Channel.objects.create(
        workspace=workspace,
        network=network,
        external_id=f"@dash-{n}",
        name=name or f"{network} {n}",
        base_url="https://api.test",
    )


def published(
    workspace: Workspace, ch: Channel, at: dt.datetime, *, rubric: Any = None, title: str = "", **metrics: Any
) -> Target:
    post = Post.objects.create(workspace=workspace, title=title or f"Post {next(_numbers)}", rubric=rubric)
    target = Target.objects.create(
        workspace=workspace,
        post=post,
        channel=ch,
        state=TargetState.PUBLISHED,
        published_at=at,
        idempotency_key=new_idempotency_key(),
    )
    if metrics:
        PostMetricLatest.objects.create(
            target=target,
            workspace=workspace,
            post=post,
            channel=ch,
            published_at=at,
            collected_at=at,
            **metrics,
        )
        publication.rows_created(target_ids=[target.pk])  # as the metrics' services do
    return target


def followers(ch: Channel, day: dt.date, count: int) -> None:
    FollowerDaily.objects.update_or_create(
        channel=ch,
        day=day,
        defaults={
            "workspace": ch.workspace,
            "followers": count,
            "collected_at": dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC),
        },
    )
    follower_month_keep(workspace_id=ch.workspace_id, channel_id=ch.pk, day=day)
    publication.followers_changed(workspace=ch.workspace, channel_id=ch.pk, day=day)


def link(workspace: Workspace, *, post: Post | None = None, ch: Channel | None = None) -> ShortLink:
    n = next(_numbers)
    return ShortLink.objects.create(
        workspace=workspace,
        code=f"t{n:07d}",
        target_url="https://example.com/",
        final_url="https://example.com/",
        post=post,
        channel=ch,
    )


def clicks(short: ShortLink, at: dt.datetime, *, humans: int = 1, bots: int = 0) -> int:
    rows = [
        ClickRow(short.pk, short.workspace_id, at, "t.co", int(Device.MOBILE), False, "")
        for _ in range(humans)
    ] + [ClickRow(short.pk, short.workspace_id, at, "", int(Device.BOT), True, "") for _ in range(bots)]
    return clicks_store(rows=rows)


def site(workspace: Workspace) -> Site:
    n = next(_numbers)
    return Site.objects.create(
        workspace=workspace, name=f"Site {n}", public_key=f"pk{n}", secret_hash=f"h{n}"
    )


def visit(
    s: Site,
    at: dt.datetime,
    *,
    network: str = "vk",
    campaign: str = "",
    post: Post | None = None,
    bounced: bool = False,
    seconds: int = 30,
    pages: int = 2,
) -> Visit:
    return Visit.objects.create(
        workspace_id=s.workspace_id,
        site=s,
        visitor=f"v{next(_numbers)}",
        started_at=at,
        last_seen_at=at + dt.timedelta(seconds=seconds),
        network=network,
        source=network,
        campaign=campaign,
        post=post,
        bounced=bounced,
        engaged=not bounced,
        engaged_seconds=seconds,
        pageviews=pages,
    )


def conversion(
    s: Site,
    at: dt.datetime,
    *,
    goal: str = "purchase",
    revenue: str | None = None,
    currency: str = "",
    network: str = "vk",
    campaign: str = "",
    post: Post | None = None,
    visit: Visit | None = None,
) -> Conversion:
    return Conversion.objects.create(
        workspace_id=s.workspace_id,
        site=s,
        visit=visit,
        at=at,
        goal=goal,
        revenue=Decimal(revenue) if revenue is not None else None,
        currency=currency,
        network=network,
        campaign=campaign,
        post=post,
        source="server",
    )


def month_of_figures(workspace: Workspace, *, days: int = 30, seed: int = 11) -> None:
    """A believable month for screenshots and browser tests: three channels, a post a day with metrics,
    daily follower counts, clicks, visits and conversions (then call services.rollups_refresh)."""
    import random

    from django.utils import timezone

    rng = random.Random(seed)
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    channels = [
        channel(workspace, "vk", "Maison Lumière VK"),
        channel(workspace, "telegram", "Maison Lumière TG"),
        channel(workspace, "mastodon", "Maison Lumière Mastodon"),
    ]
    names = ("Lampe opaline", "Atelier du lundi", "Collection printemps", "Tarte aux pommes", "Coulisses")
    s = site(workspace)
    for ch in channels:
        count = rng.randint(2000, 9000)
        for back in range(days + 35, -1, -1):
            count += rng.randint(-4, 18)
            followers(ch, (now - dt.timedelta(days=back)).date(), count)
    for back in range(days * 2, 0, -1):
        at = now - dt.timedelta(days=back, hours=rng.randint(0, 8))
        ch = channels[back % 3]
        views = rng.randint(400, 4000)
        target = published(
            workspace,
            ch,
            at,
            title=f"{names[back % 5]} {back}",
            views=None if ch.network == "mastodon" else views,
            reach=int(views * 0.6) if ch.network == "vk" else None,
            likes=None if ch.network == "telegram" else rng.randint(5, 120),
            comments=None if ch.network == "telegram" else rng.randint(0, 20),
            shares=rng.randint(0, 15),
        )
        short = link(workspace, post=target.post, ch=ch)
        for hour in range(0, 48, 6):
            clicks(short, at + dt.timedelta(hours=hour), humans=rng.randint(0, 12), bots=rng.randint(0, 2))
        for _ in range(rng.randint(2, 12)):
            bounced = rng.random() < 0.4
            visit(
                s, at + dt.timedelta(hours=rng.randint(1, 40)), network=ch.network, campaign="printemps",
                post=target.post, bounced=bounced, seconds=0 if bounced else rng.randint(10, 240),
            )  # fmt: skip
        if rng.random() < 0.5:
            conversion(
                s, at + dt.timedelta(hours=rng.randint(2, 40)), revenue=f"{rng.randint(20, 180)}.00",
                currency="EUR", network=ch.network, campaign="printemps", post=target.post,
            )  # fmt: skip
