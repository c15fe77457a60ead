"""Request and response bodies of the links API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.core.api import InputSchema, ObjectId, Page, PageParams, no_nul
from portevoix.links.models import MAX_TARGET_LENGTH, MAX_TEMPLATE_LENGTH

Url = Annotated[str, StringConstraints(max_length=MAX_TARGET_LENGTH), AfterValidator(no_nul)]
Template = Annotated[str, StringConstraints(max_length=MAX_TEMPLATE_LENGTH), AfterValidator(no_nul)]
Campaign = Annotated[str, StringConstraints(max_length=100), AfterValidator(no_nul)]
Domain = Annotated[str, StringConstraints(max_length=253), AfterValidator(no_nul)]


class LinkOut(Schema):
    id: int
    code: str
    short_url: str = Field(description="The address to share (relative when no public address is set).")
    target_url: str = Field(description="The address as given, in its normal form.")
    final_url: str = Field(description="Where the link redirects: the target with its UTM tags.")
    post_id: int | None
    channel_id: int | None
    campaign: str
    disabled: bool
    created_at: dt.datetime
    clicks: int = Field(description="Clicks by people (bots excluded).")
    bot_clicks: int = Field(description="Clicks by bots and link previewers, counted apart.")


class LinkPage(Page):
    items: list[LinkOut]


class LinkListParams(PageParams):
    post_id: ObjectId | None = Field(None, description="Only the links of this post.")


class LinkCreateIn(InputSchema):
    url: Url = Field(description="An absolute http:// or https:// address.")
    post_id: ObjectId | None = None
    channel_id: ObjectId | None = None
    campaign: Campaign = Field("", description="Fills {campaign} in the UTM rules (default: the rubric).")


class LinkUpdateIn(InputSchema):
    disabled: bool = Field(description="A disabled link answers 404.")


class LinkDeleteOut(Schema):
    deleted: bool = Field(description="False when the link had clicks: it was disabled instead.")
    link: LinkOut | None = None


class ClicksParams(Schema):
    start: dt.date | None = Field(
        None, description="First day (the workspace's time zone); default: 30 days ago."
    )
    end: dt.date | None = Field(None, description="Last day, included; default: today.")


class DayOut(Schema):
    date: dt.date
    clicks: int = Field(description="Clicks by people.")
    bots: int


class ClicksOut(Schema):
    link_id: int
    timezone: str
    start: dt.date
    end: dt.date
    clicks: int
    bots: int
    days: list[DayOut]


class UtmRulesOut(Schema):
    utm_source: str
    utm_medium: str
    utm_campaign: str
    utm_content: str
    override: bool = Field(description="Replace utm_* parameters already on a target (default: keep them).")
    shorten_in_posts: bool = Field(
        description="Replace every address in a post's text by a tagged short link when it is published."
    )
    custom_domain: str
    placeholders: list[str]


class UtmRulesIn(InputSchema):
    utm_source: Template
    utm_medium: Template
    utm_campaign: Template = ""
    utm_content: Template = ""
    override: bool = False
    shorten_in_posts: bool = False
    custom_domain: Domain = ""
