"""The collection job: post metrics and follower counts from every connector that can give them.

One run (``collect_due``):

1. ``polls_sync``: every published target (with a remote id, published within the horizon) on a channel
   whose connector declares "metrics" gets a ``MetricPoll`` row, due at once (``schedule.first_due``).
2. Channels with work (a due poll, or a follower count due on a network that declares "followers") are
   taken one at a time with a conditional UPDATE on ``ChannelCollection`` (a random token and a lease):
   one worker per channel, however many schedulers and workers run. A channel held back by a rate limit
   or a recent failure (``blocked_until``) is skipped.
3. Per channel: the follower count, then the due posts, oldest due first, ``BATCH`` remote ids per
   ``fetch_metrics`` call, at most ``MAX_POSTS_PER_RUN``. Each batch is written in one transaction that
   first renews the lease under the token: a worker whose lease was taken over writes nothing. Each
   collected poll moves on by the ageing schedule (schedule.py); posts the network no longer returns
   (deleted) move on too, without a reading.
4. Errors are per channel (docs/metrics.md): an expired access is renewed once when the network can renew
   it; a revoked or unrenewable one marks the channel for reconnection (``channel_report_error``) and
   holds it back 6 hours; a rate limit holds it back for the network's Retry-After (15 minutes without
   one); a temporary error leaves its posts due for the next run; anything unexpected is logged, kept as
   the channel's last error and holds it back an hour. One channel's failure never stops the others.
5. A run stops taking channels after ``deadline`` seconds (the rest stays due for the next run).
"""

from __future__ import annotations

import logging
import secrets
import time as monotonic_time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from portevoix.channels import runtime as channel_runtime
from portevoix.channels import selectors as channel_selectors
from portevoix.channels import services as channel_services
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.connectors import registry
from portevoix.connectors.base import Connector
from portevoix.connectors.errors import (
    AuthExpired,
    ConnectorError,
    NotSupported,
    RateLimited,
    ReauthRequired,
    Transient,
)
from portevoix.connectors.types import Capability, PostMetrics
from portevoix.metrics import schedule
from portevoix.metrics.models import ChannelCollection, MetricPoll, Source
from portevoix.metrics.services.record import Reading, Values, followers_write, snapshots_write
from portevoix.publishing.models import Target, TargetState

logger = logging.getLogger(__name__)

BATCH = 100  # remote ids per fetch_metrics call (VK's and Bluesky's own batches are 100 and 25)
MAX_POSTS_PER_RUN = 1000  # per channel and run; the rest waits for the next run
LEASE = timedelta(minutes=5)
RATE_LIMIT_HOLD = timedelta(minutes=15)
AUTH_HOLD = timedelta(hours=6)
FAILURE_HOLD = timedelta(hours=1)
MAX_ERROR_CHARS = 2000
COLLECTABLE = (ChannelStatus.ACTIVE, ChannelStatus.ERROR)

ConnectorFactory = Callable[[Channel], Connector]


def followers_every() -> timedelta:
    return timedelta(hours=float(getattr(settings, "PORTEVOIX_METRICS_FOLLOWERS_HOURS", 6)))


def run_deadline() -> float:
    return float(getattr(settings, "PORTEVOIX_METRICS_RUN_SECONDS", 240))


@dataclass
class RunStats:
    channels: int = 0
    posts: int = 0
    snapshots: int = 0
    followers: int = 0
    errors: int = 0
    held: int = 0  # channels skipped: held back or taken by another worker
    stopped_early: bool = False

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def networks_with(capability: Capability) -> list[str]:
    return sorted(cls.key for cls in registry.all_connectors() if capability in cls.capabilities)


# --- Bookkeeping ------------------------------------------------------------------------------------


def polls_sync(*, now: datetime) -> int:
    """Start tracking published targets not tracked yet. Returns how many were added."""
    networks = networks_with(Capability.METRICS)
    if not networks:
        return 0
    untracked = (
        Target.objects.filter(
            state=TargetState.PUBLISHED,
            published_at__isnull=False,
            published_at__gt=now - schedule.HORIZON,
            channel__network__in=networks,
        )
        .exclude(remote_id="")
        .filter(~Exists(MetricPoll.objects.filter(target_id=OuterRef("pk"))))
        .values_list("pk", "channel_id", "published_at")
    )
    rows = [
        MetricPoll(
            target_id=pk,
            channel_id=channel_id,
            published_at=published_at,
            next_due_at=schedule.first_due(published_at, now),
        )
        for pk, channel_id, published_at in untracked[:5000]
        if published_at is not None
    ]
    MetricPoll.objects.bulk_create(rows, ignore_conflicts=True)  # a concurrent run may add the same rows
    return len(rows)


