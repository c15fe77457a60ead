"""The content plan's API, one router per area, mounted under /api/v1/."""

from __future__ import annotations

from ninja import Router

from portevoix.planning.api import calendar, feeds, imports, queues, rubrics, series

router = Router()
router.add_router("", calendar.router)
router.add_router("", rubrics.router)
router.add_router("", queues.router)
router.add_router("", series.router)
router.add_router("", feeds.router)
router.add_router("", imports.router)
