"""Writes for posts: create, update, delete, schedule at a local time, publish now.

Every function takes the acting member as ``by``, checks the role (``post.edit`` to write, ``post.publish``
to schedule, publish or take a planned channel away), scopes to the member's workspace, validates, then
writes in one transaction and audits. The channels a post goes to are its publishing targets: they are
added through ``publishing.services.targets_create``; scheduling and publishing go through
``publishing.services.post_schedule`` and ``post_publish_now``, which check the post against each
channel's rules (``content.validation.posts.post_check``) before anything is planned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.approvals import services as approval_services
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.content import localtime, selectors
from portevoix.content.models import Post, PostMedia, PostVariant
from portevoix.content.validation import TextTooLong, known_networks
from portevoix.content.validation.media import MediaInfo
from portevoix.content.validation.posts import channel_results
from portevoix.core.errors import Conflict, NotFound, ValidationFailed
from portevoix.media.models import MediaAsset
from portevoix.planning.models import Rubric
from portevoix.publishing import services as publishing
from portevoix.publishing.models import Target, TargetState
from portevoix.textcount import MAX_TEXT_LENGTH
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

MAX_TITLE_LENGTH = 200
MAX_LINK_LENGTH = 2000
MAX_MEDIA = 20
MAX_CHANNELS = 50
MAX_VARIANTS = 32
PAST_GRACE = timedelta(minutes=1)

_UNSET: Any = object()


@dataclass(frozen=True)
class Scheduled:
    post: Post
    targets: list[Target]
    when: localtime.LocalTime


# --- Input ----------------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Please correct the highlighted fields."), fields={field: [message]})


def clean_text(value: object, *, field: str = "text") -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise _invalid(field, _("Enter a text value."))
    if "\x00" in value:
        raise _invalid(field, _("Text cannot contain NUL characters."))
    if len(value) > MAX_TEXT_LENGTH:
        error = TextTooLong(len(value))
        error.fields = {field: error.fields["text"]}
        raise error
    return value.replace("\r\n", "\n")


def clean_title(value: object) -> str:
    text = clean_text(value, field="title").strip()
    if len(text) > MAX_TITLE_LENGTH:
        raise _invalid("title", _("Use at most %(max)s characters.") % {"max": MAX_TITLE_LENGTH})
    return text


def clean_link(value: object) -> str:
    link = clean_text(value, field="link").strip()
    if not link:
        return ""
    try:
        if len(link) > MAX_LINK_LENGTH:
            raise DjangoValidationError("too long")
        URLValidator(schemes=["http", "https"])(link)
    except DjangoValidationError:
        raise _invalid(
            "link",
            _("Enter a web address starting with http:// or https:// (at most %(max)s characters).")
            % {"max": MAX_LINK_LENGTH},
        ) from None
    return link


def clean_variants(value: Mapping[str, object] | None) -> dict[str, str]:
    """``{network: text}``; a blank text removes the network's variant."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _invalid("variants", _("Send an object of network keys and texts."))
    if len(value) > MAX_VARIANTS:
        raise _invalid("variants", _("At most %(max)s variants.") % {"max": MAX_VARIANTS})
    known = set(known_networks())
    cleaned: dict[str, str] = {}
    for network, text in value.items():
        if not isinstance(network, str) or network not in known:
            raise _invalid(
                "variants", _("Unknown network: %(name)s.") % {"name": str(network)[:32].replace("\x00", "")}
            )
        cleaned[network] = clean_text(text, field=f"variants.{network}")
    return cleaned


def _ids(value: Iterable[object] | None, field: str, maximum: int) -> list[int]:
    if value is None:
        return []
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item < 2**63:
            raise _invalid(field, _("Send a list of ids."))
        if item not in ids:
            ids.append(item)
    if len(ids) > maximum:
        raise _invalid(field, _("At most %(max)s.") % {"max": maximum})
    return ids


def clean_media(by: Membership, value: Iterable[object] | None) -> list[MediaAsset]:
    ids = _ids(value, "media_ids", MAX_MEDIA)
    found = {asset.pk: asset for asset in MediaAsset.objects.filter(workspace=by.workspace, pk__in=ids)}
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise _invalid(
            "media_ids", _("No such media in this workspace: %(ids)s.") % {"ids": ", ".join(missing)}
        )
    return [found[pk] for pk in ids]