def _channels_with_work(now: datetime) -> list[int]:
    metric_networks = networks_with(Capability.METRICS)
    follower_networks = networks_with(Capability.FOLLOWERS)
    live = Channel.objects.filter(
        status__in=COLLECTABLE, network__in=sorted({*metric_networks, *follower_networks})
    )
    ChannelCollection.objects.bulk_create(
        [
            ChannelCollection(channel_id=pk)
            for pk in live.filter(
                ~Exists(ChannelCollection.objects.filter(channel_id=OuterRef("pk")))
            ).values_list("pk", flat=True)
        ],
        ignore_conflicts=True,
    )
    due_poll = MetricPoll.objects.filter(channel_id=OuterRef("channel_id"), next_due_at__lte=now)
    followers_due = Q(channel__network__in=follower_networks) & (
        Q(followers_due_at__isnull=True) | Q(followers_due_at__lte=now)
    )
    free = (Q(blocked_until__isnull=True) | Q(blocked_until__lte=now)) & (
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    )
    return list(
        ChannelCollection.objects.filter(free, channel__status__in=COLLECTABLE)
        .filter(followers_due | Q(Exists(due_poll), channel__network__in=metric_networks))
        .order_by("last_run_at", "channel_id")
        .values_list("channel_id", flat=True)
    )


