from __future__ import annotations

from django.urls import URLPattern, path

from portevoix.planning.views import series as views

urlpatterns: list[URLPattern] = [
    path("w/<slug:slug>/plan/series/", views.series_list, name="series_list"),
    path("w/<slug:slug>/plan/series/new/", views.series_new, name="series_new"),
    path("w/<slug:slug>/plan/series/<int:series_id>/", views.series_detail, name="series_detail"),
    path("w/<slug:slug>/plan/series/<int:series_id>/edit/", views.series_edit, name="series_edit"),
    path("w/<slug:slug>/plan/series/<int:series_id>/stop/", views.series_stop, name="series_stop"),
]
