"""Writes for recurring series: create, change the rule, stop, and extend (the periodic job).

A series repeats a template post (content.Post with channels) by an RFC 5545 rule in local wall time
(planning/recurrence.py). Its occurrences are real posts: copies of the template (text, title, link,
variants, media, rubric, channels) with ``Post.series`` set, created and scheduled through content's
services up to ``HORIZON`` ahead. ``series_extend`` moves the horizon forward; it is idempotent:

- ``RecurringSeries.generated_until`` is a watermark: an occurrence is created only when its instant is
  after it, and the watermark moves to the last instant handled, in the same transaction;
- the series row is locked (``select_for_update``; on SQLite the IMMEDIATE write transaction serialises
  the runs) and an occurrence whose instant already has a post of the series is skipped.

So a person who moves one occurrence to another day does not get it back at its old time, and two job runs
never create two posts for one occurrence. Stopping a series, or changing its rule, removes its future
occurrences that no network has received (through content's ``post_delete``, which cancels their planned
channels first and writes the audit entries); a changed rule then plans its own occurrences again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.content import selectors as content_selectors
from portevoix.content import services as content_services
from portevoix.content.models import Post
from portevoix.core.errors import Conflict, NotFound, PortevoixError, ValidationFailed
from portevoix.planning import recurrence
from portevoix.planning.models import RecurringSeries
from portevoix.publishing.models import Target
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

logger = logging.getLogger(__name__)

# Occurrences exist as posts this far ahead; the periodic job extends it.
HORIZON: timedelta = timedelta(days=int(getattr(settings, "PORTEVOIX_SERIES_HORIZON_DAYS", 60)))
# At most this many posts per series and run (a daily rule creates about 60 at first).
MAX_PER_RUN = 120
# An occurrence this close to now is not created any more (it would be late as soon as planned).
LEAD_TIME = timedelta(minutes=2)


@dataclass(frozen=True)
class Spec:
    """A validated rule, start and zone."""

    rule: recurrence.Rule
    start: datetime  # naive local wall time
    zone_name: str

    @property
    def zone(self) -> recurrence.zoneinfo.ZoneInfo:
        return recurrence.zoneinfo.ZoneInfo(self.zone_name)


def _invalid(error: recurrence.RuleError) -> ValidationFailed:
    return ValidationFailed(error.message, fields={error.field: [error.message]})


def clean_spec(*, rule: str, start: str, timezone_name: str | None, default_zone: str) -> Spec:
    """Parse and check a rule, a start (local "2026-03-29T09:30") and a zone; ValidationFailed names the
    field and the problem."""
    try:
        parsed = recurrence.parse_rule(rule)
        zone = recurrence.parse_zone(timezone_name or default_zone)
        first = recurrence.parse_start(start)
        recurrence.check(parsed, first, zone)
    except recurrence.RuleError as error:
        raise _invalid(error) from None
    return Spec(rule=parsed, start=first, zone_name=zone.key)


def _future(spec: Spec, now: datetime) -> None:
    if not recurrence.occurrences(spec.rule, spec.start, spec.zone, after=now + LEAD_TIME, limit=1):
        message = _("Every occurrence of this rule is in the past: choose a later start or end.")
        raise ValidationFailed(message, fields={"rule": [message]})


def _template(by: Membership, template: Post) -> list[int]:
    if template.workspace_id != by.workspace_id:
        raise NotFound(_("No such post."))
    channel_ids = content_selectors.post_channel_ids(post=template)
    if not channel_ids:
        message = _("Choose a post that goes to at least one channel.")
        raise ValidationFailed(message, fields={"template_post_id": [message]})
    return channel_ids


def _own(by: Membership, series: RecurringSeries) -> None:
    if series.workspace_id != by.workspace_id:
        raise NotFound(_("No such series."))


# --- Create, change, stop -------------------------------------------------------------------------


def series_create(
    *, by: Membership, template: Post, rule: str, start: str, timezone_name: str | None = None
) -> RecurringSeries:
    """Repeat ``template`` by ``rule`` from the local ``start``; plans the occurrences up to the horizon."""
    permissions.require(by, "plan.import")
    permissions.require(by, "post.publish")
    _template(by, template)
    spec = clean_spec(rule=rule, start=start, timezone_name=timezone_name, default_zone=by.workspace.timezone)
    now = timezone.now()
    _future(spec, now)
    with transaction.atomic():
        series = RecurringSeries.objects.create(
            workspace=by.workspace,
            template=template,
            created_by=by.user,
            rule=str(spec.rule),
            start_date=spec.start.date(),
            start_time=spec.start.time(),
            timezone=spec.zone_name,
            generated_until=now,
        )
        audit.record(
            actor=by.user,
            action="series.create",
            workspace=by.workspace,
            obj=series,
            rule=series.rule,
            start=spec.start.isoformat(),
            timezone=series.timezone,
            template=template.pk,
        )
        _extend(series=series, by=by, now=now, strict=True)
    return series


def series_update(
    *,
    by: Membership,
    series: RecurringSeries,
    rule: str | None = None,
    start: str | None = None,
    timezone_name: str | None = None,
) -> RecurringSeries:
    """Change the rule, the start or the zone (what is not given stays). Future occurrences that no network
    has received are removed and planned again by the new rule."""
    permissions.require(by, "plan.import")
    permissions.require(by, "post.publish")
    _own(by, series)
    if not series.active:
        raise Conflict(_("This series is stopped; create a new one instead."))
    spec = clean_spec(
        rule=series.rule if rule is None else rule,
        start=(f"{series.start_date:%Y-%m-%d}T{series.start_time:%H:%M}" if start is None else start),
        timezone_name=series.timezone if timezone_name is None else timezone_name,
        default_zone=by.workspace.timezone,
    )
    now = timezone.now()
    _future(spec, now)
    with transaction.atomic():
        locked = RecurringSeries.objects.select_for_update().get(pk=series.pk)
        removed = _remove_future(series=locked, by=by, now=now)
        locked.rule = str(spec.rule)
        locked.start_date = spec.start.date()
        locked.start_time = spec.start.time()
        locked.timezone = spec.zone_name
        locked.generated_until = now
        locked.save()
        audit.record(
            actor=by.user,
            action="series.update",
            workspace=by.workspace,
            obj=locked,
            rule=locked.rule,
            start=spec.start.isoformat(),
            timezone=locked.timezone,
            removed=removed,
        )
        _extend(series=locked, by=by, now=now, strict=True)
    series.refresh_from_db()
    return series


def series_stop(*, by: Membership, series: RecurringSeries) -> int:
    """Stop the series: nothing more is planned, and its future occurrences that no network has received
    are removed from the plan. Returns how many were removed."""
    permissions.require(by, "plan.import")
    permissions.require(by, "post.publish")
    _own(by, series)
    if not series.active:
        raise Conflict(_("This series is already stopped."))
    now = timezone.now()
    with transaction.atomic():
        locked = RecurringSeries.objects.select_for_update().get(pk=series.pk)
        removed = _remove_future(series=locked, by=by, now=now)
        locked.active = False
        locked.save(update_fields=["active", "updated_at"])
        audit.record(actor=by.user, action="series.stop", workspace=by.workspace, obj=locked, removed=removed)
    series.refresh_from_db()
    return removed


def _remove_future(*, series: RecurringSeries, by: Membership, now: datetime) -> int:
    """Delete the series' occurrences planned after ``now`` that no network may have received (a post being
    sent, or sent, stays). Call inside a transaction."""
    removed = 0
    posts = Post.objects.filter(series=series, scheduled_at__gt=now).order_by("scheduled_at")
    for post in posts:
        states = set(Target.objects.filter(post=post).values_list("state", flat=True))
        if states & content_selectors.SENT_STATES:
            continue
        try:
            with transaction.atomic():
                content_services.post_delete(by=by, post=post)
        except PortevoixError as error:  # being sent right now: it keeps its time
            logger.info("Series %s: occurrence %s kept: %s", series.pk, post.pk, error.message)
            continue
        removed += 1
    return removed


# --- Extend (the periodic job) --------------------------------------------------------------------


def _copy_and_schedule(*, series: RecurringSeries, by: Membership, template: Post, instant: datetime) -> Post:
    post = content_services.post_create(
        by=by,
        text=template.text,
        title=template.title,
        link=template.link,
        variants=content_selectors.post_variants(post=template),
        media_ids=[asset.pk for asset in content_selectors.post_media(post=template)],
        channel_ids=content_selectors.post_channel_ids(post=template),
    )
    Post.objects.filter(pk=post.pk).update(series=series, rubric_id=template.rubric_id)
    content_services.post_schedule(by=by, post=post, at=instant.isoformat(), timezone_name=series.timezone)
    return post


def _extend(*, series: RecurringSeries, by: Membership, now: datetime, strict: bool) -> int:
    """Create the occurrences after the watermark up to ``now + HORIZON`` (call inside a transaction, the
    series locked). ``strict``: a failure is raised (a person is waiting); otherwise the watermark stays
    before the failed occurrence and a later run tries again."""
    zone = recurrence.parse_zone(series.timezone)
    rule = recurrence.parse_rule(series.rule)
    start = datetime.combine(series.start_date, series.start_time)
    floor = max(series.generated_until or now, now + LEAD_TIME)
    until = now + HORIZON
    due = recurrence.occurrences(rule, start, zone, after=floor, until=until, limit=MAX_PER_RUN)
    existing = set(
        Post.objects.filter(series=series, scheduled_at__gt=floor, scheduled_at__lte=until).values_list(
            "scheduled_at", flat=True
        )
    )
    template = series.template
    created = 0
    reached = floor
    for occurrence in due:
        if occurrence.instant not in existing:
            try:
                with transaction.atomic():
                    _copy_and_schedule(series=series, by=by, template=template, instant=occurrence.instant)
            except PortevoixError as error:
                if strict:
                    raise
                logger.warning(
                    "Series %s: occurrence at %s not planned: %s",
                    series.pk,
                    occurrence.instant,
                    error.message,
                )
                break
            created += 1
        reached = occurrence.instant
    else:
        reached = until if len(due) < MAX_PER_RUN else reached
    RecurringSeries.objects.filter(pk=series.pk).update(generated_until=reached)
    series.generated_until = reached
    return created


def _acting_member(series: RecurringSeries) -> Membership | None:
    """The series acts as the person who created it, while they may still schedule posts."""
    if series.created_by_id is None:
        return None
    membership = (
        Membership.objects.select_related("workspace", "user")
        .filter(workspace_id=series.workspace_id, user_id=series.created_by_id, user__is_active=True)
        .first()
    )
    if membership is None or not (
        permissions.can(membership, "post.publish") and permissions.can(membership, "post.edit")
    ):
        return None
    return membership


def series_extend(*, series_id: int, now: datetime | None = None) -> int:
    """Plan one active series' occurrences up to the horizon; returns how many posts were created."""
    now = now or timezone.now()
    with transaction.atomic():
        series = (
            RecurringSeries.objects.select_for_update()
            .select_related("template")
            .filter(pk=series_id)
            .first()
        )
        if series is None or not series.active:
            return 0
        by = _acting_member(series)
        if by is None:
            logger.warning(
                "Series %s: its creator can no longer schedule posts in the workspace; nothing planned.",
                series.pk,
            )
            return 0
        return _extend(series=series, by=by, now=now, strict=False)


def series_extend_all(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic job: extend every active series whose horizon is due (idempotent)."""
    now = now or timezone.now()
    due = RecurringSeries.objects.filter(active=True).exclude(
        generated_until__gte=now + HORIZON - timedelta(hours=12)
    )
    stats = {"series": 0, "created": 0}
    for series_id in due.values_list("pk", flat=True).order_by("pk"):
        stats["series"] += 1
        try:
            stats["created"] += series_extend(series_id=series_id, now=now)
        except Exception:  # one broken series must not stop the others
            logger.exception("Series %s could not be extended", series_id)
    return stats
