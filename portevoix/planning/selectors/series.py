"""Reads for recurring series, scoped to the caller's workspace (``post.view``), and the rule preview."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.content.models import Post
from portevoix.core.errors import NotFound, ValidationFailed
from portevoix.planning import recurrence
from portevoix.planning.models import RecurringSeries
from portevoix.publishing.models import Target
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership

PREVIEW_MAX = 50


@dataclass(frozen=True)
class Preview:
    rule: str  # normalised
    start: datetime  # naive local
    timezone: str
    occurrences: list[recurrence.Occurrence]
    start_note: str  # what the written rule did to the start itself ("" when nothing)


def recurrence_preview(
    *,
    rule: str,
    start: str,
    timezone_name: str | None,
    default_zone: str = "UTC",
    limit: int = 10,
    after: datetime | None = None,
) -> Preview:
    """The next ``limit`` occurrences of a rule from now (or ``after``); ValidationFailed names the
    problem."""
    try:
        parsed = recurrence.parse_rule(rule)
        zone = recurrence.parse_zone(timezone_name or default_zone)
        first_wall = recurrence.parse_start(start)
        first = recurrence.check(parsed, first_wall, zone)
    except recurrence.RuleError as error:
        raise ValidationFailed(error.message, fields={error.field: [error.message]}) from None
    found = recurrence.occurrences(
        parsed, first_wall, zone, after=after or timezone.now(), limit=max(1, min(limit, PREVIEW_MAX))
    )
    note = ""
    if first.wall == first_wall and first.kind != recurrence.Kind.PLAIN:
        note = recurrence.describe_kind(first)
    return Preview(rule=str(parsed), start=first_wall, timezone=zone.key, occurrences=found, start_note=note)


def series_list(*, by: Membership) -> QuerySet[RecurringSeries]:
    permissions.require(by, "post.view")
    now = timezone.now()
    return (
        RecurringSeries.objects.filter(workspace=by.workspace)
        .select_related("template", "created_by")
        .annotate(upcoming=Count("posts", filter=Q(posts__scheduled_at__gt=now)))
        .order_by("-active", "-created_at", "-pk")
    )


def series_get(*, by: Membership, series_id: int) -> RecurringSeries:
    permissions.require(by, "post.view")
    found = (
        RecurringSeries.objects.filter(workspace=by.workspace, pk=series_id)
        .select_related("template", "created_by")
        .first()
    )
    if found is None:
        raise NotFound(_("No such series."))
    return found


def series_start(series: RecurringSeries) -> datetime:
    return datetime.combine(series.start_date, series.start_time)


def series_next(*, series: RecurringSeries, limit: int = 10) -> list[recurrence.Occurrence]:
    """The rule's next occurrences from now (a stopped series has none)."""
    if not series.active:
        return []
    return recurrence.occurrences(
        recurrence.parse_rule(series.rule),
        series_start(series),
        recurrence.parse_zone(series.timezone),
        after=timezone.now(),
        limit=limit,
    )


def series_upcoming_posts(*, series: RecurringSeries, limit: int = 20) -> list[Post]:
    """The occurrences planned as posts from now on, with their channels' targets."""
    return list(
        Post.objects.filter(series=series, scheduled_at__gt=timezone.now())
        .order_by("scheduled_at", "pk")
        .prefetch_related("targets__channel")[:limit]
    )


def series_past_count(*, series: RecurringSeries) -> int:
    return Post.objects.filter(series=series, scheduled_at__lte=timezone.now()).count()


def template_choices(*, by: Membership, limit: int = 200) -> list[Post]:
    """Posts that may be repeated: the workspace's posts with at least one channel, newest first (not the
    occurrences of another series)."""
    permissions.require(by, "post.view")
    with_channels = Target.objects.filter(workspace=by.workspace).values("post_id")
    return list(
        Post.objects.filter(workspace=by.workspace, series__isnull=True, pk__in=with_channels).order_by(
            "-created_at", "-pk"
        )[:limit]
    )
