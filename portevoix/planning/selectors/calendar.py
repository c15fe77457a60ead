"""Reads of the calendar: the period a view shows, the posts planned in it (with their status, rubric and
channels, in a fixed number of queries), the number of posts per day for the year view, and the choices
of the filters.

Times are shown in the viewer's zone (the active Django time zone: the person's own zone, else the
workspace's). A week starts on Monday. The month grid runs from the Monday on or before the 1st to the
Sunday on or after the last day.
"""

from __future__ import annotations

import calendar as pycalendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from enum import StrEnum

from django.db.models import QuerySet
from django.db.models.functions import Substr
from django.utils.translation import gettext as _

from portevoix.accounts.models import User
from portevoix.channels.models import Channel
from portevoix.content import selectors as content_selectors
from portevoix.content.models import Post
from portevoix.content.selectors import STATUS_LABELS, PostStatus, status_from_states
from portevoix.content.validation import network_label
from portevoix.core.errors import ValidationFailed
from portevoix.planning.models import Rubric
from portevoix.planning.selectors.rubrics import NO_RUBRIC_COLOUR
from portevoix.publishing.models import Target
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership

# The longest range one request may read (API and pages).
MAX_RANGE_DAYS = 400
EXCERPT_LENGTH = 80
NO_RUBRIC = "none"  # the rubric filter's value for posts without a rubric


class View(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


# Statuses a post may be dragged from: nothing was sent, nothing is being sent. A post awaiting approval
# keeps waiting, at its new time (publishing.services._schedule plans it into "awaiting approval").
MOVABLE_STATUSES = frozenset(
    {PostStatus.DRAFT, PostStatus.SCHEDULED, PostStatus.CANCELLED, PostStatus.AWAITING_APPROVAL}
)


# --- Periods --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    view: View
    anchor: date  # the date asked for
    start: date  # first day shown
    end: date  # the day after the last day shown
    focus_start: date  # the period proper (a month view also shows days of the months around it)
    focus_end: date
    previous: date  # anchors of the previous and next periods
    next: date

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = pycalendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def calendar_period(view: View, anchor: date) -> Period:
    if view == View.DAY:
        return Period(
            view,
            anchor,
            anchor,
            anchor + timedelta(days=1),
            anchor,
            anchor + timedelta(days=1),
            anchor - timedelta(days=1),
            anchor + timedelta(days=1),
        )
    if view == View.WEEK:
        start = monday_of(anchor)
        end = start + timedelta(days=7)
        return Period(
            view, anchor, start, end, start, end, anchor - timedelta(days=7), anchor + timedelta(days=7)
        )
    if view == View.YEAR:
        start, end = date(anchor.year, 1, 1), date(anchor.year + 1, 1, 1)
        previous = date(anchor.year - 1, 1, 1) if anchor.year > 1 else start
        nxt = date(anchor.year + 1, 1, 1) if anchor.year < 9998 else start
        return Period(view, anchor, start, end, start, end, previous, nxt)
    first = anchor.replace(day=1)
    last = date(first.year, first.month, pycalendar.monthrange(first.year, first.month)[1])
    start = monday_of(first)
    end = monday_of(last) + timedelta(days=7)
    return Period(
        view,
        anchor,
        start,
        end,
        first,
        last + timedelta(days=1),
        _add_months(first, -1),
        _add_months(first, 1),
    )


def local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone)


def check_range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValidationFailed(
            _("The end must come after the start."), fields={"end": [_("The end must come after the start.")]}
        )
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        message = _("Ask for at most %(days)s days at a time.") % {"days": MAX_RANGE_DAYS}
        raise ValidationFailed(message, fields={"end": [message]})


# --- Filters --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    channel_id: int | None = None
    network: str | None = None
    rubric: int | str | None = None  # a rubric id, or NO_RUBRIC
    status: PostStatus | None = None
    author_id: int | None = None

    @property
    def active(self) -> bool:
        return any(
            value not in (None, "")
            for value in (self.channel_id, self.network, self.rubric, self.status, self.author_id)
        )


