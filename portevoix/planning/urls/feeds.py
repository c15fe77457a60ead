from __future__ import annotations

from django.urls import URLPattern, path, re_path

from portevoix.planning.views import feeds as views

urlpatterns: list[URLPattern] = [
    path("w/<slug:slug>/plan/feeds/", views.feeds, name="feeds"),
    path("w/<slug:slug>/plan/feeds/<int:feed_id>/rotate/", views.feed_rotate, name="feed_rotate"),
    path("w/<slug:slug>/plan/feeds/<int:feed_id>/revoke/", views.feed_revoke, name="feed_revoke"),
    # The feed itself: public, the secret is the key (token_urlsafe: letters, digits, "-" and "_").
    re_path(r"^feeds/(?P<token>[A-Za-z0-9_-]{1,100})\.ics$", views.feed_ics, name="feed_ics"),
]
