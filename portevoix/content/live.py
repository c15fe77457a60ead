"""What the composer pages show: the channels and media on offer, the current input read back from a form
or an htmx request, and the live panel (per selected channel: counted length, limit, unit, problems, and a
preview). Reads only; the pages call it, the API does not need it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel
from portevoix.content import localtime, selectors, services
from portevoix.content.forms import VARIANT_PREFIX, ComposerForm
from portevoix.content.models import Post
from portevoix.content.previews import Preview, preview
from portevoix.content.validation import MediaInfo, Result, TextTooLong, network_label
from portevoix.content.validation.posts import channel_results
from portevoix.core.errors import ValidationFailed
from portevoix.media.models import MediaAsset
from portevoix.workspaces.models import Membership

MAX_POSTED_IDS = 50


@dataclass
class Offer:
    channels: list[Channel]
    media: list[MediaAsset]
    networks: list[tuple[str, str]]  # (key, label): one variant tab per network

    def form_kwargs(self) -> dict[str, Any]:
        return {"channels": self.channels, "media": self.media, "networks": self.networks}

    def channel(self, pk: int) -> Channel | None:
        return next((channel for channel in self.channels if channel.pk == pk), None)

    def asset(self, pk: int) -> MediaAsset | None:
        return next((asset for asset in self.media if asset.pk == pk), None)


def _ints(values: list[str] | list[int]) -> list[int]:
    found: list[int] = []
    for value in values[:MAX_POSTED_IDS]:
        try:
            number = int(value)
        except (TypeError, ValueError):
            continue
        if 0 < number < 2**63 and number not in found:
            found.append(number)
    return found


def posted_ids(data: Any) -> dict[str, list[int]]:
    """Channel and media ids of a submitted composer (garbage ignored)."""
    return {"channels": _ints(data.getlist("channels")), "media": _ints(data.getlist("media"))}


def composer_offer(
    *, by: Membership, post: Post | None, include: Mapping[str, list[int]] | None = None
) -> Offer:
    """Active channels of the workspace (plus the post's own and ``include``d ones), the latest media of
    the library (plus the post's and ``include``d ones), and a variant tab per network of those channels."""
    include = include or {}
    keep = [*(selectors.post_channel_ids(post=post) if post else []), *include.get("channels", [])]
    channels = selectors.composer_channels(by=by, keep=keep)
    media = selectors.composer_media(by=by)
    wanted = [*(asset.pk for asset in selectors.post_media(post=post))] if post else []
    wanted += include.get("media", [])
    missing = [pk for pk in wanted if pk not in {asset.pk for asset in media}]
    if missing:
        extra: QuerySet[MediaAsset] = MediaAsset.objects.filter(workspace=by.workspace, pk__in=missing)
        media = [*extra, *media]
    keys = list(dict.fromkeys(channel.network for channel in channels))
    if post is not None:
        keys += [key for key in selectors.post_variants(post=post) if key not in keys]
    return Offer(channels=channels, media=media, networks=[(key, network_label(key)) for key in keys])


def initial(post: Post | None, offer: Offer) -> dict[str, Any]:
    if post is None:
        return {"action": "save"}
    variants = selectors.post_variants(post=post)
    values: dict[str, Any] = {
        "title": post.title,
        "text": post.text,
        "link": post.link,
        "channels": selectors.post_channel_ids(post=post),
        "media": [asset.pk for asset in selectors.post_media(post=post)],
        "action": "save",
    }
    if post.scheduled_at is not None:
        values["schedule_at"] = localtime.to_local(post.scheduled_at, post.timezone).strftime(
            "%Y-%m-%dT%H:%M"
        )
    for key, _label in offer.networks:
        values[VARIANT_PREFIX + key] = variants.get(key, "")
    return values


# --- The live panel -------------------------------------------------------------------------------


@dataclass
class Selection:
    text: str
    link: str
    variants: dict[str, str]
    channels: list[Channel]
    media: list[MediaAsset]


def selection_from_post(data: Any, offer: Offer) -> Selection:
    ids = posted_ids(data)
    channels = [channel for pk in ids["channels"] if (channel := offer.channel(pk)) is not None]
    media = [asset for pk in ids["media"] if (asset := offer.asset(pk)) is not None]
    return Selection(
        text=str(data.get("text", "")),
        link=str(data.get("link", "")).strip(),
        variants={key: str(data.get(VARIANT_PREFIX + key, "")) for key, _label in offer.networks},
        channels=channels,
        media=media,
    )


def selection_from_form(form: ComposerForm, offer: Offer) -> Selection:
    if form.is_bound:
        return selection_from_post(form.data, offer)
    values = form.initial
    channels = [channel for pk in values.get("channels", []) if (channel := offer.channel(pk)) is not None]
    media = [asset for pk in values.get("media", []) if (asset := offer.asset(pk)) is not None]
    return Selection(
        text=values.get("text", ""),
        link=values.get("link", ""),
        variants={key: values.get(VARIANT_PREFIX + key, "") for key, _label in offer.networks},
        channels=channels,
        media=media,
    )


@dataclass
class Entry:
    result: Result
    preview: Preview


@dataclass
class Panel:
    entries: list[Entry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    nothing_chosen: bool = False

    @property
    def valid(self) -> bool:
        return not self.errors and all(entry.result.valid for entry in self.entries)


def panel(*, membership: Membership, selection: Selection, offer: Offer) -> Panel:
    found = Panel(nothing_chosen=not selection.channels)
    link = ""
    try:
        link = services.clean_link(selection.link)
    except ValidationFailed as error:
        found.errors.extend(message for messages in error.fields.values() for message in messages)
    if "\x00" in selection.text or any("\x00" in text for text in selection.variants.values()):
        found.errors.append(_("Text cannot contain NUL characters."))
        return found
    if not selection.channels:
        return found
    try:
        results = channel_results(
            text=selection.text,
            variants=selection.variants,
            media=[MediaInfo.from_asset(asset) for asset in selection.media],
            link=link or None,
            channels=selection.channels,
        )
    except TextTooLong as error:
        found.errors.append(error.message)
        return found
    found.entries = [Entry(result, preview(result, selection.media, link=link or None)) for result in results]
    return found


# --- The list and one post ------------------------------------------------------------------------


@dataclass
class Row:
    post: Post
    status: str
    status_label: str
    channels: list[Channel]
    scheduled_local: datetime | None


def post_row(post: Post) -> Row:
    targets = list(post.targets.all())
    status = selectors.status_from_states([target.state for target in targets])
    return Row(
        post=post,
        status=str(status),
        status_label=str(selectors.STATUS_LABELS[status]),
        channels=[target.channel for target in targets],
        scheduled_local=localtime.to_local(post.scheduled_at, post.timezone) if post.scheduled_at else None,
    )


def variant_rows(post: Post) -> list[tuple[str, str]]:
    return [(network_label(key), text) for key, text in sorted(selectors.post_variants(post=post).items())]
