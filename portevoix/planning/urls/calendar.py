from __future__ import annotations

from django.urls import URLPattern, path

from portevoix.planning.views import calendar as views

urlpatterns: list[URLPattern] = [
    path("w/<slug:slug>/plan/", views.calendar, name="calendar"),
    path(
        "w/<slug:slug>/plan/posts/<int:post_id>/reschedule/",
        views.calendar_reschedule,
        name="calendar_reschedule",
    ),
]
