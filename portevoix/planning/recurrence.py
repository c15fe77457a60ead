"""RFC 5545 recurrence rules in local wall time (pure: no ORM, no Django models).

A series repeats at a local wall time (``DTSTART``: a date and a time in an IANA zone) by a rule such as
``FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=10``. The rule is expanded in local wall time (naive
datetimes, with python-dateutil's ``rrule``), and each wall time is then turned into a UTC instant by the
written rule of docs/decisions/0009-recurrence-local-times.md (RFC 5545, section 3.3.5):

- a wall time that happens twice (the clocks go back) is its first occurrence (``fold=0``, the offset
  before the change);
- a wall time that does not exist (the clocks jump forward over it) is read with the UTC offset from
  before the jump, so it lands after the jump, shifted forward by the length of the gap (02:30 on the
  spring-forward day in Europe/Paris becomes 03:30 CEST). It is never skipped;
- when a whole day is skipped (Pacific/Apia, 2011-12-30) a daily occurrence shifted forward lands on the
  same instant as the next day's: the two are one occurrence, never two posts at one instant.

Only what the planning UI offers is accepted: FREQ=DAILY, WEEKLY, MONTHLY or YEARLY; INTERVAL; BYDAY
(weekdays; with an ordinal such as 1MO or -1FR only in a MONTHLY rule); BYMONTHDAY (MONTHLY only); and
either UNTIL (a date, inclusive, in the series' local calendar) or COUNT (at most ``MAX_COUNT``). Anything
else is refused with a message that names the problem (``RuleError``).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil import rrule as du
from django.utils.translation import gettext as _

MAX_COUNT = 1000
MAX_INTERVAL = 1000
MAX_RULE_LENGTH = 500
# A rule is looked at within this many years of its start (dates beyond cannot be planned anyway).
MAX_YEARS = 100

FREQUENCIES = {"DAILY": du.DAILY, "WEEKLY": du.WEEKLY, "MONTHLY": du.MONTHLY, "YEARLY": du.YEARLY}
WEEKDAYS = {"MO": du.MO, "TU": du.TU, "WE": du.WE, "TH": du.TH, "FR": du.FR, "SA": du.SA, "SU": du.SU}
WEEKDAY_ORDER = list(WEEKDAYS)
PARTS = ("FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "UNTIL", "COUNT")
_BYDAY = re.compile(r"^([+-]?\d{1,2})?(MO|TU|WE|TH|FR|SA|SU)$")
_UNTIL_DATE = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})$")


class RuleError(ValueError):
    """A rule, a start or a zone that cannot be used; ``field`` names the input ("rule", "start",
    "timezone") and ``message`` says what is wrong, in the active language."""

    def __init__(self, message: str, *, field: str = "rule") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Rule:
    freq: str
    interval: int = 1
    byday: tuple[tuple[int | None, str], ...] = ()  # (ordinal or None, "MO")
    bymonthday: tuple[int, ...] = ()
    until: date | None = None
    count: int | None = None

    def __str__(self) -> str:
        """The canonical RRULE body, e.g. ``FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=10``."""
        parts = [f"FREQ={self.freq}"]
        if self.interval != 1:
            parts.append(f"INTERVAL={self.interval}")
        if self.byday:
            parts.append("BYDAY=" + ",".join(f"{n if n else ''}{day}" for n, day in self.byday))
        if self.bymonthday:
            parts.append("BYMONTHDAY=" + ",".join(str(day) for day in self.bymonthday))
        if self.until is not None:
            parts.append(f"UNTIL={self.until:%Y%m%d}")
        if self.count is not None:
            parts.append(f"COUNT={self.count}")
        return ";".join(parts)


class Kind:
    PLAIN = "plain"
    GAP = "gap"  # the wall time does not exist: shifted forward by the gap
    AMBIGUOUS = "ambiguous"  # the wall time happens twice: the first one


@dataclass(frozen=True)
class Occurrence:
    index: int  # position in the rule's expansion from its start (0 = first)
    wall: datetime  # naive: the local date and time the rule names
    local: datetime  # aware, in the zone: when it really happens (differs from ``wall`` in a gap)
    instant: datetime  # aware, UTC
    kind: str = Kind.PLAIN

    @property
    def shifted(self) -> bool:
        return self.kind == Kind.GAP


# --- Parsing --------------------------------------------------------------------------------------


def _int(name: str, value: str) -> int:
    if not re.fullmatch(r"[+-]?\d{1,6}", value):
        raise RuleError(_("%(part)s must be a whole number, not %(value)s.") % {"part": name, "value": value})
    return int(value)


def parse_rule(text: str) -> Rule:
    """Validate an RRULE body ("RRULE:" prefix allowed, case-insensitive) and return it normalised."""
    if not isinstance(text, str):
        raise RuleError(_("Enter a recurrence rule such as FREQ=WEEKLY;BYDAY=MO."))
    body = text.strip()
    if "\x00" in body or len(body) > MAX_RULE_LENGTH:
        raise RuleError(_("A rule has at most %(max)s characters.") % {"max": MAX_RULE_LENGTH})
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    body = body.strip().rstrip(";")
    if not body:
        raise RuleError(_("Enter a recurrence rule such as FREQ=WEEKLY;BYDAY=MO."))
    values: dict[str, str] = {}
    for chunk in body.split(";"):
        name, sep, value = chunk.partition("=")
        name, value = name.strip().upper(), value.strip().upper()
        if not sep or not name or not value:
            raise RuleError(
                _("Each part of a rule reads NAME=VALUE; %(chunk)s does not.") % {"chunk": chunk[:40]}
            )
        if name not in PARTS:
            raise RuleError(
                _("%(part)s is not supported here; use only %(parts)s.")
                % {"part": name[:20], "parts": ", ".join(PARTS)}
            )
        if name in values:
            raise RuleError(_("%(part)s is given twice.") % {"part": name})
        values[name] = value
    if "FREQ" not in values:
        raise RuleError(_("The rule needs FREQ (DAILY, WEEKLY, MONTHLY or YEARLY)."))
    freq = values["FREQ"]
    if freq not in FREQUENCIES:
        raise RuleError(
            _("FREQ=%(value)s is not supported; use DAILY, WEEKLY, MONTHLY or YEARLY.") % {"value": freq[:20]}
        )
    interval = _int("INTERVAL", values["INTERVAL"]) if "INTERVAL" in values else 1
    if not 1 <= interval <= MAX_INTERVAL:
        raise RuleError(_("INTERVAL must be between 1 and %(max)s.") % {"max": MAX_INTERVAL})
    if "UNTIL" in values and "COUNT" in values:
        raise RuleError(_("Give either UNTIL or COUNT, not both."))
    count = None
    if "COUNT" in values:
        count = _int("COUNT", values["COUNT"])
        if not 1 <= count <= MAX_COUNT:
            raise RuleError(_("COUNT must be between 1 and %(max)s.") % {"max": MAX_COUNT})
    until = None
    if "UNTIL" in values:
        match = _UNTIL_DATE.match(values["UNTIL"])
        try:
            if match is None:
                raise ValueError
            until = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            raise RuleError(
                _("UNTIL must be a date such as 20261231 (the last day, in the series' time zone).")
            ) from None
    byday: list[tuple[int | None, str]] = []
    if "BYDAY" in values:
        if freq == "YEARLY":
            raise RuleError(_("BYDAY is not supported with FREQ=YEARLY; use WEEKLY or MONTHLY."))
        for item in values["BYDAY"].split(","):
            found = _BYDAY.match(item.strip())
            if found is None:
                raise RuleError(
                    _("BYDAY takes weekdays such as MO,WE or, in a monthly rule, 1MO or -1FR; not %(value)s.")
                    % {"value": item[:20]}
                )
            ordinal = int(found[1]) if found[1] else None
            if ordinal is not None:
                if freq != "MONTHLY":
                    raise RuleError(
                        _("A numbered weekday such as %(value)s is only allowed with FREQ=MONTHLY.")
                        % {"value": item}
                    )
                if ordinal == 0 or not -5 <= ordinal <= 5:
                    raise RuleError(
                        _("In %(value)s the number must be 1 to 5 or -1 to -5 (the week of the month).")
                        % {"value": item}
                    )
            entry = (ordinal, found[2])
            if entry in byday:
                raise RuleError(_("BYDAY names %(value)s twice.") % {"value": item})
            byday.append(entry)
    bymonthday: list[int] = []
    if "BYMONTHDAY" in values:
        if freq != "MONTHLY":
            raise RuleError(_("BYMONTHDAY is only allowed with FREQ=MONTHLY."))
        for item in values["BYMONTHDAY"].split(","):
            day = _int("BYMONTHDAY", item.strip())
            if day == 0 or not -31 <= day <= 31:
                raise RuleError(_("BYMONTHDAY takes days 1 to 31 (or -1 to -31 from the month's end)."))
            if day in bymonthday:
                raise RuleError(_("BYMONTHDAY names %(value)s twice.") % {"value": day})
            bymonthday.append(day)
    return Rule(
        freq=freq,
        interval=interval,
        byday=tuple(sorted(byday, key=lambda e: (WEEKDAY_ORDER.index(e[1]), e[0] or 0))),
        bymonthday=tuple(sorted(bymonthday)),
        until=until,
        count=count,
    )


def parse_zone(name: str | None) -> zoneinfo.ZoneInfo:
    value = (name or "").strip()
    try:
        if not value or "\x00" in value or len(value) > 64:
            raise ValueError(value)
        return zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise RuleError(
            _("Unknown time zone: use an IANA time zone name, such as Europe/Paris."), field="timezone"
        ) from None


START_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


def parse_start(value: str) -> datetime:
    """A local date and time without offset ("2026-03-29T09:30"): the series' first wall time."""
    text = (value or "").strip() if isinstance(value, str) else ""
    if text and len(text) <= 25 and "\x00" not in text:
        for pattern in START_FORMATS:
            try:
                parsed = datetime.strptime(text, pattern)
            except ValueError:
                continue
            if not 1900 <= parsed.year <= 9000:
                break
            return parsed.replace(second=0, microsecond=0)
    raise RuleError(
        _("Enter the first local date and time without an offset, such as 2026-03-29T09:30."), field="start"
    )