def clean_channels(
    by: Membership, value: Iterable[object] | None, *, already: Iterable[int] = ()
) -> list[Channel]:
    """Channels of the workspace; a newly chosen one must be active (connected and working)."""
    ids = _ids(value, "channel_ids", MAX_CHANNELS)
    found = {channel.pk: channel for channel in Channel.objects.filter(workspace=by.workspace, pk__in=ids)}
    missing = [str(pk) for pk in ids if pk not in found]
    if missing:
        raise _invalid(
            "channel_ids", _("No such channel in this workspace: %(ids)s.") % {"ids": ", ".join(missing)}
        )
    kept = set(already)
    inactive = [found[pk].name for pk in ids if found[pk].status != ChannelStatus.ACTIVE and pk not in kept]
    if inactive:
        raise _invalid(
            "channel_ids",
            _("These channels are not active; reconnect them first: %(names)s.")
            % {"names": ", ".join(inactive)},
        )
    return [found[pk] for pk in ids]


def clean_rubric(by: Membership, value: object, *, keep: int | None = None) -> Rubric | None:
    """A rubric of the workspace, or None. An archived one only when the post already has it (``keep``)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
        raise _invalid("rubric_id", _("Choose a rubric."))
    rubric = Rubric.objects.filter(workspace=by.workspace, pk=value).first()
    if rubric is None or (rubric.archived and rubric.pk != keep):
        raise _invalid("rubric_id", _("No such rubric in this workspace (or it is archived)."))
    return rubric


def clean_evergreen(value: object) -> bool:
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _invalid("evergreen", _("Send true or false."))
    return value


# --- Posts ----------------------------------------------------------------------------------------


def post_create(
    *,
    by: Membership,
    text: str = "",
    title: str = "",
    link: str = "",
    variants: Mapping[str, object] | None = None,
    media_ids: Iterable[object] | None = None,
    channel_ids: Iterable[object] | None = None,
    rubric_id: object = None,
    evergreen: object = False,
) -> Post:
    """A new draft post. Nothing is judged against the networks' rules yet: a draft may be unfinished."""
    permissions.require(by, "post.edit")
    cleaned_text = clean_text(text)
    cleaned_title = clean_title(title)
    cleaned_link = clean_link(link)
    cleaned_variants = clean_variants(variants)
    media = clean_media(by, media_ids)
    channels = clean_channels(by, channel_ids)
    rubric = clean_rubric(by, rubric_id)
    cleaned_evergreen = clean_evergreen(evergreen)
    with transaction.atomic():
        post = Post.objects.create(
            workspace=by.workspace,
            author=by.user,
            title=cleaned_title,
            text=cleaned_text,
            link=cleaned_link,
            timezone=by.workspace.timezone,
            rubric=rubric,
            evergreen=cleaned_evergreen,
        )
        _set_variants(post, cleaned_variants)
        _set_media(post, media)
        if channels:
            publishing.targets_create(post=post, channels=channels, by=by)
        audit.record(
            actor=by.user,
            action="post.create",
            workspace=by.workspace,
            obj=post,
            channels=[channel.pk for channel in channels],
            media=[asset.pk for asset in media],
        )
    return post


