from django.urls import path

from portevoix.integrations import views

app_name = "integrations"

urlpatterns = [
    path("w/<slug:slug>/integrations/", views.integration_list, name="list"),
    path("w/<slug:slug>/integrations/connect/ga4/", views.connect_ga4, name="connect_ga4"),
    path("w/<slug:slug>/integrations/connect/metrica/", views.connect_metrica, name="connect_metrica"),
    path("w/<slug:slug>/integrations/<int:integration_id>/test/", views.integration_test, name="test"),
    path("w/<slug:slug>/integrations/<int:integration_id>/import/", views.integration_import, name="import"),
    path(
        "w/<slug:slug>/integrations/<int:integration_id>/disconnect/",
        views.integration_disconnect,
        name="disconnect",
    ),
]
