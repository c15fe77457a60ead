"""The page an invitation link opens: join with the signed-in account, or create one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from portevoix.accounts import services as account_services
from portevoix.accounts.forms import SignupForm
from portevoix.accounts.models import User
from portevoix.core.errors import PortevoixError
from portevoix.core.forms import add_service_errors
from portevoix.workspaces import services


@never_cache
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_pending_by_token(token)
    if invitation is None or invitation.status != "pending":
        status = invitation.status if invitation else "invalid"
        return render(
            request,
            "workspaces/invitation_invalid.html",
            {"status": status},
            status=404 if status in {"invalid", "revoked"} else 410,
        )
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if not request.user.is_authenticated and existing is not None:
        login_url = reverse("accounts:login")
        return redirect(f"{login_url}?{urlencode({'next': request.path})}")

    form = SignupForm(request.POST or None) if not request.user.is_authenticated else None
    if request.method == "POST":
        try:
            with transaction.atomic():
                if request.user.is_authenticated:
                    user = request.user
                else:
                    assert form is not None
                    if not form.is_valid():
                        raise _InvalidForm
                    user = account_services.user_create(
                        email=invitation.email,
                        password=form.cleaned_data["password1"],
                        full_name=form.cleaned_data["full_name"],
                        language=request.LANGUAGE_CODE,
                    )
                membership = services.invitation_accept(token=token, user=user)  # type: ignore[arg-type]
        except _InvalidForm:
            pass
        except PortevoixError as error:
            if form is not None:
                add_service_errors(form, error)
            else:
                messages.error(request, error.message)
                return redirect("home")
        else:
            if not request.user.is_authenticated:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to %(name)s.") % {"name": membership.workspace.name})
            return redirect("workspaces:dashboard", membership.workspace.slug)
    return render(
        request,
        "workspaces/invitation_accept.html",
        {
            "invitation": invitation,
            "form": form,
            "email_differs": request.user.is_authenticated and request.user.email.lower() != invitation.email,
        },
    )


class _InvalidForm(Exception):
    """Roll back and re-render the sign-up form with its errors."""
