"""Shared helpers of the rubrics, queues and evergreen tests."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from unittest import mock

from django.test import Client

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.content import services as content_services
from portevoix.content.models import Post
from portevoix.workspaces.models import Membership

_numbers = itertools.count(1)


def telegram(workspace: Any, **extra: Any) -> Channel:
    number = next(_numbers)
    return Channel.objects.create(
        workspace=workspace,
        network="telegram",
        name=extra.pop("name", f"Telegram {number}"),
        external_id=f"@acme{number}",
        base_url="https://api.telegram.org",
        status=extra.pop("status", ChannelStatus.ACTIVE),
        **extra,
    )


def draft(by: Membership, channel: Channel | None = None, text: str = "Hello", **extra: Any) -> Post:
    return content_services.post_create(
        by=by, text=text, channel_ids=[channel.pk] if channel else [], **extra
    )


@contextmanager
def frozen(instant: datetime) -> Iterator[None]:
    """``django.utils.timezone.now`` answers ``instant`` (the services, content's and publishing's checks
    all read it)."""
    with mock.patch("django.utils.timezone.now", return_value=instant):
        yield


def api(client: Client, method: str, url: str, body: Any = None) -> Any:
    call = getattr(client, method.lower())
    if body is None:
        return call(url)
    return call(url, json.dumps(body), content_type="application/json")


def token_client(membership: Membership) -> Client:
    from portevoix.workspaces import services

    issued = services.api_token_create(by=membership, name="tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
