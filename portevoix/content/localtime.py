"""From a local wall time in a time zone to the instant it names, with the written rule for the two hard cases
(docs/decisions/0006-local-times.md):

- a local time that does not exist (the clocks jump forward over it, e.g. 02:30 on 2026-03-29 in
  Europe/Paris) is refused with a message that says why and suggests the time after the jump;
- a local time that happens twice (the clocks go back, e.g. 02:30 on 2026-10-25 in Europe/Paris) is read
  as its first occurrence (``fold=0``, the offset before the change), and a note says so.

A value with its own UTC offset ("2026-10-25T02:30+01:00") names one instant already and is taken as is.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from portevoix.core.errors import ValidationFailed

FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")


class NonExistentLocalTime(ValidationFailed):
    code = "nonexistent_local_time"


@dataclass(frozen=True)
class LocalTime:
    instant: datetime  # aware, UTC
    local: datetime  # aware, in ``zone``
    zone: str
    ambiguous: bool = False
    note: str = ""  # said to the person when a rule was applied (the first of two occurrences)


def parse_zone(name: str | None, default: str) -> zoneinfo.ZoneInfo:
    value = (name or "").strip() or default
    try:
        if "\x00" in value or len(value) > 64:
            raise ValueError(value)
        return zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            _("Unknown time zone."),
            fields={"timezone": [_("Use an IANA time zone name, such as Europe/Paris.")]},
        ) from None


def parse_datetime(value: str) -> datetime:
    """A local date and time ("2026-03-29T09:30", seconds optional), or an ISO 8601 value with an offset."""
    text = (value or "").strip()
    problem = ValidationFailed(
        _("Enter a date and time such as 2026-03-29T09:30."),
        fields={"at": [_("Enter a date and time such as 2026-03-29T09:30.")]},
    )
    if not text or len(text) > 40 or "\x00" in text:
        raise problem
    for pattern in FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise problem from None
    return parsed


def resolve(value: datetime, zone: zoneinfo.ZoneInfo) -> LocalTime:
    """The instant of ``value`` (naive: a wall time in ``zone``; aware: taken as is)."""
    if value.tzinfo is not None:
        try:
            instant = value.astimezone(UTC)
            local = instant.astimezone(zone)
        except (OverflowError, ValueError):
            raise _out_of_range() from None
        return LocalTime(instant=instant, local=local, zone=zone.key)
    first = value.replace(tzinfo=zone, fold=0)
    second = value.replace(tzinfo=zone, fold=1)
    try:
        instant = first.astimezone(UTC)
        offsets_differ = first.utcoffset() != second.utcoffset()
        round_trip = instant.astimezone(zone).replace(tzinfo=None)
    except (OverflowError, ValueError):
        raise _out_of_range() from None
    if offsets_differ and round_trip != value:
        # In a gap fold=0 uses the offset from before the jump: the same instant reads as the time after it.
        message = _(
            "%(time)s on %(date)s does not exist in %(zone)s: the clocks jump forward at that time. "
            "Choose another time, for example %(after)s."
        ) % {
            "time": value.strftime("%H:%M"),
            "date": date_format(value.date(), "DATE_FORMAT"),
            "zone": zone.key,
            "after": round_trip.strftime("%H:%M"),
        }
        raise NonExistentLocalTime(message, fields={"at": [message]})
    if offsets_differ:
        note = _(
            "%(time)s on %(date)s happens twice in %(zone)s (the clocks go back); the first occurrence "
            "was used: %(time)s %(abbr)s (UTC%(offset)s)."
        ) % {
            "time": value.strftime("%H:%M"),
            "date": date_format(value.date(), "DATE_FORMAT"),
            "zone": zone.key,
            "abbr": first.tzname() or "",
            "offset": _offset(first),
        }
        return LocalTime(instant=instant, local=first, zone=zone.key, ambiguous=True, note=note)
    return LocalTime(instant=instant, local=first, zone=zone.key)


def _out_of_range() -> ValidationFailed:
    return ValidationFailed(_("This date is out of range."), fields={"at": [_("This date is out of range.")]})


def _offset(value: datetime) -> str:
    offset = value.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def to_local(instant: datetime, zone_name: str) -> datetime:
    """``instant`` as a wall time in the named zone (UTC if the name is not a known zone)."""
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return instant.astimezone(zone)
