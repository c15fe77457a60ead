"""Shared helpers of the channels tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import connection

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.channels.tests.fakes import SECRET_TOKEN


def stored_credentials(channel: Channel) -> str | None:
    """What the database really holds in the credentials column (read with SQL, no decryption)."""
    table = connection.ops.quote_name(Channel._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT credentials FROM {table} WHERE id = %s", [channel.pk])
        return cursor.fetchone()[0]


def make_channel(
    workspace: Any,
    *,
    network: str = "fakenet",
    external_id: str = "acct-1",
    name: str = "Fake account",
    credentials: dict[str, str] | None = None,
    status: str = ChannelStatus.ACTIVE,
    token_expires_at: datetime | None = None,
    base_url: str = "https://api.fakenet.test",
    **extra: Any,
) -> Channel:
    """A channel row made directly (as if connected earlier)."""
    return Channel.objects.create(
        workspace=workspace,
        network=network,
        external_id=external_id,
        name=name,
        base_url=base_url,
        credentials=credentials if credentials is not None else {"token": SECRET_TOKEN},
        status=status,
        token_expires_at=token_expires_at,
        **extra,
    )
