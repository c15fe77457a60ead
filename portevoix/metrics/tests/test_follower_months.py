"""The followers' month rows (``FollowerMonth``) hold exactly the daily table's counts: kept by every
follower write, rebuilt in bulk by ``follower_months_fill``, safe under concurrent writers."""

from __future__ import annotations

import datetime as dt
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from portevoix.metrics.models import FollowerDaily, FollowerMonth
from portevoix.metrics.services import follower_months_fill
from portevoix.metrics.services.months import month_counts
from portevoix.metrics.services.record import followers_write


def months_of(channel) -> dict[dt.date, list[int | None]]:
    return dict(FollowerMonth.objects.filter(channel=channel).values_list("month", "counts"))


def months_from_daily(channel) -> dict[dt.date, list[int | None]]:
    """The month rows the daily table implies (the reference the stored rows must equal)."""
    by_month: dict[dt.date, dict[dt.date, int]] = {}
    for day, followers in FollowerDaily.objects.filter(channel=channel).values_list("day", "followers"):
        by_month.setdefault(day.replace(day=1), {})[day] = followers
    return {month: month_counts(month, counts) for month, counts in by_month.items()}


def test_month_counts_has_a_slot_per_day_of_the_month():
    assert len(month_counts(dt.date(2024, 2, 1), {})) == 29
    assert len(month_counts(dt.date(2026, 2, 1), {})) == 28
    counts = month_counts(dt.date(2026, 1, 1), {dt.date(2026, 1, 1): 5, dt.date(2026, 1, 31): 0})
    assert (len(counts), counts[0], counts[1], counts[30]) == (31, 5, None, 0)


@pytest.mark.django_db
def test_every_follower_write_keeps_its_month_in_the_workspace_zone(team, make_channel):
    channel = make_channel()  # the team's workspace is in Europe/Paris (UTC+1 in winter)
    followers_write(channel=channel, followers=100, collected_at=datetime(2026, 1, 31, 12, tzinfo=UTC))
    # 23:30 UTC on 31 January is 00:30 on 1 February in Paris: February's row.
    followers_write(channel=channel, followers=104, collected_at=datetime(2026, 1, 31, 23, 30, tzinfo=UTC))
    followers_write(channel=channel, followers=101, collected_at=datetime(2026, 1, 31, 20, tzinfo=UTC))
    followers_write(channel=channel, followers=99, collected_at=datetime(2026, 1, 31, 8, tzinfo=UTC))  # older
    followers_write(channel=channel, followers=0, collected_at=datetime(2026, 1, 2, 9, tzinfo=UTC))
    months = months_of(channel)
    assert set(months) == {dt.date(2026, 1, 1), dt.date(2026, 2, 1)}
    january, february = months[dt.date(2026, 1, 1)], months[dt.date(2026, 2, 1)]
    assert (len(january), january[30], january[1], january[0]) == (31, 101, 0, None)
    assert (len(february), february[0], february[1:]) == (28, 104, [None] * 27)
    assert months == months_from_daily(channel)
    assert (
        FollowerMonth.objects.get(channel=channel, month=dt.date(2026, 1, 1)).workspace_id
        == team.workspace.pk
    )


@pytest.mark.django_db
def test_fill_rebuilds_a_workspace_s_months_from_the_daily_table(team, other_team, make_channel):
    channel = make_channel()
    for day in (1, 2, 15, 28):
        followers_write(
            channel=channel, followers=day * 10, collected_at=datetime(2026, 2, day, 12, tzinfo=UTC)
        )
    followers_write(channel=channel, followers=7, collected_at=datetime(2026, 4, 30, 12, tzinfo=UTC))
    kept = months_of(channel)
    FollowerMonth.objects.filter(channel=channel).delete()
    # A daily row written in bulk, as the demo and the benchmark do, with no month row yet.
    FollowerDaily.objects.create(
        workspace=team.workspace, channel=channel, day=dt.date(2026, 3, 3), followers=33,
        collected_at=datetime(2026, 3, 3, 12, tzinfo=UTC),
    )  # fmt: skip
    assert follower_months_fill(workspace_id=team.workspace.pk) == 3
    assert months_of(channel) == months_from_daily(channel)
    assert months_of(channel)[dt.date(2026, 2, 1)] == kept[dt.date(2026, 2, 1)]
    assert months_of(channel)[dt.date(2026, 3, 1)][2] == 33
    # Idempotent, and other workspaces' rows are left alone.
    elsewhere = FollowerMonth.objects.create(
        workspace=other_team.workspace,
        channel=make_channel(workspace=other_team.workspace),
        month=dt.date(2026, 2, 1),
        counts=[1] * 28,
    )
    assert follower_months_fill(workspace_id=team.workspace.pk) == 3
    assert FollowerMonth.objects.get(pk=elsewhere.pk).counts == [1] * 28
    assert follower_months_fill(workspace_id=other_team.workspace.pk) == 0  # no daily rows there
    assert not FollowerMonth.objects.filter(pk=elsewhere.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_writes_of_one_month_keep_every_day(team, make_channel):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("in-memory SQLite is one connection; the race is exercised on PostgreSQL in CI")
    channel = make_channel()
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def write(day: int) -> None:
        try:
            start.wait()
            followers_write(
                channel=channel, followers=day, collected_at=datetime(2026, 3, day, 12, tzinfo=UTC)
            )
        except BaseException as error:  # reported by the assertion below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(day,)) for day in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert months_of(channel) == {dt.date(2026, 3, 1): [*range(1, 9), *[None] * 23]}
