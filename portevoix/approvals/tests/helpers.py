"""Shared pieces of the approvals tests: a schedulable post, a policy, and the review link from the e-mail."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail

from portevoix.approvals import services
from portevoix.channels.models import Channel
from portevoix.content import services as content_services
from portevoix.content.models import Post
from portevoix.workspaces.roles import Role

REVIEW_LINK = re.compile(r"https?://\S+/review/([A-Za-z0-9_-]+)/")


def telegram_channel(workspace: Any) -> Channel:
    channel, _created = Channel.objects.get_or_create(
        workspace=workspace,
        network="telegram",
        external_id="@acme",
        defaults={"name": "Acme on Telegram", "base_url": "https://api.telegram.org"},
    )
    return channel


def make_post(team: Any, *, role: Role = Role.COPYWRITER, text: str = "Spring sale") -> Post:
    """A draft by a copywriter going to an active Telegram channel (valid to schedule)."""
    channel = telegram_channel(team.workspace)
    return content_services.post_create(by=team.member(role), text=text, channel_ids=[channel.pk])


def set_policy(team: Any, mode: str, steps: list[services.StepIn] | None = None, **extra: Any) -> None:
    services.policy_set(by=team.member(Role.OWNER), mode=mode, steps=steps, **extra)


def review_tokens(outbox: list | None = None) -> list[str]:
    """The review tokens e-mailed so far (django.core.mail.outbox in tests), oldest first."""
    messages = mail.outbox if outbox is None else outbox
    return [match.group(1) for message in messages for match in REVIEW_LINK.finditer(message.body)]


def review_url_from_mail(outbox: list | None = None) -> str:
    """The address of the latest review link e-mailed (for browser tests and the combined flow)."""
    messages = mail.outbox if outbox is None else outbox
    for message in reversed(messages):
        match = REVIEW_LINK.search(message.body)
        if match:
            return match.group(0)
    raise AssertionError("No review link was e-mailed.")


def wait_for_review_url(outbox: list, *, after: int = 0, timeout: float = 5.0) -> str:
    """For browser tests against a live server (whose thread sends the mail after its commit): wait until a
    review link arrives among ``outbox[after:]`` (pytest-django's ``mailoutbox``), and return its address."""
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in reversed(outbox[after:]):
            match = REVIEW_LINK.search(message.body)
            if match:
                return match.group(0)
        time.sleep(0.05)
    raise AssertionError("No review link was e-mailed.")
