"""Writes for publishing done by people: choose channels, schedule, publish now, cancel, retry, resolve.

Every function checks the acting member's role (``post.publish``, or ``publishing.attention`` to resolve a
target that needs attention), scopes to the member's workspace, moves targets only through the state
machine (states.py) with conditional UPDATEs guarded by their current state, and audits. The engine's own
writes (claims, attempts, outcomes) live in claims.py and engine.py.

A target a worker claimed ahead of its time but has not started sending can still be cancelled or
rescheduled: it is first released (``publishing`` -> ``scheduled``) with a new fence, so the worker's
attempt, which is guarded by the old fence, never starts.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.approvals import selectors as approval_selectors
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.content.models import Post
from portevoix.core.errors import Conflict, NotFound, ValidationFailed
from portevoix.publishing import states, tasks, validation
from portevoix.publishing.messages import Code
from portevoix.publishing.models import Attempt, AttemptOutcome, Notification, Target, TargetState
from portevoix.publishing.states import Event
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

PAST_GRACE = timedelta(minutes=1)  # "now" typed a few seconds ago is still now
MAX_AHEAD = timedelta(days=366 * 5)


def new_idempotency_key() -> str:
    """128 random bits, hex: stable for the target across all its attempts."""
    return secrets.token_hex(16)


def _own(by: Membership, workspace_id: int) -> None:
    if by.workspace_id != workspace_id:
        raise NotFound(_("No such post."))


# --- Channels of a post ---------------------------------------------------------------------------


def targets_create(*, post: Post, channels: Sequence[Channel], by: Membership) -> list[Target]:
    """Add the channels a post goes to (draft targets); channels it already has are kept as they are.
    Returns the post's targets for ``channels``."""
    permissions.require(by, "post.edit")
    _own(by, post.workspace_id)
    if not channels:
        raise ValidationFailed(
            _("Choose at least one channel."), fields={"channels": [_("Choose a channel.")]}
        )
    foreign = [channel for channel in channels if channel.workspace_id != post.workspace_id]
    if foreign:
        raise NotFound(_("No such channel."))
    disconnected = [channel.name for channel in channels if channel.status == ChannelStatus.DISCONNECTED]
    if disconnected:
        raise ValidationFailed(
            _("Reconnect these channels first: %(names)s.") % {"names": ", ".join(disconnected)},
            fields={"channels": [_("A disconnected channel cannot receive posts.")]},
        )
    with transaction.atomic():
        existing = set(Target.objects.filter(post=post).values_list("channel_id", flat=True))
        new = [
            Target(
                workspace_id=post.workspace_id,
                post=post,
                channel=channel,
                state=TargetState.DRAFT,
                idempotency_key=new_idempotency_key(),
            )
            for channel in {channel.pk: channel for channel in channels}.values()
            if channel.pk not in existing
        ]
        Target.objects.bulk_create(new)
        if new:
            audit.record(
                actor=by.user,
                action="post.channels_add",
                workspace=by.workspace,
                obj=post,
                channels=[target.channel_id for target in new],
            )
    return list(
        Target.objects.filter(post=post, channel__in=[channel.pk for channel in channels])
        .select_related("channel")
        .order_by("pk")
    )


# --- Scheduling -----------------------------------------------------------------------------------


def _withdraw(target: Target) -> bool:
    """Release a target a worker claimed but has not started sending (call inside a transaction).
    False when the worker already started: it may be on the network, so it can no longer be withdrawn."""
    current = Target.objects.select_for_update().get(pk=target.pk)
    if current.state != TargetState.PUBLISHING or current.reconcile_since is not None:
        return False
    if Attempt.objects.filter(target=current, fence=current.fence).exists():
        return False  # an attempt (or a lookup) started under the current claim
    states.require(current.state, states.target_of(Event.RELEASE))
    return bool(
        Target.objects.filter(
            pk=current.pk,
            state=TargetState.PUBLISHING,
            fence=current.fence,
            attempt_count=current.attempt_count,
        ).update(
            state=states.target_of(Event.RELEASE),
            fence=F("fence") + 1,
            lease_owner="",
            lease_expires_at=None,
            updated_at=timezone.now(),
        )
    )


