"""A small, hand-countable fixture for the report tests (workspace zone Europe/Paris).

Period 2026-03-01 .. 2026-03-07, previous period 2026-02-22 .. 2026-02-28.

- "Canal A" (telegram): followers 1000 on 02-28, 1100 on 03-07. "Mur B" (vk): 500 on 02-28, 450 on 03-07.
- P1 on A, 03-02: likes 10, comments 2, shares 3 (no views: Telegram gives none) -> 15 engagements.
- P2 on B, 03-03: views 1000, reach 800, likes 40, comments 5, shares 5 -> 50.
- P3 on B, 03-05: views 200, likes 5, comments 0, shares 1 -> 6.
- A short link for P2 on B: 3 human clicks and 1 bot on 03-03, 2 human clicks on 03-04; 1 on 02-25.
  A second link without post.
- Tracker: vk visits of P2 (10 s, 30 s, 50 s; the first bounced), one telegram visit (0 s, bounced), one
  visit that is not social. Conversions: purchase 49.90 EUR (vk, P2), sign-up (telegram).
"""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from portevoix.channels.models import Channel
from portevoix.content.models import Post
from portevoix.links.models import ShortLink
from portevoix.links.services import ClickRow, clicks_store
from portevoix.metrics.services.record import Reading, Values, followers_write, snapshots_write
from portevoix.publishing.models import Target, TargetState
from portevoix.publishing.services import new_idempotency_key

PARIS = ZoneInfo("Europe/Paris")
START, END = dt.date(2026, 3, 1), dt.date(2026, 3, 7)
_numbers = itertools.count(1)


def at(day: int, hour: int = 12, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=PARIS)


def make_channel(workspace, network: str, name: str) -> Channel:
    number = next(_numbers)
    return Channel.objects.create(
        workspace=workspace,
        network=network,
        name=name,
        external_id=f"report-{number}",
        base_url="https://api.example.test",
    )


def publish(channel: Channel, when: dt.datetime, title: str, values: Values | None) -> Target:
    post = Post.objects.create(workspace=channel.workspace, title=title, text=title)
    target = Target.objects.create(
        workspace=channel.workspace,
        post=post,
        channel=channel,
        state=TargetState.PUBLISHED,
        published_at=when,
        remote_url=f"https://net.example/{next(_numbers)}",
        idempotency_key=new_idempotency_key(),
    )
    if values is not None:
        snapshots_write(readings=[Reading(target, values, when + dt.timedelta(days=1))], source="api")
    return target


class Fixture:
    def __init__(self, workspace) -> None:
        self.workspace = workspace
        self.a = make_channel(workspace, "telegram", "Canal A")
        self.b = make_channel(workspace, "vk", "Mur B")
        for channel, before, after in ((self.a, 1000, 1100), (self.b, 500, 450)):
            followers_write(channel=channel, followers=before, collected_at=at(28, 20, month=2))
            followers_write(channel=channel, followers=after, collected_at=at(7, 20))
        self.p1 = publish(self.a, at(2, 10), "Bougies d'hiver", Values(likes=10, comments=2, shares=3))
        self.p2 = publish(
            self.b,
            at(3, 18),
            "Лампа «Опалин»",
            Values(views=1000, reach=800, likes=40, comments=5, shares=5),
        )
        self.p3 = publish(
            self.b, at(5, 9), '=HYPERLINK("x")', Values(views=200, likes=5, comments=0, shares=1)
        )
        self.link = ShortLink.objects.create(
            workspace=workspace,
            code=f"rep{next(_numbers):05d}",
            target_url="https://shop.example/",
            final_url="https://shop.example/?utm_source=vk",
            post=self.p2.post,
            channel=self.b,
        )
        self.plain = ShortLink.objects.create(
            workspace=workspace,
            code=f"rep{next(_numbers):05d}",
            target_url="https://shop.example/plain",
            final_url="https://shop.example/plain",
        )
        rows = [
            *(
                ClickRow(self.link.pk, workspace.pk, at(3, 19).astimezone(dt.UTC), "vk.com", 2, False, "FR")
                for _ in range(3)
            ),
            ClickRow(self.link.pk, workspace.pk, at(3, 19).astimezone(dt.UTC), "", 4, True, ""),
            *(
                ClickRow(self.link.pk, workspace.pk, at(4, 8).astimezone(dt.UTC), "vk.com", 1, False, "FR")
                for _ in range(2)
            ),
            ClickRow(self.plain.pk, workspace.pk, at(25, 9, month=2).astimezone(dt.UTC), "", 1, False, ""),
        ]
        clicks_store(rows=rows)

    def add_tracker(self) -> None:
        from portevoix.analytics.models import Conversion, Site, Visit

        site = Site.objects.create(
            workspace=self.workspace,
            name="Boutique",
            public_key=f"pk{next(_numbers)}",
            secret_hash=f"{next(_numbers):064d}",
        )

        def visit(network: str, seconds: int, bounced: bool, post: Post | None, when: dt.datetime) -> Visit:
            return Visit.objects.create(
                workspace=self.workspace,
                site=site,
                visitor=f"v{next(_numbers)}",
                started_at=when,
                last_seen_at=when + dt.timedelta(seconds=seconds),
                network=network,
                source=network or "google",
                medium="social" if network else "organic",
                post=post,
                engaged_seconds=seconds,
                engaged=seconds >= 10,
                bounced=bounced,
                pageviews=1 if bounced else 3,
            )

        vk = visit("vk", 10, True, self.p2.post, at(3, 19))
        visit("vk", 30, False, self.p2.post, at(4, 9))
        visit("vk", 50, False, self.p2.post, at(4, 10))
        tg = visit("telegram", 0, True, None, at(2, 11))
        visit("", 100, False, None, at(4, 11))
        Conversion.objects.create(
            workspace=self.workspace,
            site=site,
            visit=vk,
            at=at(3, 20),
            goal="purchase",
            revenue=Decimal("49.90"),
            currency="EUR",
            network="vk",
            post=self.p2.post,
            source="page",
        )
        Conversion.objects.create(
            workspace=self.workspace,
            site=site,
            visit=tg,
            at=at(2, 12),
            goal="signup",
            network="telegram",
            source="page",
        )


@pytest.fixture
def fixture(team) -> Fixture:
    return Fixture(team.workspace)
