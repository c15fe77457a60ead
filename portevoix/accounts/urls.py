from django.contrib.auth import views as auth_views
from django.urls import path

from portevoix.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", views.set_language, name="set_language"),
    path("profile/", views.LoginView.as_view(), name="profile"),
    path("security/", views.LoginView.as_view(), name="two_factor"),
]
