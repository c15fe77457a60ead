"""The CSV export of a report: the key figures, the per-network table and one row per post x channel.

UTF-8 with a byte-order mark (spreadsheets then read accents and Cyrillic right), comma-separated, and
safe to open in a spreadsheet: a cell starting with = + - @, a tab or a carriage return gets a leading
apostrophe so that it is never read as a formula. Numbers are written plainly (dot for decimals); an
empty cell means "not available", never 0. Rows are produced one by one for a streamed response.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from portevoix.reports.data import Report

BOM = "\ufeff"
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    def write(self, value: str) -> str:
        return value


def safe_cell(value: Any) -> str:
    """A cell's text: None -> empty; numbers as is; text starting like a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    text = str(value)
    if text.startswith(DANGEROUS):
        return "'" + text
    return text


def rows(report: Report) -> Iterator[list[str]]:
    def line(*cells: Any) -> list[str]:
        return [safe_cell(cell) for cell in cells]

    yield line("section", "key", "label", "value", "previous", "unit", "formula", "source")
    yield line(
        "period",
        "start",
        _("Start"),
        report.start.isoformat(),
        report.previous_start.isoformat(),
        "",
        "",
        report.timezone,
    )
    yield line(
        "period",
        "end",
        _("End"),
        report.end.isoformat(),
        report.previous_end.isoformat(),
        "",
        "",
        report.timezone,
    )
    for figure in report.kpis:
        yield line(
            "kpi",
            figure.key,
            figure.label,
            figure.text or figure.value,
            figure.previous,
            figure.unit,
            figure.formula,
            figure.source,
        )
    for step in report.funnel:
        yield line(
            "funnel",
            step.key,
            step.label,
            step.value,
            step.rate,
            "%" if step.rate is not None else "",
            "",
            "",
        )
    yield []
    yield line(
        "network",
        "network",
        "channels",
        "posts",
        "followers",
        "growth",
        "views",
        "engagements",
        "er",
        "err",
        "clicks",
        "visits",
        "conversions",
    )
    for network in report.networks:
        yield line(
            "network",
            network.network,
            network.channels,
            network.posts,
            network.followers,
            network.growth,
            network.views,
            network.engagements,
            network.er,
            network.err,
            network.clicks,
            network.visits,
            network.conversions,
        )
    yield []
    yield line(
        "post",
        "post_id",
        "title",
        "channel",
        "network",
        "published_at",
        "url",
        "views",
        "reach",
        "likes",
        "comments",
        "shares",
        "engagements",
        "er",
        "err",
        "clicks",
        "visits",
        "conversions",
        "revenue",
    )
    for post in report.posts:
        yield line(
            "post",
            post.post_id,
            post.title,
            post.channel_name,
            post.network,
            post.published_at.isoformat(),
            post.url,
            post.views,
            post.reach,
            post.likes,
            post.comments,
            post.shares,
            post.engagements,
            post.er,
            post.err,
            post.clicks,
            post.visits,
            post.conversions,
            post.revenue,
        )


def stream(report: Report) -> Iterator[str]:
    """The file as text chunks, the BOM first."""
    writer = csv.writer(_Echo(), lineterminator="\r\n")
    yield BOM
    for row in rows(report):
        yield writer.writerow(row)


def render_csv(report: Report) -> bytes:
    return "".join(stream(report)).encode("utf-8")
