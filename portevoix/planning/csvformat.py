"""The CSV format of the content plan's import and export: pure reading and writing, no database.

Columns (docs/planning/import-export.md): ``date`` (YYYY-MM-DD), ``time`` (HH:MM, local wall time),
``timezone`` (IANA; empty: the workspace's), ``channels`` (channel ids or names separated by ``;`` or
``|``), ``text``, ``title``, ``link``, ``rubric`` (name), and ``text_<network>`` per-network variants
(``text_x``, ``text_bluesky``...). ``date``, ``time`` and ``channels`` are required columns.

Reading (``read``): UTF-8 with or without a byte order mark, or UTF-16 with its BOM; anything else that does
not decode is refused naming the line. The delimiter (``,`` or ``;``) is taken from the header line. Quoted
cells may span lines. Caps on rows, columns and cell size; NUL characters are refused. Problems are reported
per row, with the row number a spreadsheet shows (the header is row 1).

Writing (``export_row``, ``safe_cell``): every cell that a spreadsheet would read as a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with ``'`` (OWASP, "CSV Injection"). On
reading, such a ``'`` in front of one of those characters is removed again (in every cell), so an export
re-imports as it was.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

MAX_ROWS = 10_000
MAX_COLUMNS = 64
MAX_CELL_CHARS = 20_000
MAX_TITLE_CHARS = 200
MAX_LINK_CHARS = 2000
MAX_CHANNELS_PER_ROW = 50

REQUIRED = ("date", "time", "channels")
BASE_COLUMNS = ("date", "time", "timezone", "channels", "text", "title", "link", "rubric")
VARIANT_PREFIX = "text_"
CHANNEL_SEPARATORS = re.compile(r"[;|]")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class FileRefused(Exception):
    """The whole file is refused (encoding, NUL characters, size, header...): nothing is read further."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Problem:
    row: int  # the spreadsheet's row number (header = 1); 0 for the file as a whole
    column: str
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class Row:
    """One data row with its cells read and checked for form (what needs no database)."""

    number: int
    date: date | None = None
    time: time | None = None
    timezone: str = ""
    channels: list[str] = field(default_factory=list)
    text: str = ""
    title: str = ""
    link: str = ""
    rubric: str = ""
    variants: dict[str, str] = field(default_factory=dict)


@dataclass
class Parsed:
    rows: list[Row]  # only the rows without a problem of form
    problems: list[Problem]
    total_rows: int  # data rows read (blank rows are skipped and not counted)
    delimiter: str = ","
    columns: list[str] = field(default_factory=list)

    @property
    def error_rows(self) -> int:
        return len({problem.row for problem in self.problems})


# --- Decoding -------------------------------------------------------------------------------------


def _line_of(text: str) -> int:
    return text.count("\n") + 1


def decode(data: bytes) -> str:
    """The file's text. Refuses (``FileRefused``) an empty file, bytes that are not UTF-8 (or UTF-16 with a
    BOM), naming the line, and NUL characters."""
    if not data.strip():
        raise FileRefused(_("The file is empty."))
    if data.startswith(UTF16_BOMS):
        encoding, body = "utf-16", data
    else:
        encoding, body = "utf-8", data.removeprefix(UTF8_BOM)
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as error:
        before = body[: error.start].decode(encoding, errors="ignore")
        raise FileRefused(
            _(
                "Line %(line)s is not valid %(encoding)s text. Save the file as “CSV UTF-8” (in Excel or "
                "LibreOffice: Save as, then choose UTF-8) and upload it again."
            )
            % {"line": _line_of(before), "encoding": "UTF-8" if encoding == "utf-8" else "UTF-16"}
        ) from None
    text = text.removeprefix("\ufeff")
    if "\x00" in text:
        raise FileRefused(
            _(
                "Line %(line)s contains a NUL character, which no CSV file holds (a file saved as "
                "UTF-16 without a byte order mark looks like this). Save the file as “CSV UTF-8” and "
                "upload it again."
            )
            % {"line": _line_of(text[: text.index("\x00")])}
        )
    return text