# --- Local wall time to instant -------------------------------------------------------------------


def resolve(wall: datetime, zone: zoneinfo.ZoneInfo) -> tuple[datetime, str]:
    """The UTC instant of a naive wall time in ``zone`` by the written rule, and its kind."""
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    instant = first.astimezone(UTC)
    if first.utcoffset() == second.utcoffset():
        return instant, Kind.PLAIN
    if instant.astimezone(zone).replace(tzinfo=None) != wall:
        # In a gap, fold=0 takes the offset from before the jump (PEP 495): the instant reads as the
        # wall time shifted forward by the gap.
        return instant, Kind.GAP
    return instant, Kind.AMBIGUOUS


# --- Expansion ------------------------------------------------------------------------------------


def _dateutil_rule(rule: Rule, start: datetime) -> du.rrule:
    weekdays = [WEEKDAYS[day](ordinal) if ordinal else WEEKDAYS[day] for ordinal, day in rule.byday]
    until = datetime.combine(rule.until, time(23, 59, 59)) if rule.until else None
    return du.rrule(
        FREQUENCIES[rule.freq],
        dtstart=start,
        interval=rule.interval,
        wkst=du.MO,
        byweekday=weekdays or None,
        bymonthday=list(rule.bymonthday) or None,
        until=until,
        count=rule.count,
        cache=False,
    )


