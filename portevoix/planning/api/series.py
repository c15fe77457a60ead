"""Recurring series and the rule preview: /api/v1/series and /api/v1/recurrence/preview. Thin: the
selectors and services check the role and the workspace; a foreign id answers 404."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import AfterValidator, StringConstraints

from portevoix.content import selectors as content_selectors
from portevoix.core.api import MAX_ID, InputSchema, ObjectId, Page, PageParams, error_responses, no_nul
from portevoix.planning import recurrence
from portevoix.planning.models import RecurringSeries
from portevoix.planning.selectors import series as selectors
from portevoix.planning.services import series as services
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH, tags=["plan"])

ID = Path(..., ge=1, le=MAX_ID, description="The series' id.")
RuleText = Annotated[str, StringConstraints(max_length=recurrence.MAX_RULE_LENGTH), AfterValidator(no_nul)]
LocalStart = Annotated[str, StringConstraints(max_length=25), AfterValidator(no_nul)]
ZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(no_nul)]

RULE_HELP = (
    "An RFC 5545 RRULE body: FREQ=DAILY|WEEKLY|MONTHLY|YEARLY, INTERVAL, BYDAY (MO,WE; 1MO or -1FR in a "
    "monthly rule), BYMONTHDAY (monthly), and UNTIL (a date, YYYYMMDD, inclusive) or COUNT (at most "
    f"{recurrence.MAX_COUNT}). Example: FREQ=WEEKLY;BYDAY=MO,TH;COUNT=20."
)
START_HELP = "The first local date and time, without an offset, e.g. 2026-03-29T09:30."
ZONE_HELP = "An IANA time zone; the workspace's when left out."


class OccurrenceOut(Schema):
    local: datetime = Field(description="When it happens, in the series' zone (with its offset).")
    utc: datetime = Field(description="The same instant in UTC.")
    wall: str = Field(description="The local date and time the rule names (YYYY-MM-DDTHH:MM).")
    kind: str = Field(
        description="plain; gap (the wall time does not exist: shifted forward); ambiguous "
        "(it happens twice: the first one)."
    )
    note: str = Field(description="What the written rule did, in words (empty when nothing).")


class PreviewIn(InputSchema):
    rule: RuleText = Field(description=RULE_HELP)
    start: LocalStart = Field(description=START_HELP)
    timezone: ZoneName | None = Field(None, description=ZONE_HELP)
    limit: int = Field(10, ge=1, le=selectors.PREVIEW_MAX, description="How many occurrences.")


class PreviewOut(Schema):
    rule: str = Field(description="The rule, normalised.")
    timezone: str
    start_note: str = Field(description="What the written rule did to the start itself, if anything.")
    occurrences: list[OccurrenceOut]


class SeriesIn(InputSchema):
    template_post_id: ObjectId = Field(description="The post to repeat (it must go to a channel).")
    rule: RuleText = Field(description=RULE_HELP)
    start: LocalStart = Field(description=START_HELP)
    timezone: ZoneName | None = Field(None, description=ZONE_HELP)


class SeriesUpdateIn(InputSchema):
    rule: RuleText | None = Field(None, description=RULE_HELP)
    start: LocalStart | None = Field(None, description=START_HELP)
    timezone: ZoneName | None = Field(None, description=ZONE_HELP)


class PlannedOut(Schema):
    post_id: int
    scheduled_at: datetime | None
    status: str


class SeriesOut(Schema):
    id: int
    template_post_id: int
    rule: str
    start: str = Field(description="The first local date and time.")
    timezone: str
    active: bool
    generated_until: datetime | None = Field(description="Occurrences exist as posts up to this instant.")
    created_at: datetime


class SeriesDetailOut(SeriesOut):
    planned: list[PlannedOut] = Field(description="Occurrences planned as posts from now on (first 20).")
    next_occurrences: list[OccurrenceOut] = Field(description="The rule's next 10 occurrences from now.")


class SeriesPage(Page):
    items: list[SeriesOut]


class StopOut(Schema):
    removed: int = Field(description="Future occurrences removed from the plan.")
    series: SeriesOut


def _occurrence(occurrence: recurrence.Occurrence) -> dict[str, Any]:
    return {
        "local": occurrence.local,
        "utc": occurrence.instant,
        "wall": occurrence.wall.strftime("%Y-%m-%dT%H:%M"),
        "kind": occurrence.kind,
        "note": recurrence.describe_kind(occurrence),
    }


def _series(series: RecurringSeries) -> dict[str, Any]:
    return {
        "id": series.pk,
        "template_post_id": series.template_id,
        "rule": series.rule,
        "start": f"{series.start_date:%Y-%m-%d}T{series.start_time:%H:%M}",
        "timezone": series.timezone,
        "active": series.active,
        "generated_until": series.generated_until,
        "created_at": series.created_at,
    }


def _detail(series: RecurringSeries) -> dict[str, Any]:
    return {
        **_series(series),
        "planned": [
            {
                "post_id": post.pk,
                "scheduled_at": post.scheduled_at,
                "status": str(content_selectors.status_from_states([t.state for t in post.targets.all()])),
            }
            for post in selectors.series_upcoming_posts(series=series)
        ],
        "next_occurrences": [_occurrence(o) for o in selectors.series_next(series=series)],
    }


@router.post(
    "/recurrence/preview",
    response={200: PreviewOut, **error_responses(403)},
    summary="Preview a recurrence rule: its next occurrences in local time and UTC",
    description="Nothing is written. A rule, start or zone that cannot be used answers 422 with the "
    "problem under `fields` (`rule`, `start` or `timezone`). Non-existent local times (the clocks jump "
    "forward) are shifted forward by the gap; repeated ones use the first occurrence "
    "(docs/planning/recurrence.md).",
)
def recurrence_preview(request: HttpRequest, payload: PreviewIn) -> dict[str, Any]:
    membership = member(request)
    permissions.require(membership, "post.view")
    preview = selectors.recurrence_preview(
        rule=payload.rule,
        start=payload.start,
        timezone_name=payload.timezone,
        default_zone=membership.workspace.timezone,
        limit=payload.limit,
    )
    return {
        "rule": preview.rule,
        "timezone": preview.timezone,
        "start_note": preview.start_note,
        "occurrences": [_occurrence(o) for o in preview.occurrences],
    }


@router.get("/series", response={200: SeriesPage, **error_responses(403)}, summary="Recurring series")
def series_list(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    found = selectors.series_list(by=member(request))
    return {
        "items": [_series(s) for s in found[params.offset : params.offset + params.limit]],
        "count": found.count(),
        "limit": params.limit,
        "offset": params.offset,
    }


@router.post(
    "/series",
    response={201: SeriesDetailOut, **error_responses(403, 404)},
    summary="Repeat a post by a recurrence rule",
    description="Occurrences are copies of the template post, scheduled on its channels up to 60 days "
    "ahead; a periodic job plans the next ones. Needs the rights to manage series and to publish.",
)
def series_create(request: HttpRequest, payload: SeriesIn) -> Status[Any]:
    membership = member(request)
    permissions.require(membership, "plan.import")
    template = content_selectors.post_get(by=membership, post_id=payload.template_post_id)
    series = services.series_create(
        by=membership,
        template=template,
        rule=payload.rule,
        start=payload.start,
        timezone_name=payload.timezone,
    )
    return Status(201, _detail(series))


@router.get(
    "/series/{id}",
    response={200: SeriesDetailOut, **error_responses(403, 404)},
    summary="One series, with its planned posts and the rule's next occurrences",
)
def series_get(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    return _detail(selectors.series_get(by=member(request), series_id=id))


@router.patch(
    "/series/{id}",
    response={200: SeriesDetailOut, **error_responses(403, 404, 409)},
    summary="Change a series' rule, start or zone",
    description="Future occurrences that no network has received are removed and planned again by the new "
    "rule.",
)
def series_update(request: HttpRequest, payload: SeriesUpdateIn, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    series = selectors.series_get(by=membership, series_id=id)
    series = services.series_update(
        by=membership,
        series=series,
        rule=payload.rule,
        start=payload.start,
        timezone_name=payload.timezone,
    )
    return _detail(series)


@router.post(
    "/series/{id}/stop",
    response={200: StopOut, **error_responses(403, 404, 409)},
    summary="Stop a series",
    description="Nothing more is planned; future occurrences that no network has received are removed.",
)
def series_stop(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    series = selectors.series_get(by=membership, series_id=id)
    removed = services.series_stop(by=membership, series=series)
    return {"removed": removed, "series": _series(series)}
