from __future__ import annotations

from django.urls import URLPattern, path

from portevoix.planning.views import imports as views

urlpatterns: list[URLPattern] = [
    path("w/<slug:slug>/plan/import/", views.imports, name="imports"),
    path("w/<slug:slug>/plan/import/template.csv", views.import_template, name="import_template"),
    path("w/<slug:slug>/plan/import/<int:import_id>/", views.import_detail, name="import_detail"),
    path(
        "w/<slug:slug>/plan/import/<int:import_id>/progress/", views.import_progress, name="import_progress"
    ),
    path("w/<slug:slug>/plan/import/<int:import_id>/confirm/", views.import_confirm, name="import_confirm"),
    path("w/<slug:slug>/plan/import/<int:import_id>/discard/", views.import_discard, name="import_discard"),
    path("w/<slug:slug>/plan/export.csv", views.export, name="export"),
]
