"""The ageing schedule and the engagement formulas (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from portevoix.metrics import formulas, schedule

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("age", "every"),
    [
        (timedelta(0), timedelta(hours=1)),
        (timedelta(hours=23, minutes=59), timedelta(hours=1)),
        (timedelta(days=1), timedelta(hours=6)),
        (timedelta(days=6, hours=23), timedelta(hours=6)),
        (timedelta(days=7), timedelta(days=1)),
        (timedelta(days=29), timedelta(days=1)),
        (timedelta(days=30), timedelta(days=7)),
        (timedelta(days=89), timedelta(days=7)),
        (timedelta(days=90), None),
        (timedelta(days=400), None),
    ],
)
def test_interval_slows_down_as_the_post_ages(age, every):
    assert schedule.interval(age) == every


def test_next_due_follows_the_steps_and_takes_a_last_reading_at_90_days():
    assert schedule.next_due(T0, T0 + timedelta(minutes=5)) == T0 + timedelta(hours=1, minutes=5)
    assert schedule.next_due(T0, T0 + timedelta(days=2)) == T0 + timedelta(days=2, hours=6)
    assert schedule.next_due(T0, T0 + timedelta(days=10)) == T0 + timedelta(days=11)
    # 88 days + 7 would pass the horizon: moved to the 90-day mark...
    assert schedule.next_due(T0, T0 + timedelta(days=88)) == T0 + timedelta(days=90)
    # ...and the reading taken there is the last.
    assert schedule.next_due(T0, T0 + timedelta(days=90)) is None


def test_first_due_is_now_unless_past_the_horizon():
    now = T0 + timedelta(days=3)
    assert schedule.first_due(T0, now) == now
    assert schedule.first_due(T0, T0 + timedelta(days=90)) is None


def test_engagements_sum_the_parts_a_network_gives_and_none_when_it_gives_none():
    assert formulas.engagements(likes=10, comments=2, shares=3, saves=None, quotes=1) == 16
    assert formulas.engagements(likes=10, comments=None, shares=None) == 10
    assert formulas.engagements(likes=0, comments=0, shares=0) == 0  # zero is a value, not "missing"
    assert formulas.engagements(likes=None, comments=None, shares=None, saves=None, quotes=None) is None


def test_rates_are_none_for_missing_inputs_and_division_by_zero():
    assert formulas.er(50, 1000) == pytest.approx(5.0)
    assert formulas.er(None, 1000) is None
    assert formulas.er(50, None) is None
    assert formulas.er(50, 0) is None
    assert formulas.err(30, reach=600, views=3000) == pytest.approx(5.0)
    assert formulas.err(30, reach=None, views=3000) == pytest.approx(1.0)  # views where there is no reach
    assert formulas.err(30, reach=None, views=None) is None
    assert formulas.err(30, reach=0, views=3000) is None  # a reach of 0 is given: no fallback to views
    assert formulas.love_rate(20, 400) == pytest.approx(5.0)
    assert formulas.talk_rate(4, 400) == pytest.approx(1.0)
    assert formulas.amplification(formulas.shares_total(3, 1), 400) == pytest.approx(1.0)
    assert formulas.virality(5, 500) == pytest.approx(1.0)
    assert formulas.virality(5, None) is None
    assert formulas.shares_total(None, None) is None


def test_channel_er_and_er_per_day():
    # (10 + 30) / 2 posts / average(900, 1100) x 100 = 2 %
    assert formulas.er_channel([10, 30, None], [900, None, 1100]) == pytest.approx(2.0)
    assert formulas.er_channel([None], [1000]) is None
    assert formulas.er_channel([10], []) is None
    assert formulas.er_day([5, None, 5], 500) == pytest.approx(2.0)
    assert formulas.er_day([None], 500) is None
