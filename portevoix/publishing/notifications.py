"""Alerts for the team: an in-app notification, and an e-mail to the workspace's owners and managers.

The engine collects what went wrong while it finishes a batch (``Alerts.add``) and writes one
notification per workspace, kind and channel (``Alerts.flush``, inside its transaction): a network that
refuses fifty posts at once makes one alert listing them, not fifty. E-mails go after the commit, in each
recipient's language, at most one per workspace, kind and channel every ``email_cooldown`` (the in-app
list always has every alert). The e-mails are sent by a task enqueued after the commit, so a slow or
failing mail server never holds up a worker that is publishing, and never undoes a publication.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.publishing.conf import Config
from portevoix.publishing.models import Notification, NotificationKind, Target
from portevoix.workspaces.emails import absolute_url
from portevoix.workspaces.models import Membership, Workspace
from portevoix.workspaces.roles import LEADS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Item:
    target_id: int
    post: str
    channel: str
    message: str


@dataclass
class _Group:
    workspace: Workspace
    kind: str
    channel: Channel | None
    items: list[Item] = field(default_factory=list)


def _post_label(target: Target) -> str:
    return str(target.post)[:80]


class Alerts:
    """Collects the alerts of one batch; ``flush`` writes them (call it inside the batch's transaction)."""

    def __init__(self) -> None:
        self._groups: dict[tuple[int, str, int | None], _Group] = {}

    def __bool__(self) -> bool:
        return bool(self._groups)

    def add(self, target: Target, kind: str, message: str) -> None:
        key = (target.workspace_id, kind, target.channel_id)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = _Group(workspace=target.workspace, kind=kind, channel=target.channel)
        group.items.append(
            Item(target_id=target.pk, post=_post_label(target), channel=target.channel.name, message=message)
        )

    def flush(self, *, now: datetime | None = None) -> list[Notification]:
        now = now or timezone.now()
        created = [
            notify(
                workspace=group.workspace,
                kind=group.kind,
                channel=group.channel,
                items=group.items,
                now=now,
            )
            for group in self._groups.values()
        ]
        self._groups.clear()
        return created


def describe(kind: str, items: list[Item], channel: Channel | None) -> tuple[str, str]:
    """Title and message of an alert, in the active language."""
    count = len(items)
    name = channel.name if channel is not None else ""
    titles: dict[str, str] = {
        NotificationKind.FAILED: ngettext(
            "A post could not be published on %(channel)s",
            "%(count)d posts could not be published on %(channel)s",
            count,
        ),
        NotificationKind.UNCONFIRMED: ngettext(
            "Check %(channel)s: a post may or may not have been published",
            "Check %(channel)s: %(count)d posts may or may not have been published",
            count,
        ),
        NotificationKind.LATE: ngettext(
            "A post was not published on %(channel)s: too late",
            "%(count)d posts were not published on %(channel)s: too late",
            count,
        ),
        NotificationKind.MANUAL: ngettext(
            "Time to publish a post on %(channel)s by hand",
            "Time to publish %(count)d posts on %(channel)s by hand",
            count,
        ),
        NotificationKind.NEEDS_REAUTH: _("Reconnect %(channel)s"),
        NotificationKind.TOKEN_EXPIRING: _("The access to %(channel)s expires soon"),
    }
    advice: dict[str, str] = {
        NotificationKind.FAILED: _("Open the post to see why, fix what is needed, then retry it."),
        NotificationKind.UNCONFIRMED: _(
            "Portevoix could not find out whether the network received the post, so it did not send it "
            "again. Look at the channel: if the post is there, mark it as published with its address; if "
            "not, mark it as not published and retry it."
        ),
        NotificationKind.LATE: _(
            "Portevoix could not send it in time, and a post this late is not sent without a person "
            "deciding. Retry it to publish it now, or reschedule it."
        ),
        NotificationKind.MANUAL: _(
            "This network has no publishing API: copy the text and media, publish them there, then mark "
            "the post as published with its address."
        ),
        NotificationKind.NEEDS_REAUTH: _(
            "The network refused the channel's access. Reconnect the channel, then retry the posts."
        ),
        NotificationKind.TOKEN_EXPIRING: _(
            "Portevoix cannot renew this channel's access by itself. Reconnect the channel under Channels "
            "before it expires, or its scheduled posts will fail."
        ),
    }
    title = str(titles.get(kind, _("Publishing needs attention"))) % {"channel": name, "count": count}
    lines = [str(advice.get(kind, ""))] if kind in advice else []
    for item in items[:20]:
        lines.append(f"- {item.post}: {item.message}" if item.message else f"- {item.post}")
    if count > 20:
        lines.append(_("…and %(count)d more.") % {"count": count - 20})
    return title[:300], "\n".join(line for line in lines if line)


def notify(
    *,
    workspace: Workspace,
    kind: str,
    items: list[Item],
    channel: Channel | None = None,
    now: datetime | None = None,
) -> Notification:
    """Write one alert and send its e-mail (in the workspace's language) after the commit; the app shows it
    in each reader's language (Notification.display_title)."""
    now = now or timezone.now()
    with translation.override(workspace.language):
        title, message = describe(kind, items, channel)
    config = Config.load()
    recent = Notification.objects.filter(
        workspace=workspace,
        kind=kind,
        channel=channel,
        emailed_at__gte=now - config.email_cooldown,
    ).exists()
    notification = Notification.objects.create(
        workspace=workspace,
        kind=kind,
        title=title,
        message=message,
        items=[asdict(item) for item in items],
        channel=channel,
        emailed_at=None if recent else now,
    )
    target_ids = [item.target_id for item in items]
    if target_ids:
        notification.targets.add(*target_ids)
    if not recent:
        notification_id = notification.pk
        payload = [asdict(item) for item in items]
        transaction.on_commit(lambda: _enqueue_email(notification_id, payload), robust=True)
    return notification


def _enqueue_email(notification_id: int, items: list[dict[str, Any]]) -> None:
    """E-mail through a task: a slow mail server must never hold up the worker that is publishing."""
    from portevoix.publishing.tasks import send_alert_email_task  # tasks imports the engine, which imports us

    send_alert_email_task.enqueue(notification_id, items)


def notify_token_expiring(*, channel: Channel, now: datetime | None = None) -> Notification:
    """Tell the team that a channel's access expires soon."""
    return notify(
        workspace=channel.workspace, kind=NotificationKind.TOKEN_EXPIRING, items=[], channel=channel, now=now
    )


EXPIRY_WARNING = timedelta(days=7)
EXPIRY_REPEAT = timedelta(days=1)


def alert_expiring_channels(*, now: datetime | None = None) -> int:
    """One alert a day per channel whose access expires within a week and that Portevoix cannot renew by
    itself (or whose last renewal failed). Returns how many alerts were written."""
    from portevoix.channels.selectors import refreshable_networks

    now = now or timezone.now()
    renewable = refreshable_networks()
    expiring = (
        Channel.objects.filter(token_expires_at__isnull=False, token_expires_at__lte=now + EXPIRY_WARNING)
        .exclude(status=ChannelStatus.DISCONNECTED)
        .select_related("workspace")
    )
    written = 0
    for channel in expiring:
        if channel.network in renewable and channel.status == ChannelStatus.ACTIVE and not channel.last_error:
            continue  # renewed before it expires (channels' refresh job)
        recent = Notification.objects.filter(
            channel=channel, kind=NotificationKind.TOKEN_EXPIRING, created_at__gte=now - EXPIRY_REPEAT
        ).exists()
        if recent:
            continue
        with transaction.atomic():
            notify_token_expiring(channel=channel, now=now)
        written += 1
    return written


def recipients(workspace: Workspace) -> QuerySet[Membership]:
    return Membership.objects.filter(
        workspace=workspace, role__in=[str(role) for role in LEADS]
    ).select_related("user")


def send_alert_email(notification_id: int, items: list[Item]) -> int:
    """Send an alert to the workspace's owners and managers, each in their own language."""
    notification = (
        Notification.objects.select_related("workspace", "channel").filter(pk=notification_id).first()
    )
    if notification is None:
        return 0
    workspace, channel = notification.workspace, notification.channel
    url = absolute_url(reverse("workspaces:dashboard", args=[workspace.slug]))
    sent = 0
    for membership in recipients(workspace):
        user = membership.user
        if not user.is_active or not user.email:
            continue
        with translation.override(getattr(user, "language", "") or workspace.language):
            title, message = describe(notification.kind, items, channel)
            body = render_to_string(
                "publishing/email/alert.txt",
                {"workspace": workspace, "title": title, "message": message, "url": url},
            )
            subject = _("[%(workspace)s] %(title)s") % {"workspace": workspace.name, "title": title}
        try:
            send_mail(subject[:200], body, None, [user.email])
        except Exception:
            logger.exception(
                "Could not e-mail alert %s to a member of workspace %s", notification_id, workspace.pk
            )
            continue
        sent += 1
    return sent
