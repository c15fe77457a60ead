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
) -> Conversion:
    return Conversion.objects.create(
        workspace_id=s.workspace_id,
        site=s,
        at=at,
        goal=goal,
        revenue=Decimal(revenue) if revenue is not None else None,
        currency=currency,
        network=network,
        campaign=campaign,
        post=post,
        source="server",
    )
