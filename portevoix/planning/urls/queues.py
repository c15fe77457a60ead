from __future__ import annotations

from django.urls import URLPattern, path

from portevoix.planning.views import queues as views

Q = "w/<slug:slug>/plan/queues/<int:queue_channel_id>/"

urlpatterns: list[URLPattern] = [
    path("w/<slug:slug>/plan/queues/", views.queue_list, name="queues"),
    path("w/<slug:slug>/plan/queues/evergreen/", views.evergreen_update, name="evergreen"),
    path(Q, views.queue_detail, name="queue"),
    path(Q + "slots/add/", views.queue_slot_add, name="queue_slot_add"),
    path(Q + "slots/remove/", views.queue_slot_remove, name="queue_slot_remove"),
    path(Q + "entries/add/", views.queue_entry_add, name="queue_entry_add"),
    path(Q + "entries/move/", views.queue_entry_move, name="queue_entry_move"),
    path(Q + "entries/remove/", views.queue_entry_remove, name="queue_entry_remove"),
    path(Q + "pause/", views.queue_pause, name="queue_pause"),
    path(Q + "resume/", views.queue_resume, name="queue_resume"),
]
