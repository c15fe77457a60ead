from django.urls import path

from portevoix.media import views

app_name = "media"

urlpatterns = [
    path("w/<slug:slug>/media/", views.media_list, name="list"),
    path("w/<slug:slug>/media/upload/", views.media_upload, name="upload"),
    path("w/<slug:slug>/media/<int:asset_id>/", views.media_detail, name="detail"),
    path("w/<slug:slug>/media/<int:asset_id>/delete/", views.media_delete, name="delete"),
    # The files themselves, for members only (never public static files).
    path("w/<slug:slug>/media/<int:asset_id>/file/", views.media_file, name="file"),
    path("w/<slug:slug>/media/<int:asset_id>/thumbnail/", views.media_thumbnail, name="thumbnail"),
    path("w/<slug:slug>/media/<int:asset_id>/poster/", views.media_poster, name="poster"),
]
