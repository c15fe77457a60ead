"""Reads of CSV imports (the jobs) and the CSV export of a calendar range (docs/planning/import-export.md).

The export has the import's columns, so an export re-imports: one row per post planned in the range, in
the post's own zone, its channels by name (by id where a name is shared or holds a separator), a
``text_<network>`` column for each network that has a variant in the range. It is read in chunks
(``iterator``) so memory stays bounded whatever the range holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel
from portevoix.content import localtime
from portevoix.content import selectors as content_selectors
from portevoix.content.models import Post, PostVariant
from portevoix.content.selectors import PostStatus
from portevoix.core.errors import NotFound, ValidationFailed
from portevoix.planning import csvformat
from portevoix.planning.models import ImportJob, ImportStatus
from portevoix.publishing.models import Target
from portevoix.workspaces import permissions
from portevoix.workspaces.models import Membership

MAX_EXPORT_DAYS = 400
NO_RUBRIC = "none"
RECENT_JOBS = 20
ACTIVE_STATUSES = (ImportStatus.CHECKING, ImportStatus.IMPORTING)


# --- Jobs -----------------------------------------------------------------------------------------


def import_list(*, by: Membership, limit: int = RECENT_JOBS) -> list[ImportJob]:
    permissions.require(by, "plan.import")
    return list(
        ImportJob.objects.filter(workspace=by.workspace)
        .exclude(status=ImportStatus.DISCARDED)
        .select_related("created_by")
        .order_by("-created_at", "-pk")[:limit]
    )


def import_get(*, by: Membership, job_id: int) -> ImportJob:
    """An import of the caller's workspace: NotFound first (another workspace's ids are not disclosed),
    then the role."""
    job = ImportJob.objects.filter(workspace=by.workspace, pk=job_id).select_related("created_by").first()
    if job is None:
        raise NotFound(_("No such import."))
    permissions.require(by, "plan.import")
    return job


def import_percent(job: ImportJob) -> int:
    if not job.total_rows:
        return 100 if job.status not in ACTIVE_STATUSES else 0
    return min(100, round(100 * job.processed_rows / job.total_rows))


# --- Export ---------------------------------------------------------------------------------------


def current_month(today: date) -> tuple[date, date]:
    """The first and last days of ``today``'s month (the export's default range)."""
    start = today.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)


@dataclass(frozen=True)
class ExportRange:
    start: datetime  # aware, inclusive
    end: datetime  # aware, exclusive (the day after the last day)


def export_range(start: date, end: date, zone: tzinfo) -> ExportRange:
    """The local days ``start`` to ``end`` (both included) in ``zone``; at most 400 days."""
    if end < start:
        raise ValidationFailed(
            _("The end date is before the start date."), fields={"end": [_("Choose a later end date.")]}
        )
    if (end - start).days + 1 > MAX_EXPORT_DAYS:
        message = _("Export at most %(max)s days at a time.") % {"max": MAX_EXPORT_DAYS}
        raise ValidationFailed(message, fields={"end": [message]})
    try:
        begin = datetime.combine(start, time.min).replace(tzinfo=zone)
        finish = datetime.combine(end + timedelta(days=1), time.min).replace(tzinfo=zone)
    except OverflowError:
        raise ValidationFailed(
            _("This date is out of range."), fields={"end": [_("This date is out of range.")]}
        ) from None
    return ExportRange(start=begin, end=finish)


def _posts(
    *,
    by: Membership,
    period: ExportRange,
    channel_id: int | None,
    rubric: int | str | None,
    status: PostStatus | None,
) -> QuerySet[Post]:
    posts = content_selectors.post_list(
        by=by, status=status, channel_id=channel_id, scheduled_from=period.start, scheduled_to=period.end
    )
    if rubric == NO_RUBRIC:
        posts = posts.filter(rubric__isnull=True)
    elif rubric is not None:
        posts = posts.filter(rubric_id=rubric)
    return posts


@dataclass
class Export:
    networks: list[str]
    rows: Iterator[csvformat.ExportRow]

    def lines(self) -> Iterator[str]:
        """The CSV text: a UTF-8 BOM (so that Excel reads UTF-8), the header, one line per post."""
        header = csvformat.csv_lines([csvformat.header(self.networks)])
        yield "\ufeff" + next(header)
        cells = (csvformat.export_cells(row, self.networks) for row in self.rows)
        yield from csvformat.csv_lines(cells)


def export_posts(
    *,
    by: Membership,
    period: ExportRange,
    channel_id: int | None = None,
    rubric: int | str | None = None,
    status: PostStatus | None = None,
) -> Export:
    """The posts planned in the range with the filters, as CSV rows read lazily (chunks of 500)."""
    permissions.require(by, "post.view")
    posts = _posts(by=by, period=period, channel_id=channel_id, rubric=rubric, status=status)
    ids = posts.values("pk")
    networks = sorted(
        set(
            PostVariant.objects.filter(post__in=ids)
            .exclude(text="")
            .values_list("network", flat=True)
            .distinct()
        )
    )
    channels = Channel.objects.filter(workspace=by.workspace).values_list("name", flat=True)
    shared = {name for name, count in Counter(name.strip().lower() for name in channels).items() if count > 1}
    ordered = (
        Post.objects.filter(pk__in=ids)
        .select_related("rubric")
        .prefetch_related(
            "variants", Prefetch("targets", queryset=Target.objects.select_related("channel").order_by("pk"))
        )
        .order_by("scheduled_at", "pk")
    )

    def label(channel: Channel) -> str:
        name = channel.name.strip()
        if not name or name.lower() in shared or csvformat.CHANNEL_SEPARATORS.search(name) or name.isdigit():
            return str(channel.pk)
        return name

    def rows() -> Iterator[csvformat.ExportRow]:
        for post in ordered.iterator(chunk_size=500):
            if post.scheduled_at is None:  # pragma: no cover - the range filter excludes them
                continue
            yield csvformat.ExportRow(
                local=localtime.to_local(post.scheduled_at, post.timezone),
                timezone=post.timezone,
                channels=[label(target.channel) for target in post.targets.all()],
                text=post.text,
                title=post.title,
                link=post.link,
                rubric=post.rubric.name if post.rubric is not None else "",
                variants={variant.network: variant.text for variant in post.variants.all()},
            )

    return Export(networks=networks, rows=rows())


def template_rows(*, by: Membership, today: date) -> list[list[str]]:
    """The downloadable template: the header and two example rows (a week ahead, with the workspace's
    first channels when it has some)."""
    permissions.require(by, "plan.import")
    names = [
        name
        for name in Channel.objects.filter(workspace=by.workspace)
        .order_by("pk")
        .values_list("name", flat=True)[:2]
        if not csvformat.CHANNEL_SEPARATORS.search(name)
    ]
    first = names[0] if names else _("My Telegram channel")
    both = ";".join(names) if len(names) > 1 else f"{first};{_('My Mastodon account')}"
    day = today + timedelta(days=7)
    return [
        csvformat.header(["x"]),
        [
            day.isoformat(),
            "09:30",
            "",
            first,
            _("Our spring collection is out: come and see it!"),
            _("Spring launch"),
            "https://example.com/spring",
            "",
            "",
        ],
        [
            (day + timedelta(days=1)).isoformat(),
            "18:00",
            by.workspace.timezone,
            both,
            _("A longer text on several lines.\nThe second line of the post."),
            _("Behind the scenes"),
            "",
            "",
            _("A shorter text for X"),
        ],
    ]