def _check_time(at: datetime, now: datetime) -> None:
    if timezone.is_naive(at):
        raise ValidationFailed(
            _("Give the time with its time zone."), fields={"scheduled_at": [_("The time has no time zone.")]}
        )
    if at < now - PAST_GRACE:
        raise ValidationFailed(
            _("That time has passed: choose a time in the future, or publish now."),
            fields={"scheduled_at": [_("Choose a time in the future.")]},
        )
    if at > now + MAX_AHEAD:
        raise ValidationFailed(
            _("Choose a time within the next five years."),
            fields={"scheduled_at": [_("Too far in the future.")]},
        )


def _schedule(*, post: Post, at: datetime, by: Membership, action: str) -> list[Target]:
    permissions.require(by, "post.publish")
    _own(by, post.workspace_id)
    now = timezone.now()
    _check_time(at, now)
    at = max(at, now) if at < now else at
    targets = list(Target.objects.filter(post=post).select_related("channel").order_by("pk"))
    if not targets:
        raise ValidationFailed(
            _("Choose at least one channel."), fields={"channels": [_("Choose a channel.")]}
        )
    # Approvals (approvals/selectors.py): a post that needs approval is planned into "awaiting approval",
    # never straight into "scheduled"; approving it releases its targets (targets_release_approved).
    gated = approval_selectors.post_requires_approval(post)
    movable = states.sources(Event.SCHEDULE) | {TargetState.PUBLISHING}
    if gated:
        if action == "post.publish_now":
            raise Conflict(
                _("This post needs approval before it can be published: submit it for approval first.")
            )
        movable |= {TargetState.AWAITING_APPROVAL}
    candidates = [target for target in targets if target.state in movable]
    if not candidates:
        raise Conflict(_("Nothing left to schedule: this post has been sent, or is being sent, everywhere."))
    disconnected = [t.channel.name for t in candidates if t.channel.status == ChannelStatus.DISCONNECTED]
    if disconnected:
        raise ValidationFailed(
            _("Reconnect these channels first: %(names)s.") % {"names": ", ".join(disconnected)},
            fields={"channels": [_("A disconnected channel cannot receive posts.")]},
        )
    problems = validation.check_post(post, [target.channel for target in candidates])
    if problems:
        raise ValidationFailed(_("The post cannot be published as it is."), fields=problems)
    scheduled: list[Target] = []
    with transaction.atomic():
        for target in candidates:
            if target.state == TargetState.PUBLISHING and not _withdraw(target):
                continue  # being sent right now: it keeps its time
            if gated:
                if _hold(target.pk, at=at, now=now):
                    scheduled.append(target)
                continue
            updated = Target.objects.filter(pk=target.pk, state__in=states.sources(Event.SCHEDULE)).update(
                state=states.target_of(Event.SCHEDULE),
                due_at=at,
                next_attempt_at=at,
                error_code="",
                error_message="",
                updated_at=now,
            )
            if updated:
                scheduled.append(target)
        if not scheduled:
            raise Conflict(_("This post is being sent right now; it can no longer be rescheduled."))
        post.scheduled_at = at
        post.save(update_fields=["scheduled_at", "updated_at"])
        audit.record(
            actor=by.user,
            action=action,
            workspace=by.workspace,
            obj=post,
            at=at.isoformat(),
            channels=[target.channel_id for target in scheduled],
            **({"awaiting_approval": True} if gated else {}),
        )
        if at <= now + timedelta(seconds=1) and not gated:
            tasks.kick()
    return list(Target.objects.filter(pk__in=[target.pk for target in scheduled]).order_by("pk"))


def post_schedule(*, post: Post, at: datetime, by: Membership) -> list[Target]:
    """Plan the post for ``at`` (an aware instant; stored in UTC) on each of its channels not sent yet."""
    return _schedule(post=post, at=at, by=by, action="post.schedule")


def post_publish_now(*, post: Post, by: Membership) -> list[Target]:
    """Send the post now on each of its channels not sent yet (a worker is asked to look at once)."""
    return _schedule(post=post, at=timezone.now(), by=by, action="post.publish_now")


# --- Approvals ------------------------------------------------------------------------------------

# States a target planned for approval may come from: a draft (SUBMIT), or a planned or cancelled one that
# goes back to draft first (SCHEDULE/UNSCHEDULE, then SUBMIT), or one already waiting (a new time).
_HOLDABLE = frozenset(
    {TargetState.DRAFT, TargetState.SCHEDULED, TargetState.CANCELLED, TargetState.AWAITING_APPROVAL}
)


