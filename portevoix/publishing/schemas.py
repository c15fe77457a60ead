"""Request and response bodies of the publishing API: /api/v1/attention, the actions on a target
(/api/v1/targets/{id}/...) and /api/v1/notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.core.api import InputSchema, ObjectId, Page, PageParams, no_nul

Url = Annotated[str, StringConstraints(max_length=2000), AfterValidator(no_nul)]


class ChannelRefOut(Schema):
    id: int
    network: str
    name: str


class AttentionTargetOut(Schema):
    id: int = Field(description="The target's id (one post on one channel).")
    post_id: int
    channel: ChannelRefOut
    reason: str = Field(description="failed, unconfirmed, struggling (retrying again and again) or pending.")
    state: str
    state_label: str
    due_at: datetime | None
    attempt_count: int
    error_code: str
    error_message: str = Field(description="The last error, in plain words.")
    advice: str = Field(description="What to do about it.")
    actions: list[str] = Field(
        description="What may be done now: retry, mark_published, mark_not_published, cancel."
    )


class AttentionChannelOut(Schema):
    id: int
    network: str
    name: str
    status: str
    status_label: str
    token_expires_at: datetime | None


class AttentionPage(Page):
    items: list[AttentionTargetOut]
    channels: list[AttentionChannelOut] = Field(
        description="Channels that need reconnecting, or whose access expires within a week (not paginated)."
    )


class TargetOut(Schema):
    id: int
    post_id: int
    channel: ChannelRefOut
    state: str
    state_label: str
    due_at: datetime | None
    published_at: datetime | None
    remote_url: str
    error_code: str
    error_message: str


class MarkPublishedIn(InputSchema):
    url: Url = Field(description="The address of the post on the network (http or https).")


class NotificationOut(Schema):
    id: int
    kind: str
    kind_label: str
    title: str
    message: str
    channel_id: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationPage(Page):
    items: list[NotificationOut]


class NotificationParams(PageParams):
    unread: bool = Field(False, description="Only the unread ones.")


class MarkReadIn(InputSchema):
    ids: list[ObjectId] | None = Field(
        None, max_length=200, description="The notifications to mark read; all of them when omitted."
    )


class MarkReadOut(Schema):
    marked: int
