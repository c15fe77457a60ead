"""A period of whole days as the reports, dashboards and measurement APIs take it: the defaults, the limit,
and one error for each way it can be wrong (the same wording and field everywhere)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from portevoix.core.errors import ValidationFailed

MAX_DAYS = 366  # a year, a leap year's included


def period_days(
    start: dt.date | None,
    end: dt.date | None,
    *,
    today: dt.date,
    default_days: int = 30,
    max_days: int = MAX_DAYS,
) -> tuple[dt.date, dt.date]:
    """``start`` .. ``end``, both included. ``end`` defaults to ``today`` (the caller's day: the workspace's
    time zone), ``start`` to the ``default_days`` days ending on ``end``. Refused (ValidationFailed) when
    reversed (the error is the start's) or longer than ``max_days`` (the end's: too far from the start)."""
    end = end or today
    start = start or end - dt.timedelta(days=default_days - 1)
    if start > end:
        message = _("The start must not be after the end.")
        raise ValidationFailed(message, fields={"start": [message]})
    if (end - start).days >= max_days:
        message = _("Choose at most %(n)s days.") % {"n": max_days}
        raise ValidationFailed(message, fields={"end": [message]})
    return start, end
