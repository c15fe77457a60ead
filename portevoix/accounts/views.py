"""Sign-in (password, then the second factor when there is one), sign-out, language, profile, passwords.

The security page (two-factor set-up and recovery codes) is in ``two_factor_views``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from portevoix.accounts import login_flow, services, two_factor
from portevoix.accounts.forms import (
    CodeForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    ProfileForm,
    SetPasswordForm,
)
from portevoix.accounts.models import User
from portevoix.core.errors import PortevoixError
from portevoix.core.forms import add_service_errors

LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login(request: HttpRequest) -> HttpResponse:
    """Step one: e-mail address and password. People with two-factor authentication go on to step two."""
    raw_next = request.POST.get("next") or request.GET.get("next") or ""
    if request.user.is_authenticated:
        return redirect(login_flow.safe_next(request, raw_next))
    if not User.objects.exists():
        return redirect("workspaces:setup")
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        target = login_flow.safe_next(request, raw_next)
        if two_factor.has_two_factor(user):
            login_flow.pending_start(request, user=user, next_url=target)
            return redirect("accounts:login_verify")
        login_flow.pending_clear(request)
        auth_login(request, user)
        return redirect(target)
    shown_next = raw_next if login_flow.safe_next(request, raw_next) == raw_next else ""
    return render(request, "accounts/login.html", {"form": form, "next": shown_next})


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def login_verify(request: HttpRequest) -> HttpResponse:
    """Step two: a code from the authenticator app, or a recovery code, within five minutes of step one."""
    pending = login_flow.pending_get(request)
    if pending is None:
        messages.error(request, _("Your sign-in has expired. Enter your e-mail address and password again."))
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        locked = login_flow.lockout_response(request, user=pending.user)
        if locked is not None:
            return locked
        try:
            device = two_factor.two_factor_verify(user=pending.user, code=form.cleaned_data["code"])
        except PortevoixError as error:
            add_service_errors(form, error)
            login_flow.second_factor_failed(request, user=pending.user)
        else:
            login_flow.pending_clear(request)
            auth_login(request, pending.user, backend=pending.backend)
            otp_login(request, device)
            if two_factor.is_recovery_device(device):
                left = two_factor.recovery_codes_left(pending.user)
                note = _("You signed in with a recovery code; %(left)d left. Make new ones under Security.")
                messages.warning(request, note % {"left": left})
            return redirect(login_flow.safe_next(request, pending.next_url))
    return render(request, "accounts/login_verify.html", {"form": form})


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; saved on the account of a signed-in person, in a cookie otherwise."""
    language = request.POST.get("language", "")
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if language in services.LANGUAGE_CODES:
        if request.user.is_authenticated:
            services.user_set_language(user=request.user, language=language)  # type: ignore[arg-type]
        _remember_language(response, language)
    return response


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    initial = {"full_name": user.full_name, "language": user.language, "timezone": user.timezone}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update_profile(
                user=user,
                full_name=data["full_name"],
                language=data["language"],
                timezone_name=data["timezone"],
            )
        except PortevoixError as error:
            add_service_errors(form, error)
        else:
            if user.language:
                translation.activate(user.language)  # the confirmation already speaks the new language
            messages.success(request, _("Your profile is saved."))
            response = redirect("accounts:profile")
            if user.language:
                _remember_language(response, user.language)
            return response
    context = {"form": form, "two_factor_on": two_factor.has_two_factor(user)}
    return render(request, "accounts/profile.html", context)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Keeps this session signed in (``update_session_auth_hash``); other sessions are signed out."""

    form_class = PasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:two_factor")

    def form_valid(self, form: auth_forms.PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(self.request, _("Your password is changed."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Always answers the same way, whether or not an account has this address (no enumeration)."""

    form_class = PasswordResetForm
    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form: auth_forms.PasswordResetForm) -> HttpResponse:
        scheme = "https" if self.request.is_secure() else "http"
        base_url = settings.PORTEVOIX_BASE_URL or f"{scheme}://{self.request.get_host()}"
        self.extra_email_context = {"base_url": base_url}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


def _remember_language(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
