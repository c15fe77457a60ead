from django.urls import path

from portevoix.metrics import views

app_name = "metrics"

urlpatterns = [
    path("w/<slug:slug>/metrics/", views.metrics_page, name="page"),
    path("w/<slug:slug>/metrics/enter/", views.metrics_enter, name="enter"),
    path("w/<slug:slug>/metrics/followers/", views.metrics_followers, name="followers"),
    path("w/<slug:slug>/metrics/import/", views.metrics_import, name="import"),
    path("w/<slug:slug>/metrics/import/confirm/", views.metrics_import_confirm, name="import_confirm"),
]