def post_update(
    *,
    by: Membership,
    post: Post,
    text: str | None = _UNSET,
    title: str | None = _UNSET,
    link: str | None = _UNSET,
    variants: Mapping[str, object] | None = _UNSET,
    media_ids: Iterable[object] | None = _UNSET,
    channel_ids: Iterable[object] | None = _UNSET,
    rubric_id: object = _UNSET,
    evergreen: object = _UNSET,
) -> Post:
    """Change what is given (``variants`` replaces every variant; ``media_ids`` and ``channel_ids`` replace
    the lists). Refused while a channel is sending the post. A post planned for a time must stay valid for
    its planned channels. Taking away a planned channel needs ``post.publish``."""
    permissions.require(by, "post.edit")
    _own(by, post)
    targets = selectors.post_targets(post=post)
    if any(target.state in selectors.IN_FLIGHT_STATES for target in targets):
        raise Conflict(_("This post is being sent right now; wait until it is done, then edit it."))
    changes: dict[str, Any] = {}
    if text is not _UNSET:
        changes["text"] = clean_text(text)
    if title is not _UNSET:
        changes["title"] = clean_title(title)
    if link is not _UNSET:
        changes["link"] = clean_link(link)
    if rubric_id is not _UNSET:
        changes["rubric"] = clean_rubric(by, rubric_id, keep=post.rubric_id)
    if evergreen is not _UNSET:
        changes["evergreen"] = clean_evergreen(evergreen)
    new_variants = clean_variants(variants) if variants is not _UNSET else None
    media = clean_media(by, media_ids) if media_ids is not _UNSET else None
    current_channels = [target.channel_id for target in targets]
    channels = (
        clean_channels(by, channel_ids, already=current_channels) if channel_ids is not _UNSET else None
    )
    _check_planned(
        post=post,
        targets=targets,
        text=changes.get("text", post.text),
        link=changes.get("link", post.link),
        variants=new_variants if new_variants is not None else selectors.post_variants(post=post),
        media=media if media is not None else selectors.post_media(post=post),
        channels=channels,
    )
    before = _content_snapshot(post)
    with transaction.atomic():
        for name, value in changes.items():
            setattr(post, name, value)
        # Only the changed fields: a stale copy must not undo what approvals wrote meanwhile.
        post.save(update_fields=[*changes, "updated_at"])
        if "rubric" in changes:
            from portevoix.metrics.services.publication import rubric_changed  # metrics builds on content

            rubric_changed(post_id=post.pk, rubric_id=post.rubric_id)
        if new_variants is not None:
            post.variants.all().delete()
            _set_variants(post, new_variants)
        if media is not None:
            post.attachments.all().delete()
            _set_media(post, media)
        if channels is not None:
            _set_channels(by=by, post=post, targets=targets, channels=channels)
        if _content_changed(post, changes, new_variants, media, before):
            # An approval given on other content no longer counts (approvals/services.py).
            approval_services.post_content_changed(by=by, post=post)
        audit.record(
            actor=by.user,
            action="post.update",
            workspace=by.workspace,
            obj=post,
            fields=sorted(
                [*changes, *(["variants"] if new_variants is not None else [])]
                + (["media"] if media is not None else [])
                + (["channels"] if channels is not None else [])
            ),
        )
    return post


def post_delete(*, by: Membership, post: Post) -> None:
    """Delete a post that no network may have received. Planned channels are cancelled first (that needs
    ``post.publish``); a post sent anywhere keeps its history and cannot be deleted."""
    permissions.require(by, "post.edit")
    _own(by, post)
    targets = selectors.post_targets(post=post)
    sent = [target for target in targets if target.state in selectors.SENT_STATES]
    if sent:
        raise Conflict(
            _("This post was sent to %(channels)s; it stays, with its history.")
            % {"channels": ", ".join(target.channel.name for target in sent)}
        )
    planned = [target for target in targets if target.state in selectors.PLANNED_STATES]
    if planned:
        permissions.require(by, "post.publish")
    with transaction.atomic():
        for target in planned:
            publishing.target_cancel(target=target, by=by)
        label = str(post)
        audit.record(actor=by.user, action="post.delete", workspace=by.workspace, obj=post, title=label)
        post.delete()


def post_schedule(*, by: Membership, post: Post, at: str, timezone_name: str | None = None) -> Scheduled:
    """Plan the post for a local date and time (``at``, e.g. "2026-03-29T09:30") in ``timezone_name``, or
    the workspace's zone. The instant is stored in UTC and the zone with the post. A local time that does not
    exist (clocks jumping forward) is refused; one that happens twice is read as its first occurrence, and
    ``when.note`` says so (docs/decisions/0006-local-times.md)."""
    permissions.require(by, "post.publish")
    _own(by, post)
    zone = localtime.parse_zone(timezone_name, by.workspace.timezone)
    when = localtime.resolve(localtime.parse_datetime(at), zone)
    if when.instant < timezone.now() - PAST_GRACE:
        raise ValidationFailed(
            _("That time has passed: choose a time in the future, or publish now."),
            fields={"at": [_("Choose a time in the future.")]},
        )
    if when.instant > timezone.now() + publishing.MAX_AHEAD:
        raise ValidationFailed(
            _("Choose a time within the next five years."), fields={"at": [_("Too far in the future.")]}
        )
    with transaction.atomic():
        post.timezone = when.zone
        post.save(update_fields=["timezone", "updated_at"])
        targets = publishing.post_schedule(post=post, at=when.instant, by=by)
    post.refresh_from_db()
    return Scheduled(post=post, targets=targets, when=when)


def post_publish(*, by: Membership, post: Post) -> list[Target]:
    """Send the post now to each of its channels that has not had it yet."""
    permissions.require(by, "post.publish")
    _own(by, post)
    return publishing.post_publish_now(post=post, by=by)


