from __future__ import annotations

from django.urls import path

from portevoix.approvals import views

app_name = "approvals"

urlpatterns = [
    path("w/<slug:slug>/approvals/", views.approval_pending, name="pending"),
    path("w/<slug:slug>/approvals/settings/", views.approval_settings, name="settings"),
    path("w/<slug:slug>/approvals/steps/add/", views.approval_step_add, name="step_add"),
    path(
        "w/<slug:slug>/approvals/steps/<int:step_id>/delete/", views.approval_step_delete, name="step_delete"
    ),
    path("w/<slug:slug>/approvals/steps/<int:step_id>/move/", views.approval_step_move, name="step_move"),
    path("w/<slug:slug>/approvals/posts/<int:post_id>/submit/", views.approval_submit, name="submit"),
    path("w/<slug:slug>/approvals/posts/<int:post_id>/decide/", views.approval_decide, name="decide"),
    path("w/<slug:slug>/approvals/posts/<int:post_id>/comment/", views.approval_comment, name="comment"),
    path("review/<str:token>/", views.review, name="review"),
    path("review/<str:token>/media/<int:asset_id>/", views.review_media, name="review_media"),
]
