"""Request and response bodies of the dashboards API (docs/dashboards.md describes each panel's keys)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.core.api import ObjectId, no_nul

Day = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))]
Network = Annotated[str, StringConstraints(max_length=32), AfterValidator(no_nul)]


class DashboardParams(Schema):
    start: Day | None = Field(
        None, description="First day (the workspace's time zone); default: 29 days before end."
    )
    end: Day | None = Field(None, description="Last day, included; default: today. At most 366 days in all.")
    compare: bool = Field(True, description="Add the previous period of equal length and the changes.")
    channel: ObjectId | None = Field(None, description="Only this channel (its id).")
    network: Network | None = Field(None, description="Only this network (a connector key, e.g. vk).")
    rubric: ObjectId | None = Field(None, description="Only posts of this rubric (its id).")


class PeriodOut(Schema):
    start: dt.date
    end: dt.date
    days: int
    timezone: str
    channel: int | None
    network: str | None
    rubric: int | None


class SummaryOut(Schema):
    period: PeriodOut
    previous: PeriodOut | None = Field(description="The comparison period (null without compare).")
    panels: dict[str, dict[str, Any]] = Field(
        description="Panel name -> its figures: `totals`, tables, `formulas`; with compare, "
        "`previous_totals` and `deltas` (change and percent)."
        " A figure nobody gives is null (not available), never 0."
    )


class PanelOut(Schema):
    name: str
    period: PeriodOut
    previous: PeriodOut | None
    panel: dict[str, Any]
