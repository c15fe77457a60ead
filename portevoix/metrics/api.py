"""The metrics API: post metrics and follower series (analytics.view), manual entry and CSV import
(analytics.manage). Thin: selectors and services do the work; docs/metrics.md."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile

from portevoix.core.api import error_responses
from portevoix.metrics import selectors, services
from portevoix.metrics.schemas import (
    FollowersEnteredOut,
    FollowersIn,
    FollowersOut,
    FollowersParams,
    ImportOut,
    ManualIn,
    ManualOut,
    PostMetricsPage,
    PostMetricsParams,
)
from portevoix.metrics.services.imports import too_large
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH, tags=["metrics"])


@router.get(
    "/metrics/posts",
    response={200: PostMetricsPage, **error_responses(403)},
    summary="Latest metrics per published post x channel",
    description="Posts published from `start` to `end` (the workspace's time zone, at most 366 days), "
    "newest first, with the newest value of each metric, the followers at publication and the engagement "
    "rates of docs/metrics.md. A metric the network does not give is null (not available), never 0.",
)
def metrics_posts(request: HttpRequest, params: Query[PostMetricsParams]) -> dict[str, Any]:
    by = member(request)
    permissions.require(by, "analytics.view")
    start, end = selectors.period(by.workspace, params.start, params.end)
    channel = (
        selectors.channel_get(workspace=by.workspace, channel_id=params.channel, field_name="channel")
        if params.channel
        else None
    )
    rows = selectors.post_metrics(
        by.workspace, start, end, channel=channel, network=params.network, rubric=params.rubric
    )
    return {
        "timezone": by.workspace.timezone,
        "start": start,
        "end": end,
        "count": len(rows),
        "limit": params.limit,
        "offset": params.offset,
        "items": rows[params.offset : params.offset + params.limit],
    }


@router.get(
    "/metrics/followers",
    response={200: FollowersOut, **error_responses(403)},
    summary="Followers per day and their growth, per channel",
    description="For each channel (or only `channel`): the end-of-day count per day (null: no reading that "
    "day) and the growth over the period (end - start, and growth / start x 100; docs/metrics.md).",
)
def metrics_followers(request: HttpRequest, params: Query[FollowersParams]) -> dict[str, Any]:
    by = member(request)
    permissions.require(by, "analytics.view")
    start, end = selectors.period(by.workspace, params.start, params.end)
    if params.channel:
        channels = [
            selectors.channel_get(workspace=by.workspace, channel_id=params.channel, field_name="channel")
        ]
    else:
        channels = [channel for channel, _state in selectors.collection_status(by.workspace)]
    return {
        "timezone": by.workspace.timezone,
        "start": start,
        "end": end,
        "channels": [
            {
                "channel_id": channel.pk,
                "channel_name": channel.name,
                "network": channel.network,
                "days": selectors.follower_series(by.workspace, channel, start, end),
                "growth": selectors.follower_growth(by.workspace, channel, start, end),
            }
            for channel in channels
        ],
    }


def _today(request: HttpRequest) -> Any:
    return timezone.localtime(timezone.now(), member(request).workspace.tzinfo).date()


@router.post(
    "/metrics/manual",
    response={201: ManualOut, **error_responses(403)},
    summary="Enter one post x channel's figures by hand",
    description="For networks without a metrics API, or history. Leave out the figures the network does "
    "not give. The post must be published on the channel.",
)
def metrics_manual(request: HttpRequest, payload: ManualIn) -> Status[Any]:
    by = member(request)
    permissions.require(by, "analytics.manage")
    target = selectors.published_target(
        workspace=by.workspace, post_id=payload.post_id, channel_id=payload.channel_id
    )
    day = payload.date or _today(request)
    values = services.post_metrics_enter(
        by=by,
        target=target,
        day=day,
        values=payload.model_dump(exclude={"post_id", "channel_id", "date"}),
    )
    return Status(201, {"target_id": target.pk, "date": day, **values.as_dict()})


@router.post(
    "/metrics/followers",
    response={201: FollowersEnteredOut, **error_responses(403)},
    summary="Enter a channel's follower count by hand",
)
def metrics_followers_enter(request: HttpRequest, payload: FollowersIn) -> Status[Any]:
    by = member(request)
    permissions.require(by, "analytics.manage")
    channel = selectors.channel_get(workspace=by.workspace, channel_id=payload.channel_id)
    day = payload.date or _today(request)
    count = services.followers_enter(by=by, channel=channel, day=day, followers=payload.followers)
    return Status(201, {"channel_id": channel.pk, "date": day, "followers": count})


@router.post(
    "/metrics/import",
    response={200: ImportOut, **error_responses(403, 413)},
    summary="Import metrics from a CSV file (dry run first)",
    description="Send the file as `multipart/form-data` in the `file` part (at most 5 MB and 5,000 rows). "
    "`dry_run=true` (the default) checks every row and writes nothing; `dry_run=false` writes the rows "
    "only when no row has a problem (all or nothing). Columns: docs/metrics.md.",
)
def metrics_import(request: HttpRequest, file: File[UploadedFile], dry_run: bool = True) -> dict[str, Any]:
    by = member(request)
    permissions.require(by, "analytics.manage")
    if file.size is None or file.size > services.MAX_BYTES:
        raise too_large()
    report = services.metrics_import(by=by, data=file.read(), dry_run=dry_run)
    return {
        "dry_run": report.dry_run,
        "written": report.written,
        "total_rows": report.total_rows,
        "post_rows": report.post_rows,
        "follower_rows": report.follower_rows,
        "problem_count": report.problem_count,
        "problems": [problem.as_dict() for problem in report.problems],
    }
