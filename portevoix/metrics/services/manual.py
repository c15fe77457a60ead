"""Metrics entered by hand: one post x channel reading, or a channel's follower count, for a date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from django.db import transaction
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel
from portevoix.core.errors import ValidationFailed
from portevoix.metrics.models import METRIC_FIELDS, Source
from portevoix.metrics.services.record import (
    MAX_COUNT,
    Reading,
    Values,
    followers_write,
    reading_instant,
    snapshots_write,
)
from portevoix.publishing.models import Target
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership


def check_count(name: str, value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > MAX_COUNT:
        message = _("Enter a whole number from 0 to %(max)s.") % {"max": MAX_COUNT}
        raise ValidationFailed(message, fields={name: [message]})
    return value


def check_values(values: Mapping[str, object]) -> Values:
    clean = {name: check_count(name, values.get(name)) for name in METRIC_FIELDS}
    result = Values(**clean)
    if result.empty():
        message = _("Enter at least one figure; leave the others empty when the network does not give them.")
        raise ValidationFailed(message, fields={"views": [message]})
    return result


def post_metrics_enter(
    *, by: Membership, target: Target, day: date, values: Mapping[str, object], now: datetime | None = None
) -> Values:
    """Store figures read on the network on ``day`` for a published post x channel. Empty figures stay
    "not available"."""
    permissions.require(by, "analytics.manage")
    if target.workspace_id != by.workspace_id:
        raise ValidationFailed(_("No such post."), fields={"post_id": [_("No such post.")]})
    clean = check_values(values)
    at = reading_instant(by.workspace, day, now=now)
    with transaction.atomic():
        snapshots_write(
            readings=[Reading(target=target, values=clean, collected_at=at)], source=Source.MANUAL
        )
        audit.record(
            actor=by.user,
            action="metrics.enter",
            workspace=by.workspace,
            obj=target,
            date=day.isoformat(),
            **{name: value for name, value in clean.as_dict().items() if value is not None},
        )
    return clean


def followers_enter(
    *, by: Membership, channel: Channel, day: date, followers: object, now: datetime | None = None
) -> int:
    permissions.require(by, "analytics.manage")
    if channel.workspace_id != by.workspace_id:
        raise ValidationFailed(_("No such channel."), fields={"channel_id": [_("No such channel.")]})
    count = check_count("followers", followers)
    if count is None:
        message = _("Enter the number of followers.")
        raise ValidationFailed(message, fields={"followers": [message]})
    at = reading_instant(by.workspace, day, now=now)
    with transaction.atomic():
        followers_write(channel=channel, followers=count, collected_at=at, source=Source.MANUAL)
        audit.record(
            actor=by.user,
            action="metrics.followers_enter",
            workspace=by.workspace,
            obj=channel,
            date=day.isoformat(),
            followers=count,
        )
    return count
