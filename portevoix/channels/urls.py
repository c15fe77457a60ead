from django.urls import path

from portevoix.channels import views

app_name = "channels"

urlpatterns = [
    path("w/<slug:slug>/channels/", views.channel_list, name="list"),
    path("w/<slug:slug>/channels/connect/", views.connect_index, name="connect_index"),
    path("w/<slug:slug>/channels/connect/<slug:network>/", views.connect, name="connect"),
    path("w/<slug:slug>/channels/connect/<slug:network>/sign-in/", views.oauth_start, name="oauth_start"),
    path("w/<slug:slug>/channels/connect/<slug:network>/choose/", views.oauth_choose, name="oauth_choose"),
    path("w/<slug:slug>/channels/<int:channel_id>/", views.channel_detail, name="detail"),
    path("w/<slug:slug>/channels/<int:channel_id>/test/", views.channel_test, name="test"),
    path("w/<slug:slug>/channels/<int:channel_id>/reconnect/", views.channel_reconnect, name="reconnect"),
    path("w/<slug:slug>/channels/<int:channel_id>/rename/", views.channel_rename, name="rename"),
    path("w/<slug:slug>/channels/<int:channel_id>/disconnect/", views.channel_disconnect, name="disconnect"),
    # One callback for every network and workspace: the address registered with each network's app.
    path("channels/oauth/callback/", views.oauth_callback, name="oauth_callback"),
]
