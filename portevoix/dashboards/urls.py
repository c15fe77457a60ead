from django.urls import path

from portevoix.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("w/<slug:slug>/dashboards/", views.dashboards_page, name="page"),
]