def claim(channel_id: int, now: datetime) -> str | None:
    """Take a channel for collection (one conditional UPDATE); the token, or None when it is held back
    or another worker holds it."""
    token = secrets.token_hex(16)
    taken = (
        ChannelCollection.objects.filter(channel_id=channel_id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .filter(Q(blocked_until__isnull=True) | Q(blocked_until__lte=now))
        .update(lease_owner=token, lease_until=now + LEASE)
    )
    return token if taken else None


def _renew(channel_id: int, token: str) -> bool:
    return bool(
        ChannelCollection.objects.filter(channel_id=channel_id, lease_owner=token).update(
            lease_until=timezone.now() + LEASE
        )
    )


def _release(channel_id: int, token: str, **changes: object) -> bool:
    return bool(
        ChannelCollection.objects.filter(channel_id=channel_id, lease_owner=token).update(
            lease_owner="", lease_until=None, **changes
        )
    )


# --- One run ----------------------------------------------------------------------------------------


def collect_due(
    *,
    now: datetime | None = None,
    deadline: float | None = None,
    connector_factory: ConnectorFactory | None = None,
) -> RunStats:
    now = now or timezone.now()
    stop_at = monotonic_time.monotonic() + (run_deadline() if deadline is None else deadline)
    stats = RunStats()
    polls_sync(now=now)
    for channel_id in _channels_with_work(now):
        if monotonic_time.monotonic() >= stop_at:
            stats.stopped_early = True
            break
        token = claim(channel_id, now)
        if token is None:
            stats.held += 1
            continue
        channel = Channel.objects.select_related("workspace").get(pk=channel_id)
        stats.channels += 1
        changes: dict[str, object] = {"last_run_at": now}
        try:
            changes.update(_collect_channel(channel, token, now, stats, stop_at, connector_factory))
        except Exception as error:  # one channel's failure never stops the others
            logger.exception("Collecting metrics of channel %s failed unexpectedly", channel_id)
            stats.errors += 1
            changes.update(_error_changes(type(error).__name__, now, hold=FAILURE_HOLD))
        _release(channel_id, token, **changes)
    return stats


def _error_changes(message: str, now: datetime, *, hold: timedelta | None) -> dict[str, object]:
    changes: dict[str, object] = {"last_error": message[:MAX_ERROR_CHARS], "last_error_at": now}
    if hold is not None:
        changes["blocked_until"] = now + hold
    return changes


def _collect_channel(
    channel: Channel,
    token: str,
    now: datetime,
    stats: RunStats,
    stop_at: float,
    connector_factory: ConnectorFactory | None,
) -> dict[str, object]:
    """Collect one channel under its lease; returns the changes to its ``ChannelCollection`` row."""
    factory = connector_factory or channel_runtime.connector_for
    refreshed = False
    while True:
        try:
            connector = factory(channel)
        except ConnectorError as error:
            return _on_error(channel, error, now, stats)
        try:
            changes = _with_connector(channel, connector, token, now, stats, stop_at)
            return {**changes, "last_error": "", "last_error_at": None}
        except AuthExpired as error:
            if refreshed:  # renewed just now and still refused: a person must reconnect it
                return _on_error(channel, ReauthRequired(error.message, detail=error.detail), now, stats)
            if channel_selectors.can_refresh(channel.network):
                refreshed = True
                if channel_services.channel_refresh(channel=channel, force=True):
                    channel.refresh_from_db()
                    continue
                # Not renewed: another worker holds the renewal, or it failed (channel_refresh itself marks
                # a channel whose refresh token was refused); held back an hour.
            return _on_error(channel, error, now, stats)
        except ConnectorError as error:
            return _on_error(channel, error, now, stats)
        finally:
            channel_runtime.persist_session(channel, connector)
            try:
                connector.http.close()
            except Exception:  # closing never hides the outcome
                logger.debug("Closing a connector's client failed", exc_info=True)


def _on_error(channel: Channel, error: ConnectorError, now: datetime, stats: RunStats) -> dict[str, object]:
    stats.errors += 1
    message = error.message
    logger.info("Metrics of channel %s: %s (%s)", channel.pk, type(error).__name__, error.detail[:200])
    if isinstance(error, RateLimited):
        hold = timedelta(seconds=error.retry_after) if error.retry_after else RATE_LIMIT_HOLD
        return _error_changes(message, now, hold=max(hold, timedelta(minutes=1)))
    if isinstance(error, AuthExpired | ReauthRequired):
        # Marks the channel for reconnection when a person must act (ReauthRequired, or an expired access
        # the network cannot renew); an access another worker is renewing is tried again in an hour.
        channel_services.channel_report_error(channel=channel, error=error)
        return _error_changes(
            message, now, hold=AUTH_HOLD if isinstance(error, ReauthRequired) else FAILURE_HOLD
        )
    if isinstance(error, Transient):
        return _error_changes(message, now, hold=None)  # still due: the next run tries again
    if isinstance(error, NotSupported):
        return _error_changes(message, now, hold=timedelta(days=1))
    return _error_changes(message, now, hold=FAILURE_HOLD)


def _with_connector(
    channel: Channel, connector: Connector, token: str, now: datetime, stats: RunStats, stop_at: float
) -> dict[str, object]:
    changes: dict[str, object] = {}
    capabilities = type(connector).capabilities
    state = ChannelCollection.objects.get(channel_id=channel.pk)
    if Capability.FOLLOWERS in capabilities and (
        state.followers_due_at is None or state.followers_due_at <= now
    ):
        count = connector.fetch_followers()
        if not _renew(channel.pk, token):
            return changes
        if count is not None and count >= 0:
            followers_write(channel=channel, followers=count, collected_at=timezone.now(), source=Source.API)
            stats.followers += 1
        changes["followers_due_at"] = now + followers_every()
    if Capability.METRICS not in capabilities:
        return changes
    polls = list(
        MetricPoll.objects.filter(channel_id=channel.pk, next_due_at__lte=now)
        .select_related("target")
        .order_by("next_due_at", "target_id")[:MAX_POSTS_PER_RUN]
    )
    for start in range(0, len(polls), BATCH):
        if start and monotonic_time.monotonic() >= stop_at:
            stats.stopped_early = True
            break
        batch = polls[start : start + BATCH]
        answers = connector.fetch_metrics([poll.target.remote_id for poll in batch])
        if not _write_batch(channel, token, batch, answers, stats):
            break
    return changes


def _write_batch(
    channel: Channel, token: str, batch: Sequence[MetricPoll], answers: Sequence[PostMetrics], stats: RunStats
) -> bool:
    """Store one batch's readings and move its polls on, under the lease. False when the lease was lost."""
    by_remote = {answer.remote_id: answer for answer in answers if isinstance(answer, PostMetrics)}
    collected_at = timezone.now()
    readings = [
        Reading(target=poll.target, values=Values.from_metrics(answer), collected_at=collected_at)
        for poll in batch
        if (answer := by_remote.get(poll.target.remote_id)) is not None
    ]
    with transaction.atomic():
        if not _renew(channel.pk, token):
            return False
        stats.snapshots += snapshots_write(readings=readings, source=Source.API)
        for poll in batch:
            MetricPoll.objects.filter(pk=poll.pk, next_due_at=poll.next_due_at).update(
                next_due_at=schedule.next_due(poll.published_at, collected_at),
                last_polled_at=collected_at,
                polls=poll.polls + 1,
            )
    stats.posts += len(batch)
    return True
