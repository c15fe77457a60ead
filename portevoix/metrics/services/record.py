"""Writing readings: post metric snapshots (with the latest-values table) and follower counts (with the
daily table). Used by the collection job, manual entry and the CSV import; every write keeps the roll-up
tables in step in the same transaction.

Latest values: a reading newer than the stored one replaces each metric it gives; a metric it leaves empty
keeps its older value (a reach typed by hand is not wiped by the next API reading, which gives none). An
older reading (history from a CSV file) only fills metrics still empty.

Daily followers: the day of a reading is its date in the workspace's time zone; the day's row holds the
last reading of that day, and its month's row (``FollowerMonth``, months.py) the same count. A new
latest-values row, or a changed daily count, updates what publication.py keeps beside the figures (the
post's rubric, the followers at publication).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel
from portevoix.connectors.types import PostMetrics
from portevoix.core.errors import ValidationFailed
from portevoix.metrics.models import (
    METRIC_FIELDS,
    FollowerDaily,
    FollowerSnapshot,
    PostMetricLatest,
    PostMetricSnapshot,
    Source,
)
from portevoix.metrics.services import publication
from portevoix.metrics.services.months import follower_month_keep, follower_months_fill
from portevoix.publishing.models import Target
from portevoix.workspaces.models import Workspace

MAX_COUNT = 10**15  # larger counts are refused (no network has that many of anything)


@dataclass(frozen=True)
class Values:
    """One reading's metrics; None = not available."""

    views: int | None = None
    reach: int | None = None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    saves: int | None = None
    quotes: int | None = None

    @classmethod
    def from_metrics(cls, metrics: PostMetrics) -> Values:
        return cls(**{name: _clean(getattr(metrics, name)) for name in METRIC_FIELDS})

    def empty(self) -> bool:
        return all(getattr(self, name) is None for name in METRIC_FIELDS)

    def as_dict(self) -> dict[str, int | None]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _clean(value: object) -> int | None:
    """A network's count as stored: a non-negative int within bounds, else not available."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    if value < 0 or value > MAX_COUNT:
        return None
    return value


@dataclass(frozen=True)
class Reading:
    target: Target
    values: Values
    collected_at: datetime


def local_day(workspace: Workspace, instant: datetime) -> date:
    return timezone.localtime(instant, workspace.tzinfo).date()


def reading_instant(workspace: Workspace, day: date, *, now: datetime | None = None) -> datetime:
    """The instant a reading dated ``day`` (the workspace's zone) is filed at: now for today, the last
    second of the day for a past day. A future day is refused."""
    now = now or timezone.now()
    today = local_day(workspace, now)
    if day > today:
        message = _("The date is in the future.")
        raise ValidationFailed(message, fields={"date": [message]})
    if day == today:
        return now
    end = datetime.combine(day, time(23, 59, 59), tzinfo=workspace.tzinfo)
    # 23:59:59 exists once on every day in every zone we know (DST changes happen at night, not then).
    return end.astimezone(UTC)


def _merge(latest: PostMetricLatest, values: Values, collected_at: datetime, source: str) -> None:
    newer = collected_at >= latest.collected_at
    for name in METRIC_FIELDS:
        value = getattr(values, name)
        if value is None:
            continue
        if newer or getattr(latest, name) is None:
            setattr(latest, name, value)
    if newer:
        latest.collected_at = collected_at
        latest.source = source


def snapshots_write(*, readings: Sequence[Reading], source: str) -> int:
    """Store readings (empty ones are skipped) and update the latest-values table. Returns how many were
    stored. Call inside the caller's transaction or on its own (it opens one)."""
    kept = [reading for reading in readings if not reading.values.empty()]
    if not kept:
        return 0
    with transaction.atomic():
        PostMetricSnapshot.objects.bulk_create(
            [
                PostMetricSnapshot(
                    workspace_id=reading.target.workspace_id,
                    target_id=reading.target.pk,
                    channel_id=reading.target.channel_id,
                    collected_at=reading.collected_at,
                    source=source,
                    **reading.values.as_dict(),
                )
                for reading in kept
            ]
        )
        ids = sorted({reading.target.pk for reading in kept})
        latest = {
            row.pk: row for row in PostMetricLatest.objects.select_for_update().filter(target_id__in=ids)
        }
        changed: dict[int, PostMetricLatest] = {}
        created: list[int] = []
        for reading in sorted(kept, key=lambda r: r.collected_at):
            target = reading.target
            row = latest.get(target.pk)
            if row is None:
                row = _create_latest(reading, source)
                latest[target.pk] = row
                created.append(target.pk)
                continue
            _merge(row, reading.values, reading.collected_at, source)
            changed[target.pk] = row
        if changed:
            PostMetricLatest.objects.bulk_update(
                list(changed.values()), [*METRIC_FIELDS, "collected_at", "source"]
            )
        publication.rows_created(target_ids=created)
    return len(kept)


def _create_latest(reading: Reading, source: str) -> PostMetricLatest:
    target = reading.target
    try:
        with transaction.atomic():
            return PostMetricLatest.objects.create(
                target_id=target.pk,
                workspace_id=target.workspace_id,
                post_id=target.post_id,
                channel_id=target.channel_id,
                published_at=target.published_at,
                collected_at=reading.collected_at,
                source=source,
                **reading.values.as_dict(),
            )
    except IntegrityError:  # written meanwhile by another writer: merge into it
        row = PostMetricLatest.objects.select_for_update().get(pk=target.pk)
        _merge(row, reading.values, reading.collected_at, source)
        row.save(update_fields=[*METRIC_FIELDS, "collected_at", "source"])
        return row


def followers_write(
    *, channel: Channel, followers: int, collected_at: datetime, source: str = Source.API
) -> FollowerSnapshot:
    """Store a follower count and keep the channel's daily row (the last reading of its day) in step."""
    workspace = channel.workspace
    day = local_day(workspace, collected_at)
    with transaction.atomic():
        snapshot = FollowerSnapshot.objects.create(
            workspace_id=channel.workspace_id,
            channel=channel,
            collected_at=collected_at,
            followers=followers,
            source=source,
        )
        row = FollowerDaily.objects.select_for_update().filter(channel=channel, day=day).first()
        if row is None:
            try:
                with transaction.atomic():
                    FollowerDaily.objects.create(
                        workspace_id=channel.workspace_id,
                        channel=channel,
                        day=day,
                        followers=followers,
                        collected_at=collected_at,
                        source=source,
                    )
                follower_month_keep(workspace_id=channel.workspace_id, channel_id=channel.pk, day=day)
                publication.followers_changed(workspace=workspace, channel_id=channel.pk, day=day)
                return snapshot
            except IntegrityError:
                row = FollowerDaily.objects.select_for_update().get(channel=channel, day=day)
        if collected_at >= row.collected_at:
            unchanged = row.followers == followers
            row.followers, row.collected_at, row.source = followers, collected_at, source
            row.save(update_fields=["followers", "collected_at", "source"])
            if not unchanged:
                follower_month_keep(workspace_id=channel.workspace_id, channel_id=channel.pk, day=day)
                publication.followers_changed(workspace=workspace, channel_id=channel.pk, day=day)
    return snapshot


def followers_daily_rebuild(*, workspace: Workspace) -> int:
    """Recompute a workspace's daily counts (and their month rows) from its readings in its time zone as it
    is now: after a zone change the days of the readings moved. The rule of followers_write: a reading's
    day is its local date, the day's row its last reading (of two at the same instant, the later stored).
    Returns the daily rows written."""
    readings = (
        FollowerSnapshot.objects.filter(workspace=workspace)
        .order_by("channel_id", "collected_at", "pk")
        .values_list("channel_id", "collected_at", "followers", "source")
    )
    written = 0
    with transaction.atomic():
        FollowerDaily.objects.filter(workspace=workspace).delete()
        batch: list[FollowerDaily] = []
        kept: FollowerDaily | None = None
        for channel_id, collected_at, followers, source in readings.iterator(5000):
            day = local_day(workspace, collected_at)
            if kept is None or (kept.channel_id, kept.day) != (channel_id, day):
                if kept is not None:
                    batch.append(kept)
                kept = FollowerDaily(workspace_id=workspace.pk, channel_id=channel_id, day=day)
            kept.followers, kept.collected_at, kept.source = followers, collected_at, source
            if len(batch) >= 5000:
                written += len(FollowerDaily.objects.bulk_create(batch))
                batch = []
        if kept is not None:
            batch.append(kept)
        written += len(FollowerDaily.objects.bulk_create(batch))
        follower_months_fill(workspace_id=workspace.pk)
    return written
