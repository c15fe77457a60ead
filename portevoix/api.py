"""The REST API under /api/v1: one NinjaAPI that mounts every app's router."""

from __future__ import annotations

from ninja import NinjaAPI

api = NinjaAPI(
    title="Portevoix API",
    version="1",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