def _filtered(*, by: Membership, start: datetime, end: datetime, filters: Filters) -> QuerySet[Post]:
    """Posts planned in [start, end) matching the filters. With a status filter the posts are annotated
    with their targets' counts (content.selectors.post_list and its ``status_filter``); without one the
    query stays plain (the status is derived from the targets read next)."""
    check_range(start, end)
    if filters.status is not None or filters.channel_id is not None or filters.network:
        posts = content_selectors.post_list(
            by=by,
            status=filters.status,
            channel_id=filters.channel_id,
            network=filters.network or None,
            scheduled_from=start,
            scheduled_to=end,
        )
    else:
        permissions.require(by, "post.view")
        posts = Post.objects.filter(workspace=by.workspace, scheduled_at__gte=start, scheduled_at__lt=end)
    if filters.rubric == NO_RUBRIC:
        posts = posts.filter(rubric__isnull=True)
    elif filters.rubric is not None:
        posts = posts.filter(rubric_id=filters.rubric)
    if filters.author_id is not None:
        posts = posts.filter(author_id=filters.author_id)
    return posts


# --- Posts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelRef:
    id: int
    network: str
    name: str


@dataclass
class CalendarItem:
    id: int
    title: str  # the internal title, else the start of the text
    scheduled_at: datetime  # aware, UTC
    local: datetime  # in the viewer's zone
    timezone: str  # the post's own zone
    rubric_id: int | None
    rubric_name: str
    colour: str
    status: PostStatus
    author_id: int | None
    channels: list[ChannelRef] = field(default_factory=list)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def networks(self) -> list[str]:
        return sorted({channel.network for channel in self.channels})

    @property
    def movable(self) -> bool:
        return self.status in MOVABLE_STATUSES


def calendar_items(
    *, by: Membership, start: datetime, end: datetime, filters: Filters, zone: tzinfo
) -> list[CalendarItem]:
    """The posts planned in [start, end), oldest first, in two queries whatever their number: the posts
    with their rubric, then their targets (channel and state; the post's status comes from the states,
    content.selectors.status_from_states)."""
    posts = _filtered(by=by, start=start, end=end, filters=filters)
    rows = (
        posts.annotate(excerpt=Substr("text", 1, EXCERPT_LENGTH + 1))
        .values_list(
            "pk",
            "title",
            "excerpt",
            "scheduled_at",
            "timezone",
            "rubric_id",
            "rubric__name",
            "rubric__colour",
            "author_id",
        )
        .order_by("scheduled_at", "pk")
    )
    items: list[CalendarItem] = []
    by_id: dict[int, CalendarItem] = {}
    no_text = _("(no text)")
    for pk, title, excerpt, scheduled_at, zone_name, rubric_id, rubric_name, colour, author_id in rows:
        if scheduled_at is None:  # not reachable: the range filter needs a time
            continue
        if not title:
            text = " ".join((excerpt or "").split())
            title = text[: EXCERPT_LENGTH - 1] + "…" if len(text) > EXCERPT_LENGTH else text or no_text
        item = CalendarItem(
            id=pk,
            title=title,
            scheduled_at=scheduled_at,
            local=scheduled_at.astimezone(zone),
            timezone=zone_name,
            rubric_id=rubric_id,
            rubric_name=rubric_name or "",
            colour=colour or NO_RUBRIC_COLOUR,
            status=PostStatus.DRAFT,
            author_id=author_id,
        )
        items.append(item)
        by_id[pk] = item
    if not by_id:
        return items
    states: dict[int, list[str]] = defaultdict(list)
    targets = (
        Target.objects.filter(post_id__in=posts.values("pk"))
        .order_by("post_id", "channel__network", "channel__name", "channel_id")
        .values_list("post_id", "channel_id", "channel__network", "channel__name", "state")
    )
    for post_id, channel_id, network, name, state in targets:
        found = by_id.get(post_id)
        if found is not None:
            found.channels.append(ChannelRef(channel_id, network, name))
            states[post_id].append(state)
    for pk, item in by_id.items():
        item.status = status_from_states(states.get(pk, []))
    return items


