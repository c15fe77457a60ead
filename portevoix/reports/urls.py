from django.urls import path

from portevoix.reports import views

app_name = "reports"

urlpatterns = [
    path("w/<slug:slug>/reports/", views.reports_page, name="page"),
    path("w/<slug:slug>/reports/pdf/", views.reports_pdf, name="pdf"),
    path("w/<slug:slug>/reports/csv/", views.reports_csv, name="csv"),
    path("w/<slug:slug>/reports/logo/upload/", views.reports_logo_upload, name="logo_upload"),
    path("w/<slug:slug>/reports/logo/clear/", views.reports_logo_clear, name="logo_clear"),
    path("w/<slug:slug>/reports/schedules/new/", views.schedule_create, name="schedule_create"),
    path("w/<slug:slug>/reports/schedules/<int:schedule_id>/", views.schedule_edit, name="schedule_edit"),
    path(
        "w/<slug:slug>/reports/schedules/<int:schedule_id>/delete/",
        views.schedule_delete,
        name="schedule_delete",
    ),
]
