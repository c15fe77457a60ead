"""Request and response bodies of the channels API (/api/v1/channels, /api/v1/networks).

No output schema has a credentials field: secrets go in (``fields``) and never come out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.channels.models import ChannelStatus
from portevoix.channels.selectors import channel_health
from portevoix.channels.services import MAX_BASE_URL_LENGTH, MAX_FIELD_LENGTH, MAX_NAME_LENGTH
from portevoix.core.api import InputSchema, Page, PageParams, no_nul

NetworkKey = Annotated[str, StringConstraints(max_length=32), AfterValidator(no_nul)]
FieldName = Annotated[str, StringConstraints(max_length=64), AfterValidator(no_nul)]
FieldValue = Annotated[str, StringConstraints(max_length=MAX_FIELD_LENGTH), AfterValidator(no_nul)]
BaseUrl = Annotated[str, StringConstraints(max_length=MAX_BASE_URL_LENGTH), AfterValidator(no_nul)]
Name = Annotated[str, StringConstraints(max_length=MAX_NAME_LENGTH), AfterValidator(no_nul)]

# --- Networks -----------------------------------------------------------------------------------


class CredentialFieldOut(Schema):
    name: str
    label: str
    is_secret: bool = Field(description="A secret value: a password input, stored encrypted, never returned.")
    required: bool
    help: str


class RateLimitOut(Schema):
    requests: int
    per_seconds: float
    scope: str = Field(description="account or network")


class LimitsOut(Schema):
    """What one post may contain on the network; null means no documented limit."""

    text: int | None
    text_unit: str = Field(description="How the text length is counted.")
    caption: int | None
    media: int = Field(description="Media per post; 0: none.")
    image_formats: list[str]
    video_formats: list[str]
    image_max_bytes: int | None
    video_max_bytes: int | None
    image_max_pixels: int | None
    aspect_ratio_min: float | None
    aspect_ratio_max: float | None
    video_max_seconds: float | None
    hashtags: int | None
    mentions: int | None
    mix_images_and_video: bool
    rate_limits: list[RateLimitOut]
    text_rule: str | None


class NetworkOut(Schema):
    key: str
    label: str
    auth: str = Field(description="oauth2, bot_token, app_password, access_token, webhook_url or manual.")
    fields: list[CredentialFieldOut] = Field(
        description="The values POST /api/v1/channels takes in `fields` (empty: sign in through the web "
        "interface)."
    )
    sign_in: bool = Field(description="The web interface can connect it by signing in on the network.")
    default_base_url: str
    base_url_required: bool = Field(description="`base_url` must be given (a self-hosted server).")
    capabilities: list[str]
    limits: LimitsOut
    docs_url: str


class NetworkList(Schema):
    items: list[NetworkOut]


# --- Channels -----------------------------------------------------------------------------------


class ChannelOut(Schema):
    id: int
    network: str
    name: str
    external_id: str = Field(description="The account's id on the network.")
    handle: str
    url: str
    base_url: str = Field(description="The API address used for this channel.")
    status: ChannelStatus
    needs_attention: bool
    attention: list[str] = Field(description="Why the channel needs attention, in plain words.")
    last_error: str
    last_checked_at: datetime | None
    token_expires_at: datetime | None
    followers: int | None
    created_at: datetime

    @staticmethod
    def resolve_needs_attention(obj: Any) -> bool:
        return channel_health(obj).needs_attention

    @staticmethod
    def resolve_attention(obj: Any) -> list[str]:
        return channel_health(obj).reasons


class ChannelPage(Page):
    items: list[ChannelOut]


class ChannelListParams(PageParams):
    status: ChannelStatus | None = Field(None, description="Only channels in this status.")
    network: NetworkKey | None = Field(None, description="Only channels of this network.")


class ChannelCreateIn(InputSchema):
    network: NetworkKey = Field(description="A key from GET /api/v1/networks.")
    fields: dict[FieldName, FieldValue] = Field(
        default_factory=dict, max_length=32, description="The network's connect fields (see its `fields`)."
    )
    base_url: BaseUrl | None = Field(None, description="API address; the network's default when omitted.")


class ChannelReconnectIn(InputSchema):
    fields: dict[FieldName, FieldValue] = Field(default_factory=dict, max_length=32)
    base_url: BaseUrl | None = Field(None, description="API address; unchanged when omitted.")


class ChannelUpdateIn(InputSchema):
    name: Name


class ChannelTestOut(Schema):
    ok: bool
    message: str = Field(description="Why the check failed; empty when it worked.")
    channel: ChannelOut
