"""Request and response bodies of the reports API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.core.api import InputSchema, ObjectId, no_nul

Day = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))]
Name = Annotated[str, StringConstraints(min_length=1, max_length=120), AfterValidator(no_nul)]
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(no_nul)]
Preset = Literal["last_7", "last_30", "last_90", "previous_week", "this_month", "previous_month"]


class ReportParams(Schema):
    start: Day | None = Field(
        None, description="First day (the workspace's time zone); default: 30 days ago."
    )
    end: Day | None = Field(None, description="Last day, included; default: today. At most 366 days.")
    preset: Preset | None = Field(None, description="A named period instead of start and end.")


class ScheduleIn(InputSchema):
    name: Name
    frequency: Literal["weekly", "monthly"]
    weekday: int = Field(0, ge=0, le=6, description="Weekly: 0 = Monday … 6 = Sunday.")
    day_of_month: int = Field(
        1, ge=1, le=31, description="Monthly: the day; a shorter month uses its last day."
    )
    time: dt.time = Field(description="Local wall time in the workspace's time zone, e.g. 08:30.")
    format: Literal["pdf", "csv", "both"] = "pdf"
    language: Annotated[str, StringConstraints(max_length=8)] = Field(
        "", description="The report's language; empty: the workspace's."
    )
    member_ids: list[ObjectId] = Field(default_factory=list, max_length=50, description="Membership ids.")
    emails: list[Email] = Field(default_factory=list, max_length=50, description="Other recipients.")
    active: bool = True


class SchedulePatch(InputSchema):
    name: Name | None = None
    frequency: Literal["weekly", "monthly"] | None = None
    weekday: int | None = Field(None, ge=0, le=6)
    day_of_month: int | None = Field(None, ge=1, le=31)
    time: dt.time | None = None
    format: Literal["pdf", "csv", "both"] | None = None
    language: Annotated[str, StringConstraints(max_length=8)] | None = None
    member_ids: list[ObjectId] | None = Field(None, max_length=50)
    emails: list[Email] | None = Field(None, max_length=50)
    active: bool | None = None


class ScheduleOut(Schema):
    id: int
    name: str
    frequency: str
    weekday: int
    day_of_month: int
    time: dt.time
    format: str
    language: str
    member_ids: list[int]
    emails: list[str]
    active: bool
    next_run_at: dt.datetime | None = Field(description="UTC instant of the next run (null when inactive).")
    last_sent_at: dt.datetime | None
    last_error: str


class ScheduleList(Schema):
    timezone: str
    items: list[ScheduleOut]


class LogoOut(Schema):
    content_type: str
    width: int
    height: int
