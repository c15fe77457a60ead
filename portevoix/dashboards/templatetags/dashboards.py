"""Template filters of the dashboards page: "n/a" for a figure nobody gives, "—" for a rate or time of
sessions when there were none, the change since the previous period, and money per currency."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def na(value: Any, decimals: int | None = None) -> Any:
    """The value, or a muted "n/a" when it is not available (None)."""
    if value is None:
        return format_html('<span class="pv-muted" title="{}">{}</span>', _("not available"), _("n/a"))
    if isinstance(value, float):
        return number_format(value, decimal_pos=2 if decimals is None else decimals)
    return number_format(value) if isinstance(value, int) and not isinstance(value, bool) else value


@register.filter
def nodata(value: Any, decimals: int | None = None) -> Any:
    """A rate or a time of sessions, or a muted "—" when there were none (None: nothing to divide by)."""
    if value is None:
        return format_html('<span class="pv-muted" title="{}">—</span>', _("no sessions in this period"))
    return na(value, decimals)


@register.simple_tag
def change(panel: dict[str, Any], key: str) -> SafeString | str:
    """The change of ``panel``'s total ``key`` since the previous period, e.g. "+12 (+5.0 %)"."""
    delta = (panel.get("deltas") or {}).get(key)
    if not delta:
        return format_html('<span class="pv-muted">{}</span>', "—")
    value = delta["change"]
    sign = "+" if value > 0 else ""
    text = f"{sign}{number_format(value, decimal_pos=2 if isinstance(value, float) else None)}"
    if delta["percent"] is not None:
        percent = delta["percent"]
        text += f" ({'+' if percent > 0 else ''}{number_format(percent, decimal_pos=1)} %)"
    return format_html('<span data-testid="delta-{}">{}</span>', key, text)


@register.filter
def previous(panel: dict[str, Any], key: str) -> Any:
    return na((panel.get("previous_totals") or {}).get(key))


@register.filter
def previous_nodata(panel: dict[str, Any], key: str) -> Any:
    return nodata((panel.get("previous_totals") or {}).get(key), 1 if "duration" in key else None)


@register.filter
def money(amounts: dict[str, str] | None) -> Any:
    if not amounts:
        return "0"
    return ", ".join(f"{value} {currency}" for currency, value in amounts.items())