def calendar_day_counts(
    *, by: Membership, start: datetime, end: datetime, filters: Filters, zone: tzinfo
) -> dict[date, int]:
    """How many posts each local day of [start, end) holds (one query)."""
    counts: dict[date, int] = defaultdict(int)
    instants = _filtered(by=by, start=start, end=end, filters=filters).values_list("scheduled_at", flat=True)
    for instant in instants.order_by():
        if instant is not None:
            counts[instant.astimezone(zone).date()] += 1
    return dict(counts)


def group_by_day(items: list[CalendarItem]) -> dict[date, list[CalendarItem]]:
    days: dict[date, list[CalendarItem]] = defaultdict(list)
    for item in items:
        days[item.local.date()].append(item)
    return days


# --- The choices of the filters -------------------------------------------------------------------


@dataclass(frozen=True)
class FilterChoices:
    channels: list[tuple[int, str]]
    networks: list[tuple[str, str]]
    rubrics: list[tuple[str, str]]
    statuses: list[tuple[str, str]]
    authors: list[tuple[int, str]]


def calendar_filter_choices(*, by: Membership) -> FilterChoices:
    """Channels, networks, rubrics (plus "no rubric"), statuses and authors of the workspace (three
    queries)."""
    permissions.require(by, "post.view")
    channels = list(
        Channel.objects.filter(workspace=by.workspace)
        .order_by("network", "name", "pk")
        .values_list("pk", "name", "network")
    )
    networks = sorted({network for _pk, _name, network in channels})
    rubrics = (
        Rubric.objects.filter(workspace=by.workspace).order_by("position", "name").values_list("pk", "name")
    )
    authors = User.objects.filter(memberships__workspace=by.workspace).order_by("full_name", "email")
    return FilterChoices(
        channels=[(pk, name) for pk, name, _network in channels],
        networks=[(key, network_label(key)) for key in networks],
        rubrics=[(str(pk), name) for pk, name in rubrics] + [(NO_RUBRIC, _("No rubric"))],
        statuses=[(str(status), str(label)) for status, label in STATUS_LABELS.items()],
        authors=[(user.pk, user.display_name) for user in authors.only("pk", "full_name", "email")],
    )


# --- Grids ----------------------------------------------------------------------------------------


@dataclass
class DayCell:
    day: date
    items: list[CalendarItem]
    in_focus: bool  # inside the period proper (a month grid shows days of the neighbouring months)
    today: bool


def month_grid(
    period: Period, items_by_day: dict[date, list[CalendarItem]], today: date
) -> list[list[DayCell]]:
    cells = [
        DayCell(day, items_by_day.get(day, []), period.focus_start <= day < period.focus_end, day == today)
        for day in period.days()
    ]
    return [cells[index : index + 7] for index in range(0, len(cells), 7)]


@dataclass
class HeatDay:
    day: date
    count: int
    level: int  # 0 (none) to 4 (the busiest days of the year)


@dataclass
class HeatMonth:
    first: date
    weeks: list[list[HeatDay | None]]  # Monday-first rows; None pads the days of other months
    total: int


def heat_level(count: int, busiest: int) -> int:
    if count <= 0 or busiest <= 0:
        return 0
    return min(4, 1 + (4 * (count - 1)) // busiest) if busiest > 1 else 4


def year_grid(year: int, counts: dict[date, int]) -> list[HeatMonth]:
    busiest = max(counts.values(), default=0)
    months: list[HeatMonth] = []
    for month in range(1, 13):
        weeks: list[list[HeatDay | None]] = []
        total = 0
        for week in pycalendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
            row: list[HeatDay | None] = []
            for day in week:
                if day.month != month:
                    row.append(None)
                    continue
                count = counts.get(day, 0)
                total += count
                row.append(HeatDay(day, count, heat_level(count, busiest)))
            weeks.append(row)
        months.append(HeatMonth(date(year, month, 1), weeks, total))
    return months
