"""The links API: short links (list, create, read, disable, delete), clicks per day, the UTM rules. Thin:
selectors and services check the role and the workspace."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from portevoix.core.api import MAX_ID, error_responses
from portevoix.links import selectors, services, utm
from portevoix.links.models import ShortLink
from portevoix.links.schemas import (
    ClicksOut,
    ClicksParams,
    LinkCreateIn,
    LinkDeleteOut,
    LinkListParams,
    LinkOut,
    LinkPage,
    LinkUpdateIn,
    UtmRulesIn,
    UtmRulesOut,
)
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH, tags=["links"])

ID = Path(..., ge=1, le=MAX_ID, description="The link's id.")


def _out(link: ShortLink, base: str) -> dict[str, Any]:
    return {
        "id": link.pk,
        "code": link.code,
        "short_url": selectors.short_url(link, base=base),
        "target_url": link.target_url,
        "final_url": link.final_url,
        "post_id": link.post_id,
        "channel_id": link.channel_id,
        "campaign": link.campaign,
        "disabled": link.disabled,
        "created_at": link.created_at,
        "clicks": getattr(link, "human_clicks", 0),
        "bot_clicks": getattr(link, "bot_clicks", 0),
    }


@router.get("/links", response={200: LinkPage, **error_responses(403, 404)}, summary="List short links")
def link_list(request: HttpRequest, params: Query[LinkListParams]) -> dict[str, Any]:
    by = member(request)
    links = selectors.link_list(by=by, post_id=params.post_id)
    base = selectors.short_base(workspace=by.workspace)
    items = links[params.offset : params.offset + params.limit]
    return {
        "items": [_out(link, base) for link in items],
        "count": links.count(),
        "limit": params.limit,
        "offset": params.offset,
    }


@router.post(
    "/links",
    response={201: LinkOut, **error_responses(403, 404)},
    summary="Make a short link",
    description="The target must be an absolute http(s) address without user name or password. The UTM "
    "tags of the workspace's rules are added once, now. See docs/links.md.",
)
def link_create(request: HttpRequest, payload: LinkCreateIn) -> Status[Any]:
    by = member(request)
    permissions.require(by, "link.manage")
    link = services.link_create(
        by=by,
        url=payload.url,
        post=selectors.post_for_link(workspace=by.workspace, post_id=payload.post_id),
        channel=selectors.channel_for_link(workspace=by.workspace, channel_id=payload.channel_id),
        campaign=payload.campaign,
    )
    fresh = selectors.link_get(by=by, link_id=link.pk)
    return Status(201, _out(fresh, selectors.short_base(workspace=by.workspace)))


@router.get("/links/{id}", response={200: LinkOut, **error_responses(403, 404)}, summary="One short link")
def link_get(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    by = member(request)
    return _out(selectors.link_get(by=by, link_id=id), selectors.short_base(workspace=by.workspace))


@router.patch(
    "/links/{id}", response={200: LinkOut, **error_responses(403, 404)}, summary="Disable or enable a link"
)
def link_update(request: HttpRequest, payload: LinkUpdateIn, id: int = ID) -> dict[str, Any]:
    by = member(request)
    link = selectors.link_get(by=by, link_id=id)
    services.link_set_disabled(by=by, link=link, disabled=payload.disabled)
    return _out(selectors.link_get(by=by, link_id=id), selectors.short_base(workspace=by.workspace))


@router.delete(
    "/links/{id}",
    response={200: LinkDeleteOut, **error_responses(403, 404)},
    summary="Delete a link (one with clicks is disabled instead)",
)
def link_delete(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    by = member(request)
    link = selectors.link_get(by=by, link_id=id)
    if services.link_delete(by=by, link=link):
        return {"deleted": True, "link": None}
    return {
        "deleted": False,
        "link": _out(selectors.link_get(by=by, link_id=id), selectors.short_base(workspace=by.workspace)),
    }


@router.get(
    "/links/{id}/clicks",
    response={200: ClicksOut, **error_responses(403, 404)},
    summary="Clicks per day",
    description="Per day in the workspace's time zone, from `start` to `end` (at most 366 days): clicks by "
    "people, and bots apart.",
)
def link_clicks(request: HttpRequest, params: Query[ClicksParams], id: int = ID) -> dict[str, Any]:
    by = member(request)
    link = selectors.link_get(by=by, link_id=id)
    start, end, days = selectors.link_clicks_by_day(by=by, link=link, start=params.start, end=params.end)
    return {
        "link_id": link.pk,
        "timezone": by.workspace.timezone,
        "start": start,
        "end": end,
        "clicks": sum(day.clicks for day in days),
        "bots": sum(day.bots for day in days),
        "days": [{"date": day.date, "clicks": day.clicks, "bots": day.bots} for day in days],
    }


def _rules_out(rules: Any) -> dict[str, Any]:
    return {
        "utm_source": rules.utm_source,
        "utm_medium": rules.utm_medium,
        "utm_campaign": rules.utm_campaign,
        "utm_content": rules.utm_content,
        "override": rules.override,
        "shorten_in_posts": rules.shorten_in_posts,
        "custom_domain": rules.custom_domain,
        "placeholders": [f"{{{name}}}" for name in utm.PLACEHOLDERS],
    }


@router.get("/utm-rules", response={200: UtmRulesOut, **error_responses(403, 404)}, summary="The UTM rules")
def utm_rules_get(request: HttpRequest) -> dict[str, Any]:
    by = member(request)
    permissions.require(by, "post.view")
    return _rules_out(selectors.link_settings(workspace=by.workspace))


@router.put(
    "/utm-rules",
    response={200: UtmRulesOut, **error_responses(403, 404)},
    summary="Replace the UTM rules",
    description="Templates take {network}, {channel}, {rubric}, {campaign}, {post_id}, {workspace}; an empty "
    "result leaves the tag out. Links already made keep their tags.",
)
def utm_rules_put(request: HttpRequest, payload: UtmRulesIn) -> dict[str, Any]:
    rules = services.link_settings_update(
        by=member(request),
        utm_source=payload.utm_source,
        utm_medium=payload.utm_medium,
        utm_campaign=payload.utm_campaign,
        utm_content=payload.utm_content,
        override=payload.override,
        shorten_in_posts=payload.shorten_in_posts,
        custom_domain=payload.custom_domain,
    )
    return _rules_out(rules)
