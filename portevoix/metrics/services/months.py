"""``FollowerMonth``: each channel's daily follower counts, a row per month, kept equal to ``FollowerDaily``.

``follower_month_keep`` rewrites one month after a daily count changed (``record.followers_write`` calls
it in its transaction); ``follower_months_fill`` rewrites a whole workspace from the daily table after rows
were written in bulk (the demo, the benchmark) or to repair.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from itertools import groupby

from django.db import transaction

from portevoix.metrics.models import FollowerDaily, FollowerMonth


def month_counts(month: dt.date, counts: dict[dt.date, int]) -> list[int | None]:
    """A month's row as stored: index n holds day n + 1's count (None: no count that day)."""
    size = calendar.monthrange(month.year, month.month)[1]
    return [counts.get(month.replace(day=n)) for n in range(1, size + 1)]


def _month_after(month: dt.date) -> dt.date:
    return (month + dt.timedelta(days=32)).replace(day=1)


def follower_month_keep(*, workspace_id: int, channel_id: int, day: dt.date) -> None:
    """Rewrite the month of ``day`` from the daily table. The month row is locked before the daily rows
    are read, so two writers of different days of one month cannot each write it without the other's."""
    month = day.replace(day=1)
    with transaction.atomic():
        row, _created = FollowerMonth.objects.select_for_update().get_or_create(
            channel_id=channel_id, month=month, defaults={"workspace_id": workspace_id}
        )
        days = FollowerDaily.objects.filter(
            channel_id=channel_id, day__gte=month, day__lt=_month_after(month)
        )
        row.counts = month_counts(month, dict(days.values_list("day", "followers")))
        row.save(update_fields=["counts"])


def _months(workspace_id: int, readings: Iterable[tuple[int, dt.date, int]]) -> Iterable[FollowerMonth]:
    """Month rows from daily readings sorted by channel and day."""
    for (channel_id, month), found in groupby(readings, key=lambda row: (row[0], row[1].replace(day=1))):
        counts = {day: followers for _channel, day, followers in found}
        yield FollowerMonth(
            workspace_id=workspace_id, channel_id=channel_id, month=month, counts=month_counts(month, counts)
        )


def follower_months_fill(*, workspace_id: int) -> int:
    """Rewrite every month row of a workspace from its daily counts; returns the rows written."""
    with transaction.atomic():
        FollowerMonth.objects.filter(workspace_id=workspace_id).delete()
        readings = (
            FollowerDaily.objects.filter(workspace_id=workspace_id)
            .order_by("channel_id", "day")
            .values_list("channel_id", "day", "followers")
        )
        rows = FollowerMonth.objects.bulk_create(
            _months(workspace_id, readings.iterator(2000)), batch_size=1000
        )
    return len(rows)