def iter_occurrences(rule: Rule, start: datetime, zone: zoneinfo.ZoneInfo) -> Iterator[Occurrence]:
    """Every occurrence from the start, in order (instants strictly increasing, none twice)."""
    if start.tzinfo is not None:
        raise RuleError(_("The start is a local date and time, without an offset."), field="start")
    last: datetime | None = None
    horizon = start.year + MAX_YEARS
    for index, wall in enumerate(_dateutil_rule(rule, start)):
        if wall.year > horizon:
            return
        try:
            instant, kind = resolve(wall, zone)
        except (OverflowError, ValueError):
            return
        if last is not None and instant <= last:
            continue  # a skipped day: it merged with the next one (see the module's docstring)
        last = instant
        yield Occurrence(index=index, wall=wall, local=instant.astimezone(zone), instant=instant, kind=kind)


def check(rule: Rule, start: datetime, zone: zoneinfo.ZoneInfo) -> Occurrence:
    """The first occurrence; a rule that produces none is refused."""
    if rule.until is not None and rule.until < start.date():
        raise RuleError(_("UNTIL is before the start: the rule would produce nothing."))
    first = next(iter_occurrences(rule, start, zone), None)
    if first is None:
        raise RuleError(_("This rule produces no occurrence after its start; check BYDAY and BYMONTHDAY."))
    return first


