from django.urls import path

from portevoix.workspaces import invitation_views, setup_views, views

app_name = "workspaces"

urlpatterns = [
    path("setup/", setup_views.setup, name="setup"),
    path("workspaces/new/", views.workspace_create, name="create"),
    path("invite/<str:token>/", invitation_views.invitation_accept, name="invitation_accept"),
    path("w/<slug:slug>/", views.dashboard, name="dashboard"),
    path("w/<slug:slug>/team/", views.members, name="members"),
    path("w/<slug:slug>/team/<int:member_id>/role/", views.member_update, name="member_update"),
    path("w/<slug:slug>/team/<int:member_id>/remove/", views.member_remove, name="member_remove"),
    path(
        "w/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("w/<slug:slug>/settings/", views.workspace_settings, name="settings"),
    path("w/<slug:slug>/audit/", views.audit, name="audit"),
    path("w/<slug:slug>/tokens/", views.tokens, name="tokens"),
    path("w/<slug:slug>/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("w/<slug:slug>/roles/", views.roles, name="roles"),
]
