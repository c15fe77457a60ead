"""The REST API under /api/v1: one NinjaAPI that mounts every app's router.

Docs at /api/docs, schema at /api/openapi.json (snapshot in openapi.json at the repository root,
``make openapi`` regenerates it). Authentication, errors and pagination: docs/api.md.
"""

from __future__ import annotations

from django.conf import settings
from ninja.throttling import AuthRateThrottle

from portevoix.analytics.api import router as analytics_router
from portevoix.approvals.api import router as approvals_router
from portevoix.channels.api import router as channels_router
from portevoix.content.api import router as content_router
from portevoix.core.api import PortevoixAPI
from portevoix.dashboards.api import router as dashboards_router
from portevoix.integrations.api import router as integrations_router
from portevoix.links.api import router as links_router
from portevoix.media.api import router as media_router
from portevoix.metrics.api import router as metrics_router
from portevoix.planning.api import router as planning_router
from portevoix.publishing.api import router as publishing_router
from portevoix.reports.api import router as reports_router
from portevoix.teamtasks.api import router as teamtasks_router
from portevoix.workspaces.api import router as workspaces_router

# Requests per API token or browser session, counted in the default cache (per process unless the
# cache is shared). "1200/m" means 1200 a minute; other units: s, h, d.
API_RATE: str = getattr(settings, "PORTEVOIX_API_RATE", "1200/m")

api = PortevoixAPI(
    title="Portevoix API",
    version="1",
    description="Self-hosted social media marketing platform. Authenticate with a personal API token "
    "(`Authorization: Bearer pvx_...`) or the browser session. Errors are "
    '`{"error": {"code", "message", "fields"}}`; lists take `limit` and `offset`. See docs/api.md.',
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    throttle=[AuthRateThrottle(API_RATE)],
)

api.add_router("/v1/", workspaces_router)
api.add_router("/v1/", channels_router)
# Before content: its /v1/posts/export and /v1/posts/{id}/reschedule must win over /v1/posts/{id}.
api.add_router("/v1/", planning_router)  # the content plan: calendar, rubrics, queues, series, imports, feeds
api.add_router("/v1/", content_router)  # /v1/content/validate and /v1/posts
api.add_router("/v1/", media_router)  # /v1/media
api.add_router("/v1/", publishing_router)  # /v1/attention, /v1/targets/{id}/..., /v1/notifications
api.add_router("/v1/", approvals_router)  # approval policy, submissions, decisions, comments
api.add_router("/v1/", teamtasks_router)  # tasks on posts, notices
api.add_router("/v1/", links_router)  # short links, clicks, UTM rules
api.add_router("/v1/", integrations_router)  # GA4 and Yandex Metrica integrations, imported traffic
api.add_router("/v1/", metrics_router)  # post metrics, followers, manual entry, CSV import
api.add_router("/v1/", analytics_router)  # site tracker: sites, visits, server-side conversions
api.add_router("/v1/", reports_router)  # PDF and CSV reports, schedules, logo
api.add_router("/v1/", dashboards_router)  # dashboards: every panel, summary