def occurrences(
    rule: Rule,
    start: datetime,
    zone: zoneinfo.ZoneInfo,
    *,
    after: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
) -> list[Occurrence]:
    """Occurrences with ``after < instant <= until`` (aware instants; either may be None), at most
    ``limit``."""
    found: list[Occurrence] = []
    if limit <= 0:
        return found
    # Wall times run a day or so at most from their instants: stop once they are well past ``until``.
    stop_wall = until.astimezone(zone).replace(tzinfo=None) + timedelta(days=2) if until else None
    for occurrence in iter_occurrences(rule, start, zone):
        if stop_wall is not None and occurrence.wall > stop_wall:
            break
        if after is not None and occurrence.instant <= after:
            continue
        if until is not None and occurrence.instant > until:
            continue
        found.append(occurrence)
        if len(found) >= limit:
            break
    return found


# --- Building a rule from the form's choices ------------------------------------------------------


def build_rule(
    *,
    freq: str,
    interval: int = 1,
    weekdays: list[str] | None = None,
    monthday: int | None = None,
    nth: int | None = None,
    until: date | None = None,
    count: int | None = None,
) -> Rule:
    """The rule the planning form describes ("every N weeks on MO and WE, 10 times"), validated."""
    parts = [f"FREQ={freq}", f"INTERVAL={interval}"]
    days = [day for day in WEEKDAY_ORDER if day in (weekdays or [])]
    if freq == "MONTHLY" and nth and days:
        parts.append("BYDAY=" + ",".join(f"{nth}{day}" for day in days))
    elif days and freq in {"DAILY", "WEEKLY", "MONTHLY"}:
        parts.append("BYDAY=" + ",".join(days))
    if freq == "MONTHLY" and monthday and not (nth and days):
        parts.append(f"BYMONTHDAY={monthday}")
    if until is not None:
        parts.append(f"UNTIL={until:%Y%m%d}")
    if count is not None:
        parts.append(f"COUNT={count}")
    return parse_rule(";".join(parts))


def describe_kind(occurrence: Occurrence) -> str:
    """What the written rule did to this occurrence, for the preview ("" when nothing)."""
    if occurrence.kind == Kind.GAP:
        return _(
            "%(wall)s does not exist on that day (the clocks jump forward): it happens at %(local)s."
        ) % {"wall": occurrence.wall.strftime("%H:%M"), "local": occurrence.local.strftime("%H:%M %Z")}
    if occurrence.kind == Kind.AMBIGUOUS:
        return _(
            "%(wall)s happens twice on that day (the clocks go back): the first one is used (%(zone)s)."
        ) % {
            "wall": occurrence.wall.strftime("%H:%M"),
            "zone": occurrence.local.strftime("%Z"),
        }
    return ""
