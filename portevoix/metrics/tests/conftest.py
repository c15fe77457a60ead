"""Fixtures for the metrics tests: a scripted network that gives metrics and followers (``metricnet``), one
that gives followers only (``countnet``), channels, and published targets."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from portevoix.channels.models import Channel
from portevoix.connectors import registry
from portevoix.connectors.base import Connector
from portevoix.connectors.types import Capability, PostMetrics
from portevoix.content.models import Post
from portevoix.publishing.models import Target, TargetState
from portevoix.publishing.services import new_idempotency_key

_numbers = itertools.count(1)


@dataclass
class Script:
    """What the fake networks answer. ``metrics``: remote id -> PostMetrics (absent: deleted post);
    ``followers``: external id -> count; ``errors``: external id -> exception raised by every call;
    ``on_fetch``: called before each fetch_metrics (to simulate a lost lease)."""

    metrics: dict[str, PostMetrics] = field(default_factory=dict)
    followers: dict[str, int | None] = field(default_factory=dict)
    errors: dict[str, Exception] = field(default_factory=dict)
    calls: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)
    on_fetch: Callable[[], None] | None = None


SCRIPT = Script()


class Metricnet(Connector):
    key = "metricnet"
    label = "Metricnet"
    capabilities = frozenset({Capability.PUBLISH, Capability.METRICS, Capability.FOLLOWERS})
    default_base_url = "https://api.metricnet.test"

    def _maybe_fail(self) -> None:
        error = SCRIPT.errors.get(self.channel.external_id)
        if error is not None:
            raise error

    def fetch_metrics(self, remote_ids: Sequence[str]) -> list[PostMetrics]:
        SCRIPT.calls.append((self.channel.external_id, "metrics", tuple(remote_ids)))
        if SCRIPT.on_fetch is not None:
            SCRIPT.on_fetch()
        self._maybe_fail()
        return [SCRIPT.metrics[rid] for rid in remote_ids if rid in SCRIPT.metrics]

    def fetch_followers(self) -> int | None:
        SCRIPT.calls.append((self.channel.external_id, "followers", ()))
        self._maybe_fail()
        return SCRIPT.followers.get(self.channel.external_id, 1000)


class Countnet(Metricnet):
    key = "countnet"
    label = "Countnet"
    capabilities = frozenset({Capability.PUBLISH, Capability.FOLLOWERS})


@pytest.fixture
def script() -> Iterator[Script]:
    global SCRIPT
    SCRIPT = Script()
    for cls in (Metricnet, Countnet):
        registry.CONNECTORS[cls.key] = cls
    try:
        yield SCRIPT
    finally:
        for cls in (Metricnet, Countnet):
            registry.CONNECTORS.pop(cls.key, None)


@pytest.fixture
def make_channel(team, script) -> Callable[..., Channel]:
    def make(network: str = "metricnet", workspace=None, **extra) -> Channel:
        number = next(_numbers)
        return Channel.objects.create(
            workspace=workspace or team.workspace,
            network=network,
            name=extra.pop("name", f"{network} #{number}"),
            external_id=extra.pop("external_id", f"acct-{number}"),
            base_url="https://api.metricnet.test",
            credentials={"access_token": f"token-{number}-secret"},
            **extra,
        )

    return make


@pytest.fixture
def make_published(team) -> Callable[..., Target]:
    """A post published on ``channel`` ``age`` ago with remote id ``remote_id``."""

    def make(
        channel: Channel,
        *,
        age: timedelta = timedelta(hours=2),
        remote_id: str | None = None,
        post: Post | None = None,
        now: datetime | None = None,
        **extra,
    ) -> Target:
        number = next(_numbers)
        post = post or Post.objects.create(workspace=channel.workspace, text=f"Post {number}")
        published = (now or timezone.now()) - age
        return Target.objects.create(
            workspace=channel.workspace,
            post=post,
            channel=channel,
            state=extra.pop("state", TargetState.PUBLISHED),
            published_at=published,
            remote_id=remote_id if remote_id is not None else f"r{number}",
            remote_url=extra.pop("remote_url", f"https://net.example/p/{number}"),
            idempotency_key=new_idempotency_key(),
            **extra,
        )

    return make
