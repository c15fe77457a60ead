from __future__ import annotations

from django.urls import URLPattern, path

from portevoix.planning.views import rubrics as views

urlpatterns: list[URLPattern] = [
    path("w/<slug:slug>/plan/rubrics/", views.rubric_list, name="rubrics"),
    path("w/<slug:slug>/plan/rubrics/new/", views.rubric_create, name="rubric_create"),
    path("w/<slug:slug>/plan/rubrics/<int:rubric_id>/", views.rubric_edit, name="rubric_edit"),
    path("w/<slug:slug>/plan/rubrics/<int:rubric_id>/move/", views.rubric_move, name="rubric_move"),
    path("w/<slug:slug>/plan/rubrics/<int:rubric_id>/archive/", views.rubric_archive, name="rubric_archive"),
    path("w/<slug:slug>/plan/rubrics/<int:rubric_id>/delete/", views.rubric_delete, name="rubric_delete"),
]