def _hold(target_id: int, *, at: datetime | None, now: datetime) -> bool:
    """Put one target in "awaiting approval" (keeping its due time unless ``at`` is given). The single
    UPDATE stands for the legal path SCHEDULE/UNSCHEDULE then SUBMIT of the state machine, guarded by the
    current state, so a target a worker holds is never touched."""
    assert states.apply(states.apply(TargetState.SCHEDULED, Event.UNSCHEDULE), Event.SUBMIT) == (
        TargetState.AWAITING_APPROVAL
    )
    values: dict[str, object] = {
        "state": TargetState.AWAITING_APPROVAL,
        "next_attempt_at": None,
        "error_code": "",
        "error_message": "",
        "updated_at": now,
    }
    if at is not None:
        values["due_at"] = at
    return bool(Target.objects.filter(pk=target_id, state__in=_HOLDABLE).update(**values))


def targets_hold_for_approval(*, post: Post) -> list[Target]:
    """The post needs approval again (it was submitted, or its approved content changed): its planned
    targets wait in "awaiting approval" with their due time kept. A target a worker claimed but has not
    started is withdrawn first; one already being sent, or sent, is left alone. The caller checks the
    role and audits."""
    now = timezone.now()
    held: list[Target] = []
    with transaction.atomic():
        for target in Target.objects.filter(
            post=post, state__in=[TargetState.SCHEDULED, TargetState.PUBLISHING]
        ).order_by("pk"):
            if target.state == TargetState.PUBLISHING and not _withdraw(target):
                continue
            if Target.objects.filter(pk=target.pk, state=TargetState.SCHEDULED).update(
                state=TargetState.AWAITING_APPROVAL, next_attempt_at=None, updated_at=now
            ):
                held.append(target)
    return held


def targets_release_approved(*, post: Post) -> list[Target]:
    """The post is approved: its targets awaiting approval become scheduled for their due time (event
    APPROVE). A due time that passed meanwhile is sent at once, unless it is past the engine's lateness
    cutoff (PORTEVOIX_PUBLISH_LATENESS_CUTOFF, an hour by default): then the engine marks it failed "too
    late" with an alert, as for any late post. The caller checks the role and audits."""
    now = timezone.now()
    released: list[Target] = []
    with transaction.atomic():
        waiting = list(
            Target.objects.filter(post=post, state__in=states.sources(Event.APPROVE)).order_by("pk")
        )
        for target in waiting:
            due = target.due_at or now
            if Target.objects.filter(pk=target.pk, state__in=states.sources(Event.APPROVE)).update(
                state=states.target_of(Event.APPROVE), due_at=due, next_attempt_at=due, updated_at=now
            ):
                released.append(target)
        if any((target.due_at or now) <= now + timedelta(seconds=1) for target in released):
            tasks.kick()
    return released


# --- One target -----------------------------------------------------------------------------------


def _target(target: Target, by: Membership, permission: str) -> Target:
    permissions.require(by, permission)
    _own(by, target.workspace_id)
    return target


def target_cancel(*, target: Target, by: Membership) -> Target:
    """Cancel a target that cannot have reached the network yet."""
    _target(target, by, "post.publish")
    with transaction.atomic():
        if Target.objects.filter(pk=target.pk, state=TargetState.PUBLISHING).exists():
            _withdraw(target)
        current = Target.objects.get(pk=target.pk)
        if current.reconcile_since is not None:
            raise Conflict(
                _(
                    "Portevoix is still checking whether the network received this post; "
                    "it cannot be cancelled."
                )
            )
        updated = Target.objects.filter(
            pk=target.pk, state__in=states.sources(Event.CANCEL), reconcile_since__isnull=True
        ).update(
            state=states.target_of(Event.CANCEL),
            next_attempt_at=None,
            lease_owner="",
            lease_expires_at=None,
            updated_at=timezone.now(),
        )
        if not updated:
            raise Conflict(
                _("This post can no longer be cancelled on %(channel)s: it is %(state)s.")
                % {"channel": target.channel.name, "state": TargetState(current.state).label.lower()}
            )
        audit.record(
            actor=by.user, action="target.cancel", workspace=by.workspace, obj=target, previous=current.state
        )
    target.refresh_from_db()
    return target


