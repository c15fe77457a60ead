from django.urls import path

from portevoix.content import views

app_name = "content"

urlpatterns = [
    path("w/<slug:slug>/posts/", views.post_list, name="list"),
    path("w/<slug:slug>/posts/new/", views.post_new, name="new"),
    path("w/<slug:slug>/posts/validate/", views.post_validate, name="validate"),
    path("w/<slug:slug>/posts/upload/", views.post_media_upload, name="upload"),
    path("w/<slug:slug>/posts/<int:post_id>/", views.post_detail, name="detail"),
    path("w/<slug:slug>/posts/<int:post_id>/edit/", views.post_edit, name="edit"),
    path("w/<slug:slug>/posts/<int:post_id>/schedule/", views.post_schedule, name="schedule"),
    path("w/<slug:slug>/posts/<int:post_id>/publish/", views.post_publish, name="publish"),
    path("w/<slug:slug>/posts/<int:post_id>/unschedule/", views.post_unschedule, name="unschedule"),
    path("w/<slug:slug>/posts/<int:post_id>/delete/", views.post_delete, name="delete"),
]
