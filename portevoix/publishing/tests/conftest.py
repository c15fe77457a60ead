"""Fixtures for the publishing tests: the scripted network, channels, posts and due targets."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from portevoix.channels.models import Channel
from portevoix.content.models import Post, PostVariant
from portevoix.publishing import claims
from portevoix.publishing.models import Target, TargetState
from portevoix.publishing.services import new_idempotency_key
from portevoix.publishing.tests.fakes import Script, registered

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _engine_settings(settings):
    settings.PORTEVOIX_BASE_URL = "https://portevoix.example"
    settings.PORTEVOIX_PUBLISH_PREFETCH_SECONDS = 0
    settings.PORTEVOIX_PUBLISH_RECONCILE_DELAY = 30
    settings.PORTEVOIX_PUBLISH_LATENESS_CUTOFF = 3600


@pytest.fixture
def network() -> Iterator[Script]:
    with registered() as script:
        yield script


@pytest.fixture
def make_channel(team, network) -> Callable[..., Channel]:
    def make(network_key: str = "scripted", workspace=None, **extra) -> Channel:
        number = next(_numbers)
        return Channel.objects.create(
            workspace=workspace or team.workspace,
            network=network_key,
            name=extra.pop("name", f"{network_key} #{number}"),
            external_id=f"acct-{number}",
            base_url="https://api.scripted.test",
            credentials={"access_token": f"token-{number}-secret", "refresh_token": "r1"},
            **extra,
        )

    return make


@pytest.fixture
def channel(make_channel) -> Channel:
    return make_channel()


@pytest.fixture
def make_post(team) -> Callable[..., Post]:
    def make(text: str = "Hello from Portevoix", workspace=None, **extra) -> Post:
        variants = extra.pop("variants", {})
        post = Post.objects.create(workspace=workspace or team.workspace, text=text, **extra)
        for network_key, variant in variants.items():
            PostVariant.objects.create(post=post, network=network_key, text=variant)
        return post

    return make


@pytest.fixture
def make_target(make_post, channel) -> Callable[..., Target]:
    """A target in ``state`` (scheduled by default), due ``due_in`` from now (negative: in the past)."""

    def make(
        *,
        due_in: timedelta = timedelta(0),
        state: str = TargetState.SCHEDULED,
        post: Post | None = None,
        channel: Channel = channel,
        **extra,
    ) -> Target:
        post = post or make_post()
        due: datetime = timezone.now() + due_in
        return Target.objects.create(
            workspace=post.workspace,
            post=post,
            channel=channel,
            state=state,
            due_at=due,
            next_attempt_at=due,
            idempotency_key=new_idempotency_key(),
            **extra,
        )

    return make


def claim_one(target: Target, worker: str = "w1", *, now: datetime | None = None, **kwargs) -> int:
    """Claim ``target`` (it must be due) and return its fence."""
    got = dict(claims.claim_due(worker, 100, now or timezone.now(), **kwargs))
    assert target.pk in got, f"target {target.pk} was not claimed ({got})"
    return got[target.pk]


def run_enqueued(task) -> int:
    """Run, in this thread, what was enqueued for ``task`` on the database backend; return how many."""
    from django_tasks_db.models import DBTaskResult

    pending = list(
        DBTaskResult.objects.filter(task_path=task.module_path, status="READY").order_by("enqueued_at")
    )
    for result in pending:
        task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])
        result.delete()
    return len(pending)
