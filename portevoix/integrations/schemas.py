"""Request and response bodies of the integrations API. Credentials go in, never out: a response says only
whether they are set, and for GA4 the service account's e-mail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.core.api import InputSchema, ObjectId, Page, PageParams, no_nul

Name = Annotated[str, StringConstraints(max_length=200), AfterValidator(no_nul)]
Label = Annotated[str, StringConstraints(max_length=255), AfterValidator(no_nul)]
Digits = Annotated[str, StringConstraints(max_length=30), AfterValidator(no_nul)]
KeyJson = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(no_nul)]
Token = Annotated[str, StringConstraints(max_length=500), AfterValidator(no_nul)]
Currency = Annotated[str, StringConstraints(max_length=3), AfterValidator(no_nul)]
GoalId = Annotated[int, Field(ge=1, le=10**12)]


class CredentialsOut(Schema):
    set: bool = Field(description="Whether credentials are stored (they are never returned).")
    client_email: str = Field("", description="GA4: the service account's e-mail; empty for Metrica.")


class IntegrationOut(Schema):
    id: int
    kind: Literal["ga4", "metrica"]
    name: str
    config: dict[str, Any] = Field(
        description="GA4: property_id, conversion_metric (keyEvents or conversions). Metrica: counter_id, "
        "goal_ids, ecommerce_revenue, currency."
    )
    credentials: CredentialsOut
    active: bool
    status: Literal["new", "ok", "failed"]
    last_run_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error: str
    last_rows: int | None
    next_run_at: dt.datetime | None
    created_at: dt.datetime


class IntegrationPage(Page):
    items: list[IntegrationOut]


class IntegrationCreateIn(InputSchema):
    kind: Literal["ga4", "metrica"]
    name: Name
    property_id: Digits | None = Field(None, description="GA4: the numeric property id.")
    key_json: KeyJson | None = Field(None, description="GA4: the service account's JSON key file, as text.")
    conversion_metric: Literal["keyEvents", "conversions"] | None = Field(
        None, description="GA4: keyEvents (default; GA4's name since 2024) or conversions."
    )
    counter_id: Digits | None = Field(None, description="Metrica: the counter (tag) number.")
    token: Token | None = Field(None, description="Metrica: an OAuth token with the metrika:read scope.")
    goal_ids: list[GoalId] | None = Field(None, max_length=8, description="Metrica: goal ids (at most 8).")
    ecommerce_revenue: bool | None = Field(None, description="Metrica: revenue from ym:s:ecommerceRevenue.")
    currency: Currency | None = Field(None, description="Metrica: the counter's currency (default RUB).")


class IntegrationUpdateIn(InputSchema):
    name: Name | None = None
    active: bool | None = Field(None, description="False pauses the daily import.")
    property_id: Digits | None = None
    key_json: KeyJson | None = Field(None, description="GA4: a new JSON key (replaces the stored one).")
    conversion_metric: Literal["keyEvents", "conversions"] | None = None
    counter_id: Digits | None = None
    token: Token | None = Field(None, description="Metrica: a new OAuth token (replaces the stored one).")
    goal_ids: list[GoalId] | None = Field(None, max_length=8)
    ecommerce_revenue: bool | None = None
    currency: Currency | None = None


class IntegrationDeleteOut(Schema):
    deleted: bool


class TestOut(Schema):
    ok: bool
    message: str
    rows: int = Field(description="Rows read in the test (at most 1).")


class ImportOut(Schema):
    queued: bool


class TrafficParams(Schema):
    start: dt.date | None = Field(None, description="First day (default: 30 days before end).")
    end: dt.date | None = Field(None, description="Last day (default: today in the workspace's time zone).")
    integration_id: ObjectId | None = None
    source: Label | None = None
    medium: Label | None = None
    campaign: Label | None = None


class TrafficRowOut(Schema):
    integration_id: int
    source: str
    medium: str
    campaign: str
    sessions: int
    engaged_sessions: int | None = Field(description="GA4 only; null for Metrica (not available).")
    bounce_rate: float | None = Field(
        description="Percent, weighted by sessions, in the service's definition."
    )
    avg_duration: float | None = Field(description="Seconds, weighted by sessions.")
    conversions: float | None
    revenue: Decimal | None
    currency: str


class TrafficOut(Schema):
    start: dt.date
    end: dt.date
    rows: list[TrafficRowOut]


class IntegrationListParams(PageParams):
    pass
