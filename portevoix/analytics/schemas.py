"""Request and response bodies of the tracker API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.analytics.models import MAX_DOMAINS, MAX_NAME
from portevoix.core.api import InputSchema, Instant, ObjectId, Page, no_nul

Name = Annotated[str, StringConstraints(max_length=MAX_NAME), AfterValidator(no_nul)]
Domains = Annotated[str, StringConstraints(max_length=MAX_DOMAINS), AfterValidator(no_nul)]
Short = Annotated[str, StringConstraints(max_length=100), AfterValidator(no_nul)]


class SiteOut(Schema):
    id: int
    name: str
    public_key: str = Field(description="The snippet's data-site (public).")
    domains: list[str] = Field(description="Hosts allowed to send beacons (empty: any).")
    snippet: str = Field(description="The tag to paste in the site's pages.")
    created_at: dt.datetime
    last_event_at: dt.datetime | None = Field(description="When the last beacon was stored.")


class SiteSecretOut(SiteOut):
    secret: str = Field(description="The server-side conversions key: shown only now, store it safely.")


class SitePage(Page):
    items: list[SiteOut]


class SiteCreateIn(InputSchema):
    name: Name
    domains: Domains = Field("", description="Host names, one per line or comma-separated.")


class SiteUpdateIn(InputSchema):
    name: Name | None = None
    domains: Domains | None = None


class SiteDeleteOut(Schema):
    deleted: bool


class VisitsParams(Schema):
    start: dt.date | None = Field(None, description="First day (workspace's time zone); default 30 days ago.")
    end: dt.date | None = Field(None, description="Last day, included; default today.")
    group: Literal["network", "campaign", "post", "day"] = "network"
    social_only: bool = Field(False, description="Only visits from social networks.")
    site_id: ObjectId | None = None


class VisitRowOut(Schema):
    key: str = Field(description="Network key, campaign, post id or date; empty for none.")
    label: str
    visits: int
    bounces: int
    bounce_rate: float | None = Field(description="bounces / visits x 100; null without visits.")
    avg_engaged_seconds: float | None
    median_engaged_seconds: float | None
    converted_visits: int = Field(description="Visits with at least one goal completion.")
    conversion_rate: float | None = Field(description="converted visits / visits x 100; null without visits.")
    conversions: int = Field(description="Goal completions in the period (attributed, last social touch).")
    revenue: dict[str, Decimal] = Field(description="Revenue per ISO 4217 currency.")


class VisitsOut(Schema):
    timezone: str
    start: dt.date
    end: dt.date
    group: str
    social_only: bool
    rows: list[VisitRowOut]


class ConversionIn(InputSchema):
    goal: Short = Field(description="signup, purchase, registration or a custom name.")
    visitor: Short | None = Field(
        None, description="The visitor id the script keeps (portevoix.visitor() in the page)."
    )
    order_id: Short | None = Field(None, description="Deduplication key: one conversion per order id.")
    revenue: Decimal | None = Field(None, ge=0, le=Decimal("9999999999.99"))
    currency: Short | None = Field(None, description="ISO 4217 code, required with a revenue.")
    at: Instant | None = Field(None, description="When it happened (default: now); within 90 days.")


class ConversionOut(Schema):
    id: int
    created: bool = Field(description="False when this order id was already recorded (nothing changed).")
    goal: str
    at: dt.datetime
    revenue: Decimal | None
    currency: str
    network: str = Field(description="Attributed network (last social visit within 30 days), or empty.")
    campaign: str
    post_id: int | None
