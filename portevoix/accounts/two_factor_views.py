"""The security page: two-factor authentication (set-up, recovery codes, turning off) and the password.

Workspaces that require two-factor authentication send people here with ``?workspace=<slug>``; the page
names that workspace, and once the session is verified the person goes back to it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from portevoix.accounts import login_flow, two_factor
from portevoix.accounts.forms import CodeForm, CurrentPasswordForm, TotpConfirmForm
from portevoix.accounts.models import User
from portevoix.core.errors import Conflict, NotFound, PortevoixError
from portevoix.core.forms import add_service_errors
from portevoix.workspaces import selectors
from portevoix.workspaces.models import Workspace


@login_required
@never_cache
def security(request: HttpRequest) -> HttpResponse:
    return _render_page(request)


@require_POST
@login_required
@never_cache
@sensitive_post_parameters("code")
def setup_confirm(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = TotpConfirmForm(request.POST)
    if form.is_valid():
        try:
            device, codes = two_factor.totp_setup_confirm(user=user, code=form.cleaned_data["code"])
        except Conflict as error:
            messages.error(request, error.message)
            return redirect("accounts:two_factor")
        except PortevoixError as error:
            add_service_errors(form, error)
        else:
            otp_login(request, device)  # the person just proved they hold the device
            return _render_codes(request, codes, just_enabled=True)
    return _render_page(request, confirm_form=form)


@require_POST
@login_required
@never_cache
@sensitive_post_parameters("code")
def verify_session(request: HttpRequest) -> HttpResponse:
    """Verify a session opened without the second factor (e.g. before two-factor authentication was on)."""
    user: User = request.user  # type: ignore[assignment]
    form = CodeForm(request.POST)
    if form.is_valid():
        locked = login_flow.lockout_response(request, user=user)
        if locked is not None:
            return locked
        try:
            device = two_factor.two_factor_verify(user=user, code=form.cleaned_data["code"])
        except PortevoixError as error:
            add_service_errors(form, error)
            login_flow.second_factor_failed(request, user=user)
        else:
            otp_login(request, device)
            messages.success(request, _("This session is verified."))
            workspace = _workspace_from(request)
            if workspace is not None:
                return redirect("workspaces:dashboard", workspace.slug)
            return redirect("accounts:two_factor")
    return _render_page(request, verify_form=form)


@require_POST
@login_required
@never_cache
def recovery_codes(request: HttpRequest) -> HttpResponse:
    try:
        codes = two_factor.recovery_codes_regenerate(user=request.user)  # type: ignore[arg-type]
    except PortevoixError as error:
        messages.error(request, error.message)
        return redirect("accounts:two_factor")
    return _render_codes(request, codes, just_enabled=False)


@require_POST
@login_required
@never_cache
@sensitive_post_parameters("password")
def disable(request: HttpRequest) -> HttpResponse:
    form = CurrentPasswordForm(request.POST)
    if form.is_valid():
        try:
            two_factor.two_factor_disable(user=request.user, password=form.cleaned_data["password"])  # type: ignore[arg-type]
        except Conflict as error:
            messages.error(request, error.message)
            return redirect("accounts:two_factor")
        except PortevoixError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Two-factor authentication is off."))
            return redirect("accounts:two_factor")
    return _render_page(request, disable_form=form)


def _render_page(request: HttpRequest, **forms: Form) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    enabled = two_factor.has_two_factor(user)
    context: dict[str, Any] = {
        "enabled": enabled,
        "verified": user.is_verified(),  # type: ignore[attr-defined]
        "workspace": _workspace_from(request),
        "requiring": two_factor.workspaces_requiring_2fa(user),
    }
    if enabled:
        context["codes_left"] = two_factor.recovery_codes_left(user)
        context["disable_form"] = forms.get("disable_form") or CurrentPasswordForm()
        if not context["verified"]:
            context["verify_form"] = forms.get("verify_form") or CodeForm()
    else:
        provisioning = two_factor.provisioning_for(two_factor.totp_setup_start(user=user))
        context["provisioning"] = provisioning
        # Built by the qrcode library from our own otpauth URI: path data only, nothing user-typed unescaped.
        context["qr_svg"] = mark_safe(provisioning.qr_svg)  # noqa: S308
        context["confirm_form"] = forms.get("confirm_form") or TotpConfirmForm()
    return render(request, "accounts/security.html", context)


def _render_codes(request: HttpRequest, codes: list[str], *, just_enabled: bool) -> HttpResponse:
    """Recovery codes are shown in this one response and never again."""
    context = {"codes": codes, "just_enabled": just_enabled, "workspace": _workspace_from(request)}
    return render(request, "accounts/recovery_codes.html", context)


def _workspace_from(request: HttpRequest) -> Workspace | None:
    """The workspace named by ``?workspace=`` (or the hidden form field), if the person belongs to it."""
    slug = (request.POST.get("workspace") or request.GET.get("workspace") or "").strip()
    if not slug or len(slug) > 64:
        return None
    try:
        return selectors.membership_for(request.user, slug).workspace  # type: ignore[arg-type]
    except NotFound:
        return None
