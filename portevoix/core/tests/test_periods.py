"""Periods of whole days: defaults, the limit, and one error wording and field everywhere."""

from __future__ import annotations

import datetime as dt

import pytest

from portevoix.core.errors import ValidationFailed
from portevoix.core.periods import MAX_DAYS, period_days

TODAY = dt.date(2026, 3, 1)


def test_defaults_end_today_and_the_given_number_of_days():
    assert period_days(None, None, today=TODAY) == (dt.date(2026, 1, 31), TODAY)
    assert period_days(None, None, today=TODAY, default_days=7) == (dt.date(2026, 2, 23), TODAY)
    assert period_days(None, dt.date(2026, 1, 10), today=TODAY, default_days=1) == (dt.date(2026, 1, 10),) * 2
    assert period_days(dt.date(2025, 12, 1), None, today=TODAY) == (dt.date(2025, 12, 1), TODAY)


def test_at_most_max_days_both_ends_included():
    start = dt.date(2025, 3, 1)
    assert period_days(start, start + dt.timedelta(days=MAX_DAYS - 1), today=TODAY)[1] == dt.date(2026, 3, 1)
    with pytest.raises(ValidationFailed) as caught:
        period_days(start, start + dt.timedelta(days=MAX_DAYS), today=TODAY)
    assert caught.value.fields == {"end": ["Choose at most 366 days."]}
    with pytest.raises(ValidationFailed) as caught:
        period_days(start, start + dt.timedelta(days=10), today=TODAY, max_days=10)
    assert caught.value.fields == {"end": ["Choose at most 10 days."]}


def test_a_reversed_period_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        period_days(dt.date(2026, 2, 2), dt.date(2026, 2, 1), today=TODAY)
    assert caught.value.fields == {"start": ["The start must not be after the end."]}
