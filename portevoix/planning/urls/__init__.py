"""The content plan's pages, one module per area (each with its own ``urlpatterns``)."""

from __future__ import annotations

from portevoix.planning.urls import calendar, feeds, imports, queues, rubrics, series

app_name = "planning"

urlpatterns = [
    *calendar.urlpatterns,
    *rubrics.urlpatterns,
    *queues.urlpatterns,
    *series.urlpatterns,
    *feeds.urlpatterns,
    *imports.urlpatterns,
]
