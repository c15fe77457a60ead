"""First run: with no user yet, create the owner account and the first workspace."""

from __future__ import annotations

from django import forms
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from portevoix.accounts.forms import SignupForm
from portevoix.accounts.models import User
from portevoix.core.errors import Conflict, PortevoixError
from portevoix.core.forms import add_service_errors
from portevoix.workspaces import services
from portevoix.workspaces.forms import WorkspaceForm


class SetupForm(SignupForm, WorkspaceForm):
    email = forms.EmailField(label=_("Your e-mail address"))
    field_order = ["full_name", "email", "password1", "password2", "name", "timezone", "language"]


@never_cache
def setup(request: HttpRequest) -> HttpResponse:
    if User.objects.exists():
        if request.method == "POST":
            raise Http404("Already set up.")
        return redirect("home")
    form = SetupForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, workspace = services.first_run_setup(
                email=data["email"],
                password=data["password1"],
                full_name=data["full_name"],
                workspace_name=data["name"],
                timezone_name=data["timezone"],
                language=data["language"],
            )
        except Conflict:
            return redirect("home")
        except PortevoixError as error:
            add_service_errors(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            response = redirect("workspaces:dashboard", workspace.slug)
            response.set_cookie("django_language", data["language"], samesite="Lax")
            return response
    return render(request, "workspaces/setup.html", {"form": form})
