from django.urls import path

from portevoix.teamtasks import views

app_name = "teamtasks"

urlpatterns = [
    path("w/<slug:slug>/tasks/", views.my_tasks, name="my_tasks"),
    path("w/<slug:slug>/posts/<int:post_id>/tasks/add/", views.task_create, name="create"),
    path("w/<slug:slug>/tasks/<int:task_id>/edit/", views.task_edit, name="edit"),
    path("w/<slug:slug>/tasks/<int:task_id>/delete/", views.task_delete, name="delete"),
    path("w/<slug:slug>/tasks/<int:task_id>/done/", views.task_done, name="done"),
    path("w/<slug:slug>/tasks/<int:task_id>/reopen/", views.task_reopen, name="reopen"),
    path("w/<slug:slug>/notices/", views.notice_list, name="notices"),
    path("w/<slug:slug>/notices/read/", views.notices_read, name="notices_read"),
]
