from django.contrib.auth import views as auth_views
from django.urls import path

from portevoix.accounts import two_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("profile/", views.profile, name="profile"),
    path("security/", two_factor_views.security, name="two_factor"),
    path("security/setup/", two_factor_views.setup_confirm, name="two_factor_setup"),
    path("security/verify/", two_factor_views.verify_session, name="two_factor_verify"),
    path("security/recovery-codes/", two_factor_views.recovery_codes, name="recovery_codes"),
    path("security/disable/", two_factor_views.disable, name="two_factor_disable"),
    path("password/change/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password/reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
]
