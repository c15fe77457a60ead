"""What a report holds: plain frozen dataclasses, rendered by pdf.py, csv_export.py and the page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    value: int | float | Decimal | None  # None: not available
    previous: int | float | Decimal | None
    unit: str  # "", "%", "s", or a currency code
    formula: str
    source: str = ""
    text: str = ""  # shown instead of the value when set (revenue in several currencies)

    @property
    def change(self) -> float | None:
        """Relative change from the previous period (percent); None when either is unknown or it was 0."""
        if self.value is None or self.previous is None or not self.previous:
            return None
        return (float(self.value) - float(self.previous)) / abs(float(self.previous)) * 100


@dataclass(frozen=True)
class PostRow:
    post_id: int
    title: str
    channel_name: str
    network: str
    published_at: dt.datetime
    url: str
    views: int | None
    reach: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    engagements: int | None
    er: float | None
    err: float | None
    clicks: int | None  # None: the post has no tracked link on this channel
    visits: int | None
    conversions: int | None
    revenue: Decimal | None


@dataclass(frozen=True)
class NetworkRow:
    network: str
    channels: int
    posts: int
    followers: int | None
    growth: int | None
    views: int | None
    engagements: int | None
    er: float | None
    err: float | None
    clicks: int | None
    visits: int | None
    conversions: int | None


@dataclass(frozen=True)
class FunnelStep:
    key: str
    label: str
    value: int | Decimal | None
    rate: float | None  # this step / the previous step x 100
    unit: str = ""
    text: str = ""


@dataclass(frozen=True)
class Series:
    label: str
    points: Sequence[tuple[dt.date, float | None]]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    kind: str  # "line" or "bar"
    series: list[Series]
    categories: list[str] = field(default_factory=list)  # bar charts: one label per value
    note: str = ""

    @property
    def empty(self) -> bool:
        return not any(value for s in self.series for _day, value in s.points if value is not None)


@dataclass(frozen=True)
class Report:
    workspace_name: str
    timezone: str
    language: str
    start: dt.date
    end: dt.date
    previous_start: dt.date
    previous_end: dt.date
    generated_at: dt.datetime
    kpis: list[Figure]
    networks: list[NetworkRow]
    posts: list[PostRow]
    top_posts: list[PostRow]
    bottom_posts: list[PostRow]
    funnel: list[FunnelStep]
    charts: list[Chart]
    site_source: str  # "tracker", "ga4", "metrica" or "" (not available)
    notes: list[str]

    def kpi(self, key: str) -> Figure:
        return next(figure for figure in self.kpis if figure.key == key)
