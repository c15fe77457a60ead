"""The tracker API: tracked sites (list, create, read, update, delete, rotate the server-side key), visits
aggregated by network, campaign, post or day, and server-side conversions.

``POST /tracker/conversions`` is not called by a member: it is authenticated by a site's server-side key
(``Authorization: Bearer pvs_…``); a personal API token is refused there (403). Thin: selectors and services
check the role and the workspace."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache as django_cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router, Status
from ninja.errors import AuthenticationError, Throttled
from ninja.security import HttpBearer
from ninja.throttling import AuthRateThrottle

from portevoix.analytics import selectors, services
from portevoix.analytics.models import Conversion, Site
from portevoix.analytics.schemas import (
    ConversionIn,
    ConversionOut,
    SiteCreateIn,
    SiteDeleteOut,
    SiteOut,
    SitePage,
    SiteSecretOut,
    SiteUpdateIn,
    VisitsOut,
    VisitsParams,
)
from portevoix.core.api import MAX_ID, PageParams, error_responses, paginate
from portevoix.core.errors import PermissionDenied
from portevoix.workspaces import permissions
from portevoix.workspaces.api_auth import API_AUTH, member

router = Router(auth=API_AUTH, tags=["tracker"])

ID = Path(..., ge=1, le=MAX_ID, description="The site's id.")
CONVERSION_RATE = "600/m"  # per site key
FAILED_KEYS_PER_MINUTE = 30  # per client address, then 429


def _out(site: Site) -> dict[str, Any]:
    return {
        "id": site.pk,
        "name": site.name,
        "public_key": site.public_key,
        "domains": site.domain_list,
        "snippet": selectors.snippet(site),
        "created_at": site.created_at,
        "last_event_at": site.last_event_at,
    }


@router.get("/tracker/sites", response={200: SitePage, **error_responses(403, 404)}, summary="Tracked sites")
def tracker_site_list(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    page = paginate(selectors.site_list(by=member(request)), params)
    return {**page, "items": [_out(site) for site in page["items"]]}


@router.post(
    "/tracker/sites",
    response={201: SiteSecretOut, **error_responses(403, 404)},
    summary="Add a tracked site",
    description="Answers the snippet and the server-side conversions key, shown only in this answer.",
)
def tracker_site_create(request: HttpRequest, payload: SiteCreateIn) -> Status[Any]:
    issued = services.site_create(by=member(request), name=payload.name, domains=payload.domains)
    return Status(201, {**_out(issued.site), "secret": issued.secret})


@router.get("/tracker/sites/{id}", response={200: SiteOut, **error_responses(403, 404)}, summary="One site")
def tracker_site_get(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    return _out(selectors.site_get(by=member(request), site_id=id))


@router.patch(
    "/tracker/sites/{id}", response={200: SiteOut, **error_responses(403, 404)}, summary="Rename, set domains"
)
def tracker_site_update(request: HttpRequest, payload: SiteUpdateIn, id: int = ID) -> dict[str, Any]:
    by = member(request)
    site = selectors.site_get(by=by, site_id=id)
    return _out(services.site_update(by=by, site=site, name=payload.name, domains=payload.domains))


@router.delete(
    "/tracker/sites/{id}",
    response={200: SiteDeleteOut, **error_responses(403, 404)},
    summary="Delete a site with its visits and conversions",
)
def tracker_site_delete(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    by = member(request)
    services.site_delete(by=by, site=selectors.site_get(by=by, site_id=id))
    return {"deleted": True}


@router.post(
    "/tracker/sites/{id}/rotate-secret",
    response={200: SiteSecretOut, **error_responses(403, 404)},
    summary="Replace the server-side conversions key",
    description="The old key stops working at once; the new one is shown only in this answer.",
)
def tracker_site_rotate_secret(request: HttpRequest, id: int = ID) -> dict[str, Any]:
    by = member(request)
    issued = services.site_rotate_secret(by=by, site=selectors.site_get(by=by, site_id=id))
    return {**_out(issued.site), "secret": issued.secret}


@router.get(
    "/tracker/visits",
    response={200: VisitsOut, **error_responses(403, 404)},
    summary="Visits, bounces, engaged time, conversions and revenue by network, campaign, post or day",
    description="Days in the workspace's time zone, `start` to `end` included (at most 366). Formulas: "
    "docs/tracker.md. Rates are null when there is no visit.",
)
def tracker_visits(request: HttpRequest, params: Query[VisitsParams]) -> dict[str, Any]:
    by = member(request)
    permissions.require(by, "analytics.view")
    workspace = by.workspace
    start, end = selectors.period(workspace, params.start, params.end)
    if params.site_id is not None:
        selectors.site_get(by=by, site_id=params.site_id)
    rows = selectors.visits_by(
        workspace, start, end, group=params.group, social_only=params.social_only, site_id=params.site_id
    )
    return {
        "timezone": workspace.timezone,
        "start": start,
        "end": end,
        "group": params.group,
        "social_only": params.social_only,
        "rows": [row.__dict__ for row in rows],
    }


# --- Server-side conversions ------------------------------------------------------------------------


class SiteKey:
    """``request.auth`` of the conversions endpoint."""

    def __init__(self, site: Site) -> None:
        self.site = site

    def __str__(self) -> str:
        return f"tracker-site:{self.site.pk}"


def _address(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


class SiteSecretAuth(HttpBearer):
    """A site's server-side key (``pvs_…``). Personal API tokens are refused with 403; wrong keys 401, and
    more than 30 wrong keys a minute from one address 429."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> SiteKey:
        token = token.strip()
        key = f"pv-tracker-badkey:{_address(request)}"
        if (django_cache.get(key) or 0) >= FAILED_KEYS_PER_MINUTE:
            raise Throttled(60)
        if token.startswith("pvx_"):
            raise PermissionDenied(
                _("Send the site's server-side key (pvs_…) here, not a personal API token.")
            )
        site = selectors.site_for_secret(token)
        if site is None:
            try:
                django_cache.incr(key)
            except ValueError:
                django_cache.set(key, 1, 60)
            raise AuthenticationError(message=_("This site key is not valid: it may be wrong or rotated."))
        return SiteKey(site)

    def __call__(self, request: HttpRequest) -> Any:
        result = super().__call__(request)
        if result is None:  # no Authorization header at all
            raise AuthenticationError(
                message=_("Send the site's server-side key: Authorization: Bearer pvs_…")
            )
        return result