def sniff_delimiter(text: str) -> str:
    """``;`` when the header line holds more semicolons than commas (a spreadsheet in a locale with decimal
    commas saves so), else ``,``."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


# --- Reading --------------------------------------------------------------------------------------


def unescape_cell(value: str) -> str:
    """Remove the ``'`` our export puts in front of a cell a spreadsheet would run as a formula."""
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_TRIGGERS:
        return value[1:]
    return value


def _header(cells: Sequence[str], networks: Collection[str]) -> tuple[list[str], list[Problem]]:
    columns = [cell.strip().lower().removeprefix("\ufeff") for cell in cells]
    problems: list[Problem] = []
    if len(columns) > MAX_COLUMNS:
        raise FileRefused(
            _("The header has %(count)s columns; at most %(max)s are read.")
            % {"count": len(columns), "max": MAX_COLUMNS}
        )
    seen: set[str] = set()
    for column in columns:
        if column in seen and column:
            problems.append(Problem(1, column, _("This column appears twice.")))
        seen.add(column)
        if column in BASE_COLUMNS or not column:
            continue
        if column.startswith(VARIANT_PREFIX) and column.removeprefix(VARIANT_PREFIX) in networks:
            continue
        if column.startswith(VARIANT_PREFIX):
            message = _("Unknown network in this column: use text_ followed by one of %(networks)s.") % {
                "networks": ", ".join(sorted(networks))
            }
        else:
            message = _("Unknown column. The columns are %(columns)s, and text_<network> for variants.") % {
                "columns": ", ".join(BASE_COLUMNS)
            }
        problems.append(Problem(1, column[:64], message))
    missing = [name for name in REQUIRED if name not in seen]
    for name in missing:
        problems.append(Problem(1, name, _("This column is required.")))
    return columns, problems


def read(data: bytes, *, networks: Collection[str], max_rows: int = MAX_ROWS) -> Parsed:
    """Decode and read the whole file; ``FileRefused`` when it cannot be read at all. Each row is checked
    for form (``check_row``); the rows with a problem are left out of ``rows`` and listed in ``problems``."""
    text = decode(data)
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    problems: list[Problem] = []
    rows: list[Row] = []
    columns: list[str] = []
    record = 0  # the spreadsheet's row number of the last record read
    total = 0
    last_line = 0
    try:
        for cells in reader:
            record += 1
            if record == 1:
                columns, header_problems = _header(cells, networks)
                if header_problems:
                    return Parsed(rows=[], problems=header_problems, total_rows=0, delimiter=delimiter)
                last_line = reader.line_num
                continue
            last_line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            total += 1
            if total > max_rows:
                raise FileRefused(
                    _("The file has more than %(max)s rows: split it into several files.") % {"max": max_rows}
                )
            row, row_problems = check_row(record, columns, cells)
            if row_problems:
                problems.extend(row_problems)
            else:
                rows.append(row)
    except csv.Error as error:
        start = last_line + 1
        if "field larger than field limit" in str(error):
            message = _("A cell is too large (at most %(max)s characters).") % {"max": MAX_CELL_CHARS}
        else:
            message = _(
                "From line %(line)s on, the file cannot be read as CSV: a quoted cell is not closed, or a "
                'quote inside a cell is not doubled (write "" for a quote). Nothing after that line was read.'
            ) % {"line": start}
        problems.append(Problem(record + 1, "", message))
    if record == 0:
        raise FileRefused(_("The file is empty."))
    if total == 0 and not problems:
        problems.append(Problem(0, "", _("The file has a header but no rows.")))
    return Parsed(rows=rows, problems=problems, total_rows=total, delimiter=delimiter, columns=columns)


def _parse_date(value: str) -> date | None:
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


def _parse_time(value: str) -> time | None:
    for pattern in ("%H:%M", "%H:%M:%S"):
        try:
            return datetime.strptime(value.strip(), pattern).time()
        except ValueError:
            continue
    return None


def split_channels(value: str) -> list[str]:
    tokens: list[str] = []
    for token in CHANNEL_SEPARATORS.split(value):
        token = token.strip()
        if token and token not in tokens:
            tokens.append(token)
    return tokens


