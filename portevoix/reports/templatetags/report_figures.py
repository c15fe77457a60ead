"""Template filters of the reports page: figures shown as in the PDF ("Not available", never 0)."""

from __future__ import annotations

from typing import Any

from django import template

from portevoix.reports import formatting

register = template.Library()


@register.filter
def figure(value: Any, unit: str = "") -> str:
    return formatting.figure(value, unit)


@register.filter
def kpi(item: Any) -> str:
    return formatting.figure(item.value, item.unit, item.text)


@register.filter
def kpi_previous(item: Any) -> str:
    return formatting.figure(item.previous, item.unit)


@register.filter
def change(value: Any) -> str:
    return formatting.change(value)