def target_retry(*, target: Target, by: Membership) -> Target:
    """Send again a target that failed, or whose outcome was unconfirmed (the person has looked)."""
    _target(target, by, "publishing.attention")
    channel = target.channel
    if channel.status in (ChannelStatus.DISCONNECTED, ChannelStatus.NEEDS_REAUTH):
        raise ValidationFailed(
            _("Reconnect %(channel)s first, then retry.") % {"channel": channel.name},
            fields={"channel": [_("The channel needs reconnecting.")]},
        )
    now = timezone.now()
    with transaction.atomic():
        updated = Target.objects.filter(pk=target.pk, state__in=states.sources(Event.RETRY)).update(
            state=states.target_of(Event.RETRY),
            due_at=now,  # a person's retry restarts the lateness clock
            next_attempt_at=now,
            retry_base=F("attempt_count"),
            reconcile_since=None,
            error_code="",
            error_message="",
            updated_at=now,
        )
        if not updated:
            raise Conflict(_("Only a failed or unconfirmed post can be retried."))
        audit.record(
            actor=by.user, action="target.retry", workspace=by.workspace, obj=target, previous=target.state
        )
        tasks.kick()
    target.refresh_from_db()
    return target


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    try:
        if len(url) > 500:
            raise DjangoValidationError("too long")
        URLValidator(schemes=["http", "https"])(url)
    except DjangoValidationError:
        raise ValidationFailed(
            _("Enter the address of the post on the network (https://…)."),
            fields={"url": [_("Enter a valid web address of at most 500 characters.")]},
        ) from None
    return url


def target_mark_published_manually(*, target: Target, url: str, by: Membership) -> Target:
    """A person found the post on the network (or published it by hand) and gives its address."""
    _target(target, by, "publishing.attention")
    url = _clean_url(url)
    now = timezone.now()
    with transaction.atomic():
        current = Target.objects.select_for_update().get(pk=target.pk)
        if current.state not in states.sources(Event.MARK_PUBLISHED):
            raise Conflict(_("Only a failed or unconfirmed post can be marked as published."))
        number = current.attempt_count + 1
        updated = Target.objects.filter(
            pk=current.pk, state=current.state, attempt_count=current.attempt_count
        ).update(
            state=states.target_of(Event.MARK_PUBLISHED),
            remote_url=url,
            published_at=now,
            attempt_count=number,
            reconcile_since=None,
            error_code="",
            error_message="",
            next_attempt_at=None,
            updated_at=now,
        )
        if not updated:
            raise Conflict(_("The post changed meanwhile; reload the page."))
        Attempt.objects.create(
            target=current,
            number=number,
            kind="manual",
            fence=current.fence,
            worker=f"person:{by.user_id}",
            started_at=now,
            finished_at=now,
            outcome=AttemptOutcome.PUBLISHED,
            message=_("Marked as published by %(person)s.") % {"person": by.user.email},
            remote_url=url,
        )
        audit.record(
            actor=by.user,
            action="target.mark_published",
            workspace=by.workspace,
            obj=target,
            url=url,
            previous=current.state,
        )
    target.refresh_from_db()
    return target


def target_mark_not_published(*, target: Target, by: Membership) -> Target:
    """A person checked the network: an unconfirmed post is not there. It becomes failed, and may be
    retried."""
    _target(target, by, "publishing.attention")
    now = timezone.now()
    with transaction.atomic():
        updated = Target.objects.filter(
            pk=target.pk, state__in=states.sources(Event.MARK_NOT_PUBLISHED)
        ).update(
            state=states.target_of(Event.MARK_NOT_PUBLISHED),
            reconcile_since=None,
            error_code=Code.CHECKED_NOT_PUBLISHED,
            error_message=_("%(person)s checked the channel: the post is not there.")
            % {"person": by.user.email},
            updated_at=now,
        )
        if not updated:
            raise Conflict(_("Only an unconfirmed post can be marked as not published."))
        audit.record(actor=by.user, action="target.mark_not_published", workspace=by.workspace, obj=target)
    target.refresh_from_db()
    return target


# --- Notifications --------------------------------------------------------------------------------


def notifications_mark_read(*, by: Membership, ids: Sequence[int] | None = None) -> int:
    """Mark the workspace's alerts as read (all of them without ``ids``)."""
    permissions.require(by, "post.view")
    unread = Notification.objects.filter(workspace=by.workspace, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())