def check_row(number: int, columns: Sequence[str], cells: Sequence[str]) -> tuple[Row, list[Problem]]:
    """Form checks of one row: sizes, date and time formats, the channel list, the title and the link."""
    problems: list[Problem] = []
    row = Row(number=number)
    if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
        problems.append(
            Problem(
                number,
                "",
                _("This row has %(count)s cells but the header has %(columns)s columns.")
                % {"count": len(cells), "columns": len(columns)},
            )
        )
        return row, problems
    values: dict[str, str] = {}
    for column, cell in zip(columns, cells, strict=False):
        if not column:
            continue
        if len(cell) > MAX_CELL_CHARS:
            problems.append(
                Problem(number, column, _("At most %(max)s characters per cell.") % {"max": MAX_CELL_CHARS})
            )
            continue
        values[column] = unescape_cell(cell).replace("\r\n", "\n")
    if problems:
        return row, problems
    raw_date, raw_time = values.get("date", "").strip(), values.get("time", "").strip()
    row.date = _parse_date(raw_date)
    if row.date is None:
        message = _("Enter the date as YYYY-MM-DD, e.g. 2026-03-29.")
        problems.append(Problem(number, "date", _("This cell is required.") if not raw_date else message))
    row.time = _parse_time(raw_time)
    if row.time is None:
        message = _("Enter the time as HH:MM (24-hour clock), e.g. 09:30.")
        problems.append(Problem(number, "time", _("This cell is required.") if not raw_time else message))
    row.timezone = values.get("timezone", "").strip()
    if len(row.timezone) > 64:
        problems.append(Problem(number, "timezone", _("Use an IANA time zone name, such as Europe/Paris.")))
    row.channels = split_channels(values.get("channels", ""))
    if not row.channels:
        problems.append(Problem(number, "channels", _("Name at least one channel (its name or its id).")))
    elif len(row.channels) > MAX_CHANNELS_PER_ROW:
        problems.append(
            Problem(
                number, "channels", _("At most %(max)s channels per row.") % {"max": MAX_CHANNELS_PER_ROW}
            )
        )
    row.text = values.get("text", "")
    row.title = values.get("title", "").strip()
    if len(row.title) > MAX_TITLE_CHARS:
        problems.append(
            Problem(number, "title", _("Use at most %(max)s characters.") % {"max": MAX_TITLE_CHARS})
        )
    row.link = values.get("link", "").strip()
    if row.link:
        try:
            if len(row.link) > MAX_LINK_CHARS:
                raise DjangoValidationError("too long")
            URLValidator(schemes=["http", "https"])(row.link)
        except DjangoValidationError:
            problems.append(
                Problem(number, "link", _("Enter a web address starting with http:// or https://."))
            )
    row.rubric = values.get("rubric", "").strip()
    row.variants = {
        column.removeprefix(VARIANT_PREFIX): value
        for column, value in values.items()
        if column.startswith(VARIANT_PREFIX) and value.strip()
    }
    return row, problems


# --- Writing --------------------------------------------------------------------------------------


def safe_cell(value: object) -> str:
    """A cell no spreadsheet runs as a formula: ``'`` in front of ``=``, ``+``, ``-``, ``@``, tab or CR."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def header(networks: Iterable[str] = ()) -> list[str]:
    return [*BASE_COLUMNS, *(f"{VARIANT_PREFIX}{network}" for network in networks)]


@dataclass(frozen=True)
class ExportRow:
    local: datetime  # the planned instant in the post's own zone
    timezone: str
    channels: Sequence[str]
    text: str
    title: str
    link: str
    rubric: str
    variants: Mapping[str, str]


def export_cells(row: ExportRow, networks: Sequence[str]) -> list[str]:
    cells = [
        row.local.strftime("%Y-%m-%d"),
        row.local.strftime("%H:%M"),
        row.timezone,
        ";".join(row.channels),
        row.text,
        row.title,
        row.link,
        row.rubric,
        *(row.variants.get(network, "") for network in networks),
    ]
    return [safe_cell(cell) for cell in cells]


class _Echo:
    """A file-like object whose ``write`` returns what it is given (for streaming csv.writer output)."""

    def write(self, value: str) -> str:
        return value


def csv_lines(rows: Iterable[Sequence[str]]) -> Iterator[str]:
    """CSV text, one record at a time (cells quoted where needed, CRLF line ends as RFC 4180 says)."""
    writer = csv.writer(_Echo())
    for cells in rows:
        yield writer.writerow(cells)  # type: ignore[func-returns-value]
