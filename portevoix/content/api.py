"""The composer's API: validate a text against networks' rules, and posts (list, create, read, change,
delete, schedule at a local time, publish now, publishing history). Thin: selectors and services check the
role and the workspace."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from portevoix.content import selectors, services
from portevoix.content.models import Post
from portevoix.content.schemas import (
    HistoryOut,
    PostCreateIn,
    PostListParams,
    PostOut,
    PostPage,
    PostUpdateIn,
    PublishOut,
    ScheduleIn,
    ScheduleOut,
    ValidateIn,
    ValidateOut,
    result_out,
)
from portevoix.content.validation import MediaInfo, validate_networks
from portevoix.core.api import MAX_ID, error_responses, paginate
from portevoix.publishing.models import Target
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH)

ID = Path(..., ge=1, le=MAX_ID, description="The post's id.")


def _with_relations(posts: QuerySet[Post]) -> QuerySet[Post]:
    return posts.prefetch_related(
        "variants",
        "attachments__asset",
        Prefetch("targets", queryset=Target.objects.select_related("channel").order_by("pk")),
    )


def _fresh(post: Post) -> Post:
    return _with_relations(Post.objects.filter(pk=post.pk)).get()


# --- Validation -----------------------------------------------------------------------------------


@router.post(
    "/content/validate",
    response={200: ValidateOut, **error_responses(403, 404, 413)},
    tags=["posts"],
    summary="Measure a text (and media) against networks' rules",
    description="Per network: the length as that network counts it (X weighted per twitter-text v3, "
    "Bluesky graphemes and bytes, Mastodon with each link as 23, Telegram UTF-16 units with 1024 for a "
    "caption when media are attached...), the limit, the unit, and the problems (stable `code` and a "
    "plain `message`). Default limits of each network (a channel's own, such as a Mastodon instance's, "
    "apply in the composer). Unknown networks answer 422; a text longer than 100,000 characters answers 422 "
    "`text_too_long`. See docs/composer.md.",
)
def content_validate(request: HttpRequest, payload: ValidateIn) -> dict[str, Any]:
    permissions.require(member(request), "post.view")
    media = [
        MediaInfo(
            kind=item.kind,
            content_type=item.content_type,
            size=item.size,
            width=item.width,
            height=item.height,
            duration_seconds=item.duration_seconds,
        )
        for item in payload.media
    ]
    results = validate_networks(
        text=payload.text,
        media=media,
        networks=payload.networks,
        link=payload.link or None,
        variants=payload.variants,
    )
    return {"results": {key: result_out(result) for key, result in results.items()}}


# --- Posts ----------------------------------------------------------------------------------------


@router.get(
    "/posts",
    response={200: PostPage, **error_responses(403, 404)},
    tags=["posts"],
    summary="List the workspace's posts with their status",
)
def post_list(request: HttpRequest, params: Query[PostListParams]) -> dict[str, Any]:
    posts = selectors.post_list(
        by=member(request),
        status=params.status,
        channel_id=params.channel,
        network=params.network,
        query=params.q,
        scheduled_from=params.scheduled_from,
        scheduled_to=params.scheduled_to,
    )
    return paginate(_with_relations(posts), params)


@router.post(
    "/posts",
    response={201: PostOut, **error_responses(403, 404)},
    tags=["posts"],
    summary="Write a post (a draft): base text, per-network variants, media, link and channels",
    description="Channels must be active channels of the workspace; media come from the media library. A "
    "draft is not judged against the networks' rules: validate it, then schedule or publish it.",
)
def post_create(request: HttpRequest, payload: PostCreateIn) -> Status[Any]:
    post = services.post_create(
        by=member(request),
        text=payload.text,
        title=payload.title,
        link=payload.link,
        variants=payload.variants,
        media_ids=payload.media_ids,
        channel_ids=payload.channel_ids,
        rubric_id=payload.rubric_id,
        evergreen=payload.evergreen,
    )
    return Status(201, _fresh(post))


@router.get(
    "/posts/{id}",
    response={200: PostOut, **error_responses(403, 404)},
    tags=["posts"],
    summary="One post",
)
def post_get(request: HttpRequest, id: int = ID) -> Any:
    membership = member(request)
    post = selectors.post_get(by=membership, post_id=id)  # 404 first: foreign ids are not disclosed
    permissions.require(membership, "post.view")
    return _fresh(post)


@router.patch(
    "/posts/{id}",
    response={200: PostOut, **error_responses(403, 404, 409)},
    tags=["posts"],
    summary="Change a post",
    description="Only the fields sent change; `variants`, `media_ids` and `channel_ids` replace the whole "
    "list. Refused (409) while the post is being sent. A scheduled post must stay valid for its channels "
    "(422 otherwise); taking away a scheduled channel needs the right to publish.",
)
def post_update(request: HttpRequest, payload: PostUpdateIn, id: int = ID) -> Any:
    membership = member(request)
    post = selectors.post_get(by=membership, post_id=id)
    post = services.post_update(by=membership, post=post, **payload.model_dump(exclude_unset=True))
    return _fresh(post)


@router.delete(
    "/posts/{id}",
    response={204: None, **error_responses(403, 404, 409)},
    tags=["posts"],
    summary="Delete a post no network has received",
    description="A scheduled post is cancelled first (needs the right to publish); a post sent anywhere "
    "keeps its history and answers 409.",
)
def post_delete(request: HttpRequest, id: int = ID) -> Status[None]:
    membership = member(request)
    post = selectors.post_get(by=membership, post_id=id)
    services.post_delete(by=membership, post=post)
    return Status(204, None)


@router.post(
    "/posts/{id}/schedule",
    response={200: ScheduleOut, **error_responses(403, 404, 409)},
    tags=["posts"],
    summary="Schedule a post at a local time",
    description="`at` is a wall-clock time in `timezone` (default: the workspace's). The instant is stored "
    "in UTC with the zone. A time that does not exist there (clocks jumping forward) answers 422 "
    "`nonexistent_local_time`; a time that happens twice (clocks going back) uses the first occurrence and "
    "says so in `note`. The post is checked against each channel's rules first (422 with the problems).",
)
def post_schedule(request: HttpRequest, payload: ScheduleIn, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    post = selectors.post_get(by=membership, post_id=id)
    scheduled = services.post_schedule(
        by=membership, post=post, at=payload.at, timezone_name=payload.timezone
    )
    return {
        "post": _fresh(scheduled.post),
        "scheduled_at": scheduled.when.instant,
        "timezone": scheduled.when.zone,
        "local": scheduled.when.local.isoformat(),
        "ambiguous": scheduled.when.ambiguous,
        "note": scheduled.when.note,
    }


@router.post(
    "/posts/{id}/publish",
    response={200: PublishOut, **error_responses(403, 404, 409)},
    tags=["posts"],
    summary="Publish a post now on each of its channels not sent yet",
)
def post_publish(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    post = selectors.post_get(by=membership, post_id=id)
    services.post_publish(by=membership, post=post)
    return {"post": _fresh(post)}


@router.get(
    "/posts/{id}/history",
    response={200: HistoryOut, **error_responses(403, 404)},
    tags=["posts"],
    summary="Where the post went: each channel's state, attempts, address on the network and errors",
)
def post_history(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    membership = member(request)
    post = selectors.post_get(by=membership, post_id=id)
    items = []
    for entry in selectors.post_history(by=membership, post=post):
        target = entry.target
        items.append(
            {
                "id": target.pk,
                "channel": {
                    "id": entry.channel.pk,
                    "network": entry.channel.network,
                    "name": entry.channel.name,
                    "state": target.state,
                    "remote_url": target.remote_url,
                },
                "state": target.state,
                "state_label": entry.state_label,
                "due_at": target.due_at,
                "published_at": target.published_at,
                "remote_url": target.remote_url,
                "error_code": target.error_code,
                "error_message": target.error_message,
                "advice": entry.advice,
                "attempts": [
                    {
                        "number": attempt.number,
                        "kind": attempt.kind,
                        "started_at": attempt.started_at,
                        "finished_at": attempt.finished_at,
                        "outcome": attempt.outcome,
                        "outcome_label": attempt.get_outcome_display(),
                        "error_code": attempt.error_code,
                        "message": attempt.message,
                        "remote_url": attempt.remote_url,
                    }
                    for attempt in entry.attempts
                ],
            }
        )
    return {"items": items}
