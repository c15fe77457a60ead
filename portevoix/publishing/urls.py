from django.urls import path

from portevoix.publishing import views

app_name = "publishing"

urlpatterns = [
    path("w/<slug:slug>/attention/", views.attention, name="attention"),
    path("w/<slug:slug>/attention/<int:target_id>/retry/", views.target_retry, name="retry"),
    path(
        "w/<slug:slug>/attention/<int:target_id>/published/",
        views.target_mark_published,
        name="mark_published",
    ),
    path(
        "w/<slug:slug>/attention/<int:target_id>/not-published/",
        views.target_mark_not_published,
        name="mark_not_published",
    ),
    path("w/<slug:slug>/attention/<int:target_id>/cancel/", views.target_cancel, name="cancel"),
    path("w/<slug:slug>/notifications/", views.notification_list, name="notifications"),
    path("w/<slug:slug>/notifications/read/", views.notifications_read, name="notifications_read"),
]
