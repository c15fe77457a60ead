"""Numbers as a report shows them, in the active language: "Not available" for None, never 0."""

from __future__ import annotations

from decimal import Decimal

from django.utils import formats
from django.utils.translation import gettext as _


def not_available() -> str:
    return _("Not available")


def short_not_available() -> str:
    """For narrow table cells; the page or PDF says what it means."""
    return _("n/a")


def number(value: int | float | Decimal | None, decimals: int = 0, *, short: bool = False) -> str:
    if value is None:
        return short_not_available() if short else not_available()
    if isinstance(value, float | Decimal) and decimals == 0 and value != int(value):
        decimals = 1
    return formats.number_format(value, decimals, use_l10n=True, force_grouping=True)


def figure(
    value: int | float | Decimal | None, unit: str = "", text: str = "", *, short: bool = False
) -> str:
    """A KPI's value with its unit: percentages with two decimals, seconds as "1 min 05 s", money with
    two decimals and its currency."""
    if text:
        return text
    if value is None:
        return short_not_available() if short else not_available()
    if unit == "%":
        return f"{number(value, 2)} %"
    if unit == "s":
        return duration(float(value))
    if unit:
        return f"{number(value, 2)} {unit}"
    return number(value, 0 if float(value) == int(value) else 1)


def duration(seconds: float) -> str:
    total = round(seconds)
    minutes, rest = divmod(total, 60)
    if minutes:
        return _("%(m)s min %(s)02d s") % {"m": minutes, "s": rest}
    return _("%(s)s s") % {"s": rest}


def change(value: float | None) -> str:
    if value is None:
        return "—"
    sign = "+" if value > 0 else ""
    return f"{sign}{number(value, 1)} %"