def post_unschedule(*, by: Membership, post: Post) -> int:
    """Cancel every planned channel of the post (nothing sent is touched). Returns how many."""
    permissions.require(by, "post.publish")
    _own(by, post)
    planned = [t for t in selectors.post_targets(post=post) if t.state in selectors.PLANNED_STATES]
    if not planned:
        raise Conflict(_("Nothing is planned for this post."))
    with transaction.atomic():
        for target in planned:
            publishing.target_cancel(target=target, by=by)
    return len(planned)


# --- Helpers --------------------------------------------------------------------------------------


def _own(by: Membership, post: Post) -> None:
    if post.workspace_id != by.workspace_id:
        raise NotFound(_("No such post."))


def _content_snapshot(post: Post) -> tuple[str, str, dict[str, str], list[int]]:
    """What an approval is given on: the text, the link, the variants and the media (not the title)."""
    return (
        post.text,
        post.link,
        selectors.post_variants(post=post),
        [asset.pk for asset in selectors.post_media(post=post)],
    )


def _content_changed(
    post: Post,
    changes: Mapping[str, Any],
    variants: Mapping[str, str] | None,
    media: list[MediaAsset] | None,
    before: tuple[str, str, dict[str, str], list[int]],
) -> bool:
    text, link, old_variants, old_media = before
    if changes.get("text", text) != text or changes.get("link", link) != link:
        return True
    if variants is not None and {k: v for k, v in variants.items() if v.strip()} != old_variants:
        return True
    return media is not None and [asset.pk for asset in media] != old_media


def _set_variants(post: Post, variants: Mapping[str, str]) -> None:
    PostVariant.objects.bulk_create(
        [
            PostVariant(post=post, network=network, text=text)
            for network, text in variants.items()
            if text.strip()
        ]
    )


def _set_media(post: Post, media: list[MediaAsset]) -> None:
    PostMedia.objects.bulk_create(
        [PostMedia(post=post, asset=asset, position=index) for index, asset in enumerate(media)]
    )


def _check_planned(
    *,
    post: Post,
    targets: list[Target],
    text: str,
    link: str,
    variants: Mapping[str, str],
    media: list[MediaAsset],
    channels: list[Channel] | None,
) -> None:
    """A post planned for a time must stay publishable on the channels it is planned for."""
    planned = [t.channel for t in targets if t.state in selectors.PLANNED_STATES]
    if channels is not None:
        chosen = {channel.pk for channel in channels}
        planned = [channel for channel in planned if channel.pk in chosen]
    if not planned:
        return
    results = channel_results(
        text=text,
        variants=variants,
        media=[MediaInfo.from_asset(asset) for asset in media],
        link=link or None,
        channels=planned,
    )
    messages = [f"{r.channel_name}: {p.message}" for r in results for p in r.problems]
    if messages:
        raise ValidationFailed(
            _(
                "This post is scheduled: the change would make it impossible to publish. Cancel the schedule "
                "first, or fix the problems."
            ),
            fields={"channels": messages},
        )


def _set_channels(*, by: Membership, post: Post, targets: list[Target], channels: list[Channel]) -> None:
    """Make the post go to exactly ``channels``. New ones get a draft target (publishing.targets_create). A
    removed channel's target goes away when nothing was ever attempted on it (draft, cancelled, or planned:
    cancelled first, which needs ``post.publish``); one that was sent or tried stays, and the change is
    refused."""
    chosen = {channel.pk for channel in channels}
    by_channel = {target.channel_id: target for target in targets}
    removed = [target for channel_id, target in by_channel.items() if channel_id not in chosen]
    stuck = [
        target
        for target in removed
        if target.state not in {TargetState.DRAFT, TargetState.CANCELLED, *selectors.PLANNED_STATES}
        or target.attempt_count
    ]
    if stuck:
        raise Conflict(
            _("%(channels)s already had this post (or tried to send it): that channel stays.")
            % {"channels": ", ".join(target.channel.name for target in stuck)}
        )
    if any(target.state in selectors.PLANNED_STATES for target in removed):
        permissions.require(by, "post.publish")
    for target in removed:
        if target.state in selectors.PLANNED_STATES:
            publishing.target_cancel(target=target, by=by)
        # Only a target no network ever saw is removed, guarded by its state and attempt count.
        Target.objects.filter(
            pk=target.pk, state__in=[TargetState.DRAFT, TargetState.CANCELLED], attempt_count=0
        ).delete()
    # A chosen channel whose target was cancelled keeps it: scheduling the post plans it again
    # (publishing's rule). New channels get a draft target.
    added = [channel for channel in channels if channel.pk not in by_channel]
    if added:
        publishing.targets_create(post=post, channels=added, by=by)