def _conversion_out(conversion: Conversion, created: bool) -> dict[str, Any]:
    return {
        "id": conversion.pk,
        "created": created,
        "goal": conversion.goal,
        "at": conversion.at,
        "revenue": conversion.revenue,
        "currency": conversion.currency,
        "network": conversion.network,
        "campaign": conversion.campaign,
        "post_id": conversion.post_id,
    }


@router.post(
    "/tracker/conversions",
    auth=SiteSecretAuth(),
    throttle=[AuthRateThrottle(CONVERSION_RATE)],
    response={200: ConversionOut, 201: ConversionOut, **error_responses(403)},
    summary="Record a conversion from the site's server",
    description="Authenticated by the site's server-side key (`Authorization: Bearer pvs_…`), not a personal "
    "token. Give the visitor id, the order id, or both; one conversion per (site, order id): a repeat "
    "answers 200 with `created: false`. Attributed to the visitor's last social visit within 30 days.",
)
def tracker_conversion_create(request: HttpRequest, payload: ConversionIn) -> Status[Any]:
    auth = getattr(request, "auth", None)
    if not isinstance(auth, SiteKey):  # pragma: no cover - the auth above
        raise AuthenticationError()
    recorded = services.conversion_record(
        site=auth.site,
        goal=payload.goal,
        visitor=payload.visitor,
        order_id=payload.order_id,
        revenue=payload.revenue,
        currency=payload.currency,
        at=payload.at,
    )
    return Status(201 if recorded.created else 200, _conversion_out(recorded.conversion, recorded.created))
