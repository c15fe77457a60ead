from django.urls import path

from portevoix.analytics import views

app_name = "analytics"

# The script (/t/pv.js) and the beacon (/t/e) are not Django URLs: analytics/fastpath.py.
urlpatterns = [
    path("w/<slug:slug>/tracker/", views.tracker_page, name="page"),
    path("w/<slug:slug>/tracker/sites/new/", views.site_create, name="site_create"),
    path("w/<slug:slug>/tracker/sites/<int:site_id>/", views.site_update, name="site_update"),
    path("w/<slug:slug>/tracker/sites/<int:site_id>/rotate/", views.site_rotate, name="site_rotate"),
    path("w/<slug:slug>/tracker/sites/<int:site_id>/delete/", views.site_delete, name="site_delete"),
]
