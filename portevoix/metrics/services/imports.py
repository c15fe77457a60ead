"""CSV import of metrics (post readings and follower counts), synchronous, all or nothing.

Columns (docs/metrics.md): ``date`` (YYYY-MM-DD, the day the figures were read, the workspace's zone),
``channel`` (its id or its name), ``post`` (the post's id, or the address of the published post; empty on a
followers-only row), ``views``, ``reach``, ``likes``, ``comments``, ``shares``, ``saves``, ``quotes``,
``followers``. ``date`` and ``channel`` are required columns; the others may be absent. An empty cell is
"not available". A row with a post stores a post reading (and the channel's followers when given); a row
without one needs ``followers``.

Reading: UTF-8 (with or without BOM) or UTF-16 with its BOM, ``,`` or ``;`` (planning/csvformat.py); at most
``MAX_ROWS`` rows and ``MAX_BYTES``. A cell starting with ``'`` before ``=``, ``+``, ``-``, ``@`` (how
spreadsheets protect formulas) is read without the ``'``; a formula is not a number and is refused.

A dry run checks every row and writes nothing. Without dry run the file is checked again and written only
when no row has a problem, in one transaction.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portevoix.channels.models import Channel
from portevoix.core.errors import ValidationFailed
from portevoix.metrics.models import METRIC_FIELDS, Source
from portevoix.metrics.services.record import (
    MAX_COUNT,
    Reading,
    Values,
    followers_write,
    local_day,
    reading_instant,
    snapshots_write,
)
from portevoix.planning import csvformat
from portevoix.publishing.models import Target, TargetState
from portevoix.workspaces import audit, permissions
from portevoix.workspaces.models import Membership

MAX_ROWS = 5000
MAX_BYTES = 5 * 2**20
MAX_PROBLEMS = 200
COLUMNS = ("date", "channel", "post", *METRIC_FIELDS, "followers")
REQUIRED = ("date", "channel")
SEPARATORS = re.compile(r"[\s\u00a0\u202f_]")


class FileTooLarge(ValidationFailed):
    code = "too_large"
    status = 413


def too_large() -> FileTooLarge:
    message = _("The file is larger than %(max)s MB: split it into several files.") % {
        "max": MAX_BYTES // 2**20
    }
    return FileTooLarge(message, fields={"file": [message]})


@dataclass
class Problem:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportReport:
    dry_run: bool
    total_rows: int = 0
    post_rows: int = 0
    follower_rows: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    written: bool = False

    @property
    def ok(self) -> bool:
        return self.problem_count == 0 and self.total_rows > 0

    def add(self, row: int, column: str, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(row, column, message))


@dataclass
class _Row:
    number: int
    day: date
    channel: Channel
    target: Target | None
    values: Values
    followers: int | None


def _number(raw: str) -> int | None:
    """None for an empty cell; ValueError for anything but a whole number from 0 to MAX_COUNT."""
    text = SEPARATORS.sub("", csvformat.unescape_cell(raw.strip()))
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        raise ValueError
    value = int(text)
    if value > MAX_COUNT:
        raise ValueError
    return value


class _Resolver:
    def __init__(self, by: Membership) -> None:
        self.workspace = by.workspace
        channels = list(Channel.objects.filter(workspace=self.workspace))
        self.by_id = {str(c.pk): c for c in channels}
        self.by_name: dict[str, list[Channel]] = {}
        for channel in channels:
            self.by_name.setdefault(channel.name.strip().casefold(), []).append(channel)
        self.targets: dict[tuple[int, int], Target | None] = {}
        self.by_url: dict[tuple[str, int], Target | None] = {}

    def channel(self, raw: str) -> tuple[Channel | None, str]:
        value = raw.strip()
        if not value:
            return None, _("This cell is required.")
        found = self.by_id.get(value)
        if found is not None:
            return found, ""
        named = self.by_name.get(value.casefold(), [])
        if len(named) == 1:
            return named[0], ""
        if len(named) > 1:
            return None, _("Several channels have this name: use the channel's id.")
        return None, _("No channel of this workspace has this id or name.")

    def _published(self) -> object:
        return Target.objects.filter(
            workspace=self.workspace, state=TargetState.PUBLISHED, published_at__isnull=False
        )

    def target(self, raw: str, channel: Channel) -> tuple[Target | None, str]:
        value = raw.strip()
        if value.isascii() and value.isdigit() and len(value) <= 18:
            key = (int(value), channel.pk)
            if key not in self.targets:
                self.targets[key] = self._published().filter(post_id=key[0], channel=channel).first()  # type: ignore[attr-defined]
            found = self.targets[key]
        elif value.startswith(("http://", "https://")) and len(value) <= 500:
            url_key = (value.rstrip("/"), channel.pk)
            if url_key not in self.by_url:
                self.by_url[url_key] = (
                    self._published()  # type: ignore[attr-defined]
                    .filter(
                        channel=channel, remote_url__in=[value, value.rstrip("/"), value.rstrip("/") + "/"]
                    )
                    .first()
                )
            found = self.by_url[url_key]
        else:
            return None, _("Give the post's id or the address of the published post.")
        if found is None:
            return None, _("No post published on this channel has this id or address.")
        return found, ""


def _header(cells: list[str], report: ImportReport) -> list[str]:
    columns = [cell.strip().lower().removeprefix("\ufeff") for cell in cells]
    seen: set[str] = set()
    for column in columns:
        if column and column not in COLUMNS:
            report.add(
                1,
                column[:64],
                _("Unknown column. The columns are %(columns)s.") % {"columns": ", ".join(COLUMNS)},
            )
        if column and column in seen:
            report.add(1, column, _("This column appears twice."))
        seen.add(column)
    for name in REQUIRED:
        if name not in seen:
            report.add(1, name, _("This column is required."))
    return columns


def _check(by: Membership, data: bytes, report: ImportReport, now: datetime) -> list[_Row]:
    try:
        text = csvformat.decode(data)
    except csvformat.FileRefused as error:
        report.add(0, "", error.message)
        return []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=csvformat.sniff_delimiter(text), strict=True)
    resolver = _Resolver(by)
    today = local_day(by.workspace, now)
    rows: list[_Row] = []
    columns: list[str] = []
    seen_posts: dict[tuple[int, date], int] = {}
    seen_followers: dict[tuple[int, date], int] = {}
    number = 0
    try:
        for cells in reader:
            number += 1
            if number == 1:
                columns = _header(cells, report)
                if report.problem_count:
                    return []
                continue
            if not any(cell.strip() for cell in cells):
                continue
            report.total_rows += 1
            if report.total_rows > MAX_ROWS:
                # The whole file is refused: this comes first, whatever rows were checked before.
                report.problem_count += 1
                report.problems.insert(
                    0, Problem(0, "", _("The file has more than %(max)s rows: split it.") % {"max": MAX_ROWS})
                )
                del report.problems[MAX_PROBLEMS:]
                return []
            row = _check_row(number, columns, cells, resolver, today, report, seen_posts, seen_followers)
            if row is not None:
                rows.append(row)
    except csv.Error:
        report.add(
            number + 1,
            "",
            _("From this row on the file cannot be read as CSV (a quoted cell is not closed)."),
        )
        return []
    if number == 0 or (report.total_rows == 0 and not report.problem_count):
        report.add(0, "", _("The file has no rows."))
    return rows


def _check_row(
    number: int,
    columns: list[str],
    cells: list[str],
    resolver: _Resolver,
    today: date,
    report: ImportReport,
    seen_posts: dict[tuple[int, date], int],
    seen_followers: dict[tuple[int, date], int],
) -> _Row | None:
    if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
        report.add(number, "", _("This row has more cells than the header has columns."))
        return None
    values = {column: cell for column, cell in zip(columns, cells, strict=False) if column}
    before = report.problem_count
    raw_date = csvformat.unescape_cell(values.get("date", "").strip())
    day: date | None = None
    try:
        day = datetime.strptime(raw_date, "%Y-%m-%d").date()
    except ValueError:
        report.add(number, "date", _("Enter the date as YYYY-MM-DD, e.g. 2026-03-29."))
    if day is not None and day > today:
        report.add(number, "date", _("The date is in the future."))
    channel, message = resolver.channel(csvformat.unescape_cell(values.get("channel", "")))
    if message:
        report.add(number, "channel", message)
    counts: dict[str, int | None] = {}
    for name in (*METRIC_FIELDS, "followers"):
        try:
            counts[name] = _number(values.get(name, ""))
        except ValueError:
            report.add(
                number,
                name,
                _("Enter a whole number from 0 to %(max)s, or leave it empty.") % {"max": MAX_COUNT},
            )
    raw_post = csvformat.unescape_cell(values.get("post", "")).strip()
    target = None
    if raw_post and channel is not None:
        target, message = resolver.target(raw_post, channel)
        if message:
            report.add(number, "post", message)
    if report.problem_count > before or channel is None or day is None:
        return None
    metric_values = Values(**{name: counts.get(name) for name in METRIC_FIELDS})
    followers = counts.get("followers")
    if target is None and followers is None:
        report.add(number, "followers", _("A row without a post needs the number of followers."))
        return None
    if target is not None and metric_values.empty() and followers is None:
        report.add(number, "views", _("This row gives no figure."))
        return None
    if target is not None and not metric_values.empty():
        first = seen_posts.setdefault((target.pk, day), number)
        if first != number:
            report.add(
                number,
                "post",
                _("Row %(row)s already gives this post's figures for this date.") % {"row": first},
            )
            return None
        report.post_rows += 1
    if followers is not None:
        first = seen_followers.setdefault((channel.pk, day), number)
        if first != number:
            report.add(
                number,
                "followers",
                _("Row %(row)s already gives this channel's followers for this date.") % {"row": first},
            )
            return None
        report.follower_rows += 1
    return _Row(number, day, channel, target, metric_values, followers)


def metrics_import(
    *, by: Membership, data: bytes, dry_run: bool, now: datetime | None = None
) -> ImportReport:
    """Check (and unless ``dry_run``, write) a metrics CSV file. Raises ``FileTooLarge`` past MAX_BYTES;
    every other problem is in the report, per row. Nothing is written when any row has a problem."""
    permissions.require(by, "analytics.manage")
    if len(data) > MAX_BYTES:
        raise too_large()
    now = now or timezone.now()
    report = ImportReport(dry_run=dry_run)
    rows = _check(by, data, report, now)
    if dry_run or not report.ok:
        return report
    readings = [
        Reading(
            target=row.target, values=row.values, collected_at=reading_instant(by.workspace, row.day, now=now)
        )
        for row in rows
        if row.target is not None and not row.values.empty()
    ]
    with transaction.atomic():
        snapshots_write(readings=readings, source=Source.CSV)
        for row in rows:
            if row.followers is not None:
                followers_write(
                    channel=row.channel,
                    followers=row.followers,
                    collected_at=reading_instant(by.workspace, row.day, now=now),
                    source=Source.CSV,
                )
        audit.record(
            actor=by.user,
            action="metrics.import",
            workspace=by.workspace,
            rows=report.total_rows,
            post_rows=report.post_rows,
            follower_rows=report.follower_rows,
        )
    report.written = True
    return report


# --- The web page's two steps: a checked file waits (at most an hour) for the person to confirm ----------

STASH_SALT = "portevoix.metrics.import"
STASH_MAX_AGE = 3600


def _stash_dir() -> Path:
    path = Path(settings.DATA_DIR) / "cache" / "metrics-imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def import_stash(*, by: Membership, data: bytes) -> str:
    """Keep a checked file until it is confirmed; returns a signed token naming it (for this person and
    workspace only). Files older than the token's life are removed on the way."""
    permissions.require(by, "analytics.manage")
    digest = hashlib.sha256(data).hexdigest()
    folder = _stash_dir()
    cutoff = time.time() - STASH_MAX_AGE
    for old in folder.glob("*.csv"):
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    (folder / f"{digest}.csv").write_bytes(data)
    return signing.dumps({"w": by.workspace_id, "u": by.user_id, "h": digest}, salt=STASH_SALT)


def import_confirm(*, by: Membership, token: str, now: datetime | None = None) -> ImportReport:
    """Import a file kept by ``import_stash`` (checked again, all or nothing)."""
    permissions.require(by, "analytics.manage")
    expired = ValidationFailed(_("This import expired: upload the file again."))
    try:
        value = signing.loads(token, salt=STASH_SALT, max_age=STASH_MAX_AGE)
    except signing.BadSignature:
        raise expired from None
    if not isinstance(value, dict) or value.get("w") != by.workspace_id or value.get("u") != by.user_id:
        raise expired
    digest = str(value.get("h", ""))
    path = _stash_dir() / f"{digest}.csv"
    if not re.fullmatch(r"[0-9a-f]{64}", digest) or not path.is_file():
        raise expired
    report = metrics_import(by=by, data=path.read_bytes(), dry_run=False, now=now)
    if report.written:
        with contextlib.suppress(OSError):
            path.unlink()
    return report
