"""Fixtures for the composer's tests: channels of the real connectors (rows only, no network), media
library rows, posts."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.content.models import Post
from portevoix.media.models import MediaAsset, MediaKind

_numbers = itertools.count(1)

BASE_URLS = {
    "telegram": "https://api.telegram.org",
    "bluesky": "https://bsky.social",
    "mastodon": "https://mastodon.example",
    "vk": "https://api.vk.com/method",
    "discord": "https://discord.com/api/v10",
}


@pytest.fixture
def make_channel(team) -> Callable[..., Channel]:
    def make(network: str = "telegram", workspace: Any = None, **extra: Any) -> Channel:
        number = next(_numbers)
        return Channel.objects.create(
            workspace=workspace or team.workspace,
            network=network,
            name=extra.pop("name", f"{network} #{number}"),
            external_id=f"acct-{number}",
            base_url=BASE_URLS.get(network, "https://example.com"),
            status=extra.pop("status", ChannelStatus.ACTIVE),
            **extra,
        )

    return make


@pytest.fixture
def make_asset(team) -> Callable[..., MediaAsset]:
    def make(
        kind: str = MediaKind.IMAGE,
        content_type: str = "image/jpeg",
        size: int = 200_000,
        width: int | None = 1200,
        height: int | None = 800,
        duration_seconds: float | None = None,
        workspace: Any = None,
        name: str = "",
    ) -> MediaAsset:
        number = next(_numbers)
        digest = hashlib.sha256(f"asset-{number}".encode()).hexdigest()
        extension = content_type.rsplit("/", 1)[-1]
        return MediaAsset.objects.create(
            workspace=workspace or team.workspace,
            kind=kind,
            file=f"workspaces/x/media/{digest[:2]}/{digest}.{extension}",
            original_name=name or f"file{number}.{extension}",
            content_type=content_type,
            extension=extension,
            size=size,
            sha256=digest,
            width=width,
            height=height,
            duration_seconds=duration_seconds,
        )

    return make


@pytest.fixture
def make_post(team) -> Callable[..., Post]:
    def make(text: str = "Hello from Portevoix", workspace: Any = None, **extra: Any) -> Post:
        return Post.objects.create(workspace=workspace or team.workspace, text=text, **extra)

    return make


def api_json(client: Client, method: str, url: str, body: Any = None) -> Any:
    call = getattr(client, method.lower())
    if body is None:
        return call(url)
    return call(url, json.dumps(body), content_type="application/json")


def last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1) if month < 12 else date(year, 12, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def next_paris_transitions(now: datetime) -> tuple[str, str]:
    """The next spring-forward and fall-back days in Europe/Paris after ``now``, as "YYYY-MM-DD" (both in
    the future, so they can be scheduled)."""
    zone = ZoneInfo("Europe/Paris")
    year = now.astimezone(zone).year
    spring = next(last_sunday(y, 3) for y in itertools.count(year) if datetime(y, 3, 1, tzinfo=zone) > now)
    autumn = next(last_sunday(y, 10) for y in itertools.count(year) if datetime(y, 10, 1, tzinfo=zone) > now)
    return spring.isoformat(), autumn.isoformat()
