"""Access-matrix entries for network metrics (see tests/matrix/__init__.py): reading needs analytics.view
(every role but the client), entering and importing needs analytics.manage (owner, manager, analyst).

The request bodies name a channel and a published post with fixed ids, created when the body is used (the
table's bodies are static; ``_Made`` fills itself the first time the test reads its values)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portevoix.metrics import urls as metrics_urls
from portevoix.workspaces.roles import Role

STAFF = frozenset(Role) - {Role.CLIENT}
MANAGERS = frozenset({Role.OWNER, Role.MANAGER, Role.ANALYST})

URLCONFS: dict[str, Any] = {"metrics": metrics_urls}

CHANNEL_ID = 987_654_500
POST_ID = 987_654_501


def _made() -> tuple[int, int]:
    """The matrix's channel and a post published on it, in the team's workspace ("Acme"), made afresh."""
    from portevoix.channels.models import Channel
    from portevoix.content.models import Post
    from portevoix.publishing.models import Target, TargetState
    from portevoix.publishing.services import new_idempotency_key
    from portevoix.workspaces.models import Workspace

    workspace = Workspace.objects.filter(name="Acme").order_by("-pk").first()
    assert workspace is not None
    Target.objects.filter(post_id=POST_ID).delete()
    Post.objects.filter(pk=POST_ID).delete()
    Channel.objects.filter(pk=CHANNEL_ID).delete()
    channel = Channel.objects.create(
        pk=CHANNEL_ID,
        workspace=workspace,
        network="telegram",
        external_id="@matrix-metrics",
        name="Matrix metrics",
        base_url="https://api.telegram.org",
    )
    post = Post.objects.create(pk=POST_ID, workspace=workspace, text="Matrix metrics post")
    Target.objects.create(
        workspace=workspace,
        post=post,
        channel=channel,
        state=TargetState.PUBLISHED,
        published_at=timezone.now() - dt.timedelta(hours=1),
        remote_url="https://t.me/matrix/1",
        idempotency_key=new_idempotency_key(),
    )
    return channel.pk, post.pk


class _Made(dict):  # type: ignore[type-arg]
    """A request body whose channel and post are created when the test first reads it."""

    def values(self):  # type: ignore[no-untyped-def,override]
        _made()
        return super().values()


def _csv() -> SimpleUploadedFile:
    _made()
    return SimpleUploadedFile(
        "metrics.csv",
        f"date,channel,post,likes,followers\n{_yesterday()},{CHANNEL_ID},{POST_ID},3,10\n".encode(),
    )


def _yesterday() -> str:
    return (timezone.now() - dt.timedelta(days=1)).date().isoformat()


def _target_id() -> int:
    from portevoix.publishing.models import Target

    _made()
    return Target.objects.get(post_id=POST_ID).pk


def _channel_id() -> int:
    _made()
    return CHANNEL_ID


API_EXPECTED = {
    ("GET", "/api/v1/metrics/posts"): STAFF,
    ("GET", "/api/v1/metrics/followers"): STAFF,
    ("POST", "/api/v1/metrics/manual"): MANAGERS,
    ("POST", "/api/v1/metrics/followers"): MANAGERS,
    ("POST", "/api/v1/metrics/import"): MANAGERS,
}

API_BODIES = {
    ("POST", "/api/v1/metrics/manual"): _Made({"post_id": POST_ID, "channel_id": CHANNEL_ID, "likes": 4}),
    ("POST", "/api/v1/metrics/followers"): _Made({"channel_id": CHANNEL_ID, "followers": 12}),
    ("POST", "/api/v1/metrics/import"): {"file": _csv},
}

HTML_EXPECTED = {
    ("metrics:page", "GET"): STAFF,
    ("metrics:enter", "POST"): MANAGERS,
    ("metrics:followers", "POST"): MANAGERS,
    ("metrics:import", "POST"): MANAGERS,
    ("metrics:import_confirm", "POST"): MANAGERS,
}

HTML_POST_DATA = {
    "metrics:enter": {"target": _target_id, "date": _yesterday, "likes": "5"},
    "metrics:followers": {"channel": _channel_id, "date": _yesterday, "followers": "20"},
    "metrics:import": {"file": _csv},
    "metrics:import_confirm": {"token": "expired-or-forged"},
}
