"""Request and response bodies of the composer's API: /api/v1/content/validate and /api/v1/posts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.content import localtime
from portevoix.content.selectors import PostStatus, status_from_states
from portevoix.content.services import (
    MAX_CHANNELS,
    MAX_LINK_LENGTH,
    MAX_MEDIA,
    MAX_TITLE_LENGTH,
    MAX_VARIANTS,
)
from portevoix.core.api import InputSchema, Instant, ObjectId, Page, PageParams, no_nul

NetworkKey = Annotated[str, StringConstraints(max_length=32), AfterValidator(no_nul)]
# Texts are not bounded here: a text past what textcount measures answers 422 ``text_too_long`` with the
# limit in the message (the request body itself is bounded by DATA_UPLOAD_MAX_MEMORY_SIZE: 413).
PostText = Annotated[str, AfterValidator(no_nul)]
Title = Annotated[str, StringConstraints(max_length=MAX_TITLE_LENGTH), AfterValidator(no_nul)]
Link = Annotated[str, StringConstraints(max_length=MAX_LINK_LENGTH), AfterValidator(no_nul)]
ContentType = Annotated[str, StringConstraints(max_length=100), AfterValidator(no_nul)]
Short = Annotated[str, StringConstraints(max_length=64), AfterValidator(no_nul)]
Query200 = Annotated[str, StringConstraints(max_length=200), AfterValidator(no_nul)]

# --- Validation -----------------------------------------------------------------------------------


class MediaDescriptionIn(InputSchema):
    kind: Literal["image", "video"]
    content_type: ContentType = Field(description="MIME type, e.g. image/jpeg.")
    size: int = Field(ge=0, le=2**53, description="Bytes.")
    width: int | None = Field(None, ge=1, le=1_000_000, description="Pixels.")
    height: int | None = Field(None, ge=1, le=1_000_000, description="Pixels.")
    duration_seconds: float | None = Field(None, ge=0, le=10**7, description="Videos: length in seconds.")


class ValidateIn(InputSchema):
    text: PostText = Field("", description="The base text.")
    media: list[MediaDescriptionIn] = Field(default_factory=list, max_length=50)
    networks: list[NetworkKey] = Field(
        min_length=1, max_length=40, description="Network keys, e.g. x, bluesky."
    )
    link: Link | None = Field(
        None,
        description="A link sent with the post (appended to the text where the "
        "network shows it in the text).",
    )
    variants: dict[NetworkKey, PostText] = Field(
        default_factory=dict, max_length=40, description="Per-network texts replacing the base text."
    )


class ProblemOut(Schema):
    code: str = Field(description="Stable code, e.g. too_long, too_many_media, format_not_accepted.")
    message: str = Field(description="Plain explanation in the caller's language.")


class CountOut(Schema):
    length: int
    limit: int | None
    unit: str
    valid: bool


class NetworkResultOut(Schema):
    network: str
    label: str
    field: str = Field(description="Which text rule applied: post, message or caption (media attached).")
    length: int = Field(description="The text's length as the network counts it (first limit's unit).")
    limit: int | None = Field(description="null: the network documents no limit.")
    unit: str = Field(description="graphemes, utf16, twitter_weighted, graphemes_url_23, chars, ...")
    unit_label: str
    counts: list[CountOut] = Field(description="Every limit that applies (Bluesky: graphemes and bytes).")
    hashtags: int
    mentions: int
    valid: bool
    problems: list[ProblemOut]


class ValidateOut(Schema):
    results: dict[str, NetworkResultOut]


def result_out(result: Any) -> dict[str, Any]:
    return {
        "network": result.network,
        "label": result.label,
        "field": result.field,
        "length": result.length,
        "limit": result.limit,
        "unit": result.unit,
        "unit_label": result.unit_label,
        "counts": [
            {"length": c.length, "limit": c.limit, "unit": str(c.unit), "valid": c.valid}
            for c in result.counts
        ],
        "hashtags": result.hashtags,
        "mentions": result.mentions,
        "valid": result.valid,
        "problems": [{"code": p.code, "message": p.message} for p in result.problems],
    }


# --- Posts ----------------------------------------------------------------------------------------


class PostMediaOut(Schema):
    id: int
    kind: str
    content_type: str
    original_name: str
    size: int
    width: int | None
    height: int | None
    duration_seconds: float | None


class PostChannelOut(Schema):
    id: int = Field(description="The channel's id.")
    network: str
    name: str
    state: str = Field(description="The publishing target's state on this channel.")
    remote_url: str


class PostOut(Schema):
    id: int
    title: str
    text: str
    link: str
    variants: dict[str, str]
    media: list[PostMediaOut]
    channels: list[PostChannelOut]
    status: PostStatus
    scheduled_at: datetime | None = Field(description="The planned instant, UTC.")
    timezone: str = Field(description="The IANA zone the post was planned in.")
    scheduled_local: str | None = Field(description="The planned time in that zone (ISO 8601, with offset).")
    rubric_id: int | None = Field(description="The post's rubric (content pillar), if any.")
    evergreen: bool = Field(description="May be recycled into free queue slots (evergreen recycling).")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_variants(obj: Any) -> dict[str, str]:
        return {variant.network: variant.text for variant in obj.variants.all()}

    @staticmethod
    def resolve_media(obj: Any) -> list[Any]:
        return [
            attachment.asset for attachment in sorted(obj.attachments.all(), key=lambda a: (a.position, a.pk))
        ]

    @staticmethod
    def resolve_channels(obj: Any) -> list[dict[str, Any]]:
        return [
            {
                "id": target.channel_id,
                "network": target.channel.network,
                "name": target.channel.name,
                "state": target.state,
                "remote_url": target.remote_url,
            }
            for target in sorted(obj.targets.all(), key=lambda t: t.pk)
        ]

    @staticmethod
    def resolve_status(obj: Any) -> PostStatus:
        return status_from_states([target.state for target in obj.targets.all()])

    @staticmethod
    def resolve_scheduled_local(obj: Any) -> str | None:
        if obj.scheduled_at is None:
            return None
        return localtime.to_local(obj.scheduled_at, obj.timezone).isoformat()


class PostPage(Page):
    items: list[PostOut]


class PostListParams(PageParams):
    status: PostStatus | None = Field(None, description="Only posts with this status.")
    channel: ObjectId | None = Field(None, description="Only posts going to this channel.")
    network: NetworkKey | None = Field(None, description="Only posts going to a channel of this network.")
    q: Query200 | None = Field(None, description="Text or title contains this.")
    scheduled_from: Instant | None = Field(None, description="Planned at or after this instant.")
    scheduled_to: Instant | None = Field(None, description="Planned before this instant.")


class PostCreateIn(InputSchema):
    text: PostText = ""
    title: Title = ""
    link: Link = Field("", description="http(s) address sent with the post.")
    variants: dict[NetworkKey, PostText] = Field(
        default_factory=dict, max_length=MAX_VARIANTS, description="{network: text} replacing the base text."
    )
    media_ids: list[ObjectId] = Field(
        default_factory=list, max_length=MAX_MEDIA, description="Media library ids, in order."
    )
    channel_ids: list[ObjectId] = Field(
        default_factory=list, max_length=MAX_CHANNELS, description="Active channels."
    )
    rubric_id: ObjectId | None = Field(None, description="A rubric of the workspace (not archived).")
    evergreen: bool = Field(False, description="May be recycled into free queue slots.")


class PostUpdateIn(InputSchema):
    """Only the fields given change (null empties one); lists and ``variants`` replace the whole value."""

    text: PostText | None = None
    title: Title | None = None
    link: Link | None = None
    variants: dict[NetworkKey, PostText] | None = Field(None, max_length=MAX_VARIANTS)
    media_ids: list[ObjectId] | None = Field(None, max_length=MAX_MEDIA)
    channel_ids: list[ObjectId] | None = Field(None, max_length=MAX_CHANNELS)
    rubric_id: ObjectId | None = Field(None, description="null takes the rubric away.")
    evergreen: bool | None = None


class ScheduleIn(InputSchema):
    at: Short = Field(
        description="Local date and time, e.g. 2026-03-29T09:30 (or an ISO 8601 instant with its offset)."
    )
    timezone: Short | None = Field(None, description="IANA zone of `at`; the workspace's when omitted.")


class ScheduleOut(Schema):
    post: PostOut
    scheduled_at: datetime = Field(description="The instant, UTC.")
    timezone: str
    local: str = Field(description="The local time used (ISO 8601 with its offset).")
    ambiguous: bool = Field(
        description="The local time happens twice (clocks going back): the first was used."
    )
    note: str = Field(description="What rule was applied, in plain words (empty when none).")


class PublishOut(Schema):
    post: PostOut


class AttemptOut(Schema):
    number: int
    kind: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    outcome_label: str
    error_code: str
    message: str
    remote_url: str


class TargetHistoryOut(Schema):
    id: int
    channel: PostChannelOut
    state: str
    state_label: str
    due_at: datetime | None
    published_at: datetime | None
    remote_url: str = Field(description="The post on the network, once published.")
    error_code: str
    error_message: str = Field(description="The last error, in plain words.")
    advice: str = Field(description="What to do about it.")
    attempts: list[AttemptOut]


class HistoryOut(Schema):
    items: list[TargetHistoryOut]
