"""Request and response bodies of the metrics API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.core.api import InputSchema, ObjectId, Page, PageParams, no_nul

Count = Annotated[int, Field(ge=0, le=10**15)]
Network = Annotated[str, StringConstraints(max_length=32), AfterValidator(no_nul)]
Day = Annotated[dt.date, Field(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))]

NA = "None (null) when the network does not give it: not available, never 0."


class PeriodParams(Schema):
    start: Day | None = Field(
        None, description="First day (the workspace's time zone); default: 30 days ago."
    )
    end: Day | None = Field(None, description="Last day, included; default: today.")


class PostMetricsParams(PageParams, PeriodParams):
    channel: ObjectId | None = Field(None, description="Only this channel (its id).")
    network: Network | None = Field(None, description="Only this network (a connector key, e.g. vk).")
    rubric: ObjectId | None = Field(None, description="Only posts of this rubric (its id).")


class PostMetricOut(Schema):
    target_id: int
    post_id: int
    post_title: str
    channel_id: int
    channel_name: str
    network: str
    rubric_id: int | None
    published_at: dt.datetime
    url: str
    collected_at: dt.datetime | None = Field(description="When the newest reading was taken; null: none yet.")
    source: str = Field(description="Where the newest reading came from: api, manual or csv (empty: none).")
    views: int | None = Field(description=NA)
    reach: int | None = Field(description=NA)
    likes: int | None = Field(description=NA)
    comments: int | None = Field(description=NA)
    shares: int | None = Field(description=NA)
    saves: int | None = Field(description=NA)
    quotes: int | None = Field(description=NA)
    followers: int | None = Field(description="The channel's followers on the day of publication.")
    engagements: int | None = Field(description="likes + comments + shares + quotes + saves, where given.")
    er: float | None = Field(description="Engagements / followers at publication x 100 (%).")
    err: float | None = Field(description="Engagements / reach (or views) x 100 (%).")
    love_rate: float | None
    talk_rate: float | None
    amplification: float | None
    virality: float | None


class PostMetricsPage(Page):
    timezone: str
    start: dt.date
    end: dt.date
    items: list[PostMetricOut]


class FollowersParams(PeriodParams):
    channel: ObjectId | None = Field(None, description="Only this channel (its id); default: every channel.")


class FollowerDayOut(Schema):
    date: dt.date
    followers: int | None = Field(description="The count at the end of the day; null: no reading that day.")


class GrowthOut(Schema):
    start_date: dt.date | None
    start_followers: int | None
    end_date: dt.date | None
    end_followers: int | None
    growth: int | None = Field(description="End - start; null when either is unknown.")
    rate: float | None = Field(description="Growth / start x 100 (%); null when unknown or start is 0.")


class ChannelFollowersOut(Schema):
    channel_id: int
    channel_name: str
    network: str
    days: list[FollowerDayOut]
    growth: GrowthOut


class FollowersOut(Schema):
    timezone: str
    start: dt.date
    end: dt.date
    channels: list[ChannelFollowersOut]


class ManualIn(InputSchema):
    post_id: ObjectId
    channel_id: ObjectId
    date: Day | None = Field(None, description="The day the figures were read (default: today).")
    views: Count | None = None
    reach: Count | None = None
    likes: Count | None = None
    comments: Count | None = None
    shares: Count | None = None
    saves: Count | None = None
    quotes: Count | None = None


class ManualOut(Schema):
    target_id: int
    date: dt.date
    views: int | None
    reach: int | None
    likes: int | None
    comments: int | None
    shares: int | None
    saves: int | None
    quotes: int | None


class FollowersIn(InputSchema):
    channel_id: ObjectId
    date: Day | None = Field(None, description="The day of the count (default: today).")
    followers: Count


class FollowersEnteredOut(Schema):
    channel_id: int
    date: dt.date
    followers: int


class ImportProblemOut(Schema):
    row: int = Field(description="The row as a spreadsheet numbers it (the header is row 1; 0: the file).")
    column: str
    message: str


class ImportOut(Schema):
    dry_run: bool
    written: bool = Field(description="True when the rows were stored (never on a dry run).")
    total_rows: int
    post_rows: int
    follower_rows: int
    problem_count: int
    problems: list[ImportProblemOut] = Field(description="Problems per row, at most 200.")
