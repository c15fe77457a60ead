from django.urls import path

from portevoix.links import views

app_name = "links"

urlpatterns = [
    path("w/<slug:slug>/links/", views.link_list, name="list"),
    path("w/<slug:slug>/links/new/", views.link_create, name="create"),
    path("w/<slug:slug>/links/rules/", views.link_rules, name="rules"),
    path("w/<slug:slug>/links/<int:link_id>/toggle/", views.link_toggle, name="toggle"),
]
