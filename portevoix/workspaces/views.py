"""HTML views of the workspace shell: thin wrappers over services and selectors."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portevoix.accounts.models import User
from portevoix.core.errors import PermissionDenied, PortevoixError
from portevoix.core.forms import add_service_errors
from portevoix.workspaces import permissions, selectors, services
from portevoix.workspaces.forms import (
    ApiTokenForm,
    AuditFilterForm,
    InvitationForm,
    RoleForm,
    WorkspaceForm,
    WorkspaceSettingsForm,
)
from portevoix.workspaces.roles import MATRIX, Role, grantable_roles
from portevoix.workspaces.web import workspace_view


def home(request: HttpRequest) -> HttpResponse:
    """Send people where they belong: first-run setup, sign-in, their last workspace, or a new one."""
    if not request.user.is_authenticated:
        if not User.objects.exists():
            return redirect("workspaces:setup")
        return redirect("accounts:login")
    membership = selectors.default_membership(request.user)  # type: ignore[arg-type]
    if membership is None:
        return redirect("workspaces:create")
    return redirect("workspaces:dashboard", membership.workspace.slug)


@login_required
def workspace_create(request: HttpRequest) -> HttpResponse:
    form = WorkspaceForm(request.POST or None, initial={"language": request.LANGUAGE_CODE})
    if request.method == "POST" and form.is_valid():
        try:
            workspace = services.workspace_create(
                user=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                timezone_name=form.cleaned_data["timezone"],
                language=form.cleaned_data["language"],
            )
        except PortevoixError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Workspace created."))
            return redirect("workspaces:dashboard", workspace.slug)
    return render(request, "workspaces/create.html", {"form": form})


@workspace_view("workspace.view")
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    context = {
        "member_count": membership.workspace.memberships.count(),
        "can_invite": permissions.can(membership, "member.invite"),
        "can_view_members": permissions.can(membership, "member.view"),
    }
    return render(request, "workspaces/dashboard.html", context)


@workspace_view("member.view")
def members(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    can_invite = permissions.can(membership, "member.invite")
    form = InvitationForm(request.POST or None, inviter_role=membership.role) if can_invite else None
    if request.method == "POST":
        permissions.require(membership, "member.invite")
        assert form is not None
        if form.is_valid():
            try:
                issued = services.invitation_create(
                    by=membership, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
                )
            except PortevoixError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": issued.invitation.email}
                )
                return redirect("workspaces:members", membership.workspace.slug)
    can_update = permissions.can(membership, "member.update")
    team = list(selectors.member_list(by=membership))
    role_choices = [(role.value, role.label) for role in grantable_roles(membership.role)]
    context = {
        "team": team,
        "invite_form": form,
        "invitations": selectors.invitation_list(by=membership) if can_invite else [],
        "can_update": can_update,
        "can_remove": permissions.can(membership, "member.remove"),
        "role_choices": role_choices,
        "is_owner": membership.role == Role.OWNER,
    }
    return render(request, "workspaces/members.html", context)


@require_POST
@workspace_view("member.update")
def member_update(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    target = selectors.member_get(by=membership, member_id=member_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the listed roles."))
    else:
        try:
            services.membership_update_role(membership=target, role=form.cleaned_data["role"], by=membership)
        except PortevoixError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Role updated."))
    return redirect("workspaces:members", membership.workspace.slug)


@require_POST
@workspace_view("workspace.view")
def member_remove(request: HttpRequest, member_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    target = selectors.member_get(by=membership, member_id=member_id)
    leaving = target.pk == membership.pk
    try:
        services.membership_remove(membership=target, by=membership)
    except PermissionDenied:
        raise  # 403: removing others needs member.remove; leaving only needs membership
    except PortevoixError as error:
        messages.error(request, error.message)
        return redirect("workspaces:dashboard", membership.workspace.slug)
    if leaving:
        messages.success(request, _("You have left %(name)s.") % {"name": membership.workspace.name})
        return redirect("home")
    messages.success(request, _("Member removed."))
    return redirect("workspaces:members", membership.workspace.slug)


@require_POST
@workspace_view("member.invite")
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    invitation = selectors.invitation_get(by=membership, invitation_id=invitation_id)
    try:
        services.invitation_revoke(invitation=invitation, by=membership)
    except PortevoixError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Invitation revoked."))
    return redirect("workspaces:members", membership.workspace.slug)


@workspace_view("workspace.update")
def workspace_settings(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    workspace = membership.workspace
    initial = {
        "name": workspace.name,
        "timezone": workspace.timezone,
        "language": workspace.language,
        "require_2fa": workspace.require_2fa,
    }
    form = WorkspaceSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.workspace_update(
                workspace=workspace,
                by=membership,
                name=form.cleaned_data["name"],
                timezone_name=form.cleaned_data["timezone"],
                language=form.cleaned_data["language"],
                require_2fa=form.cleaned_data["require_2fa"],
            )
        except PortevoixError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("workspaces:settings", workspace.slug)
    return render(request, "workspaces/settings.html", {"form": form})


@workspace_view("audit.view")
def audit(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    form = AuditFilterForm(request.GET or None)
    team = selectors.member_list(by=membership) if permissions.can(membership, "member.view") else []
    form.fields["actor"].widget.choices = [("", _("Anyone"))] + [
        (m.user_id, m.user.display_name) for m in team
    ]
    filters: dict[str, object] = {}
    if form.is_valid():
        tz = timezone.get_current_timezone()
        data = form.cleaned_data
        filters = {
            "action": data["action"] or None,
            "actor_id": data["actor"],
            "since": dt.datetime.combine(data["since"], dt.time.min, tz) if data["since"] else None,
            "until": (dt.datetime.combine(data["until"], dt.time.min, tz) + dt.timedelta(days=1))
            if data["until"]
            else None,
        }
    events = selectors.audit_list(by=membership, **filters)  # type: ignore[arg-type]
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "workspaces/audit.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "actions": selectors.audit_actions(by=membership),
        },
    )


@workspace_view("token.manage")
def tokens(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    form = ApiTokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        expires_on = form.cleaned_data["expires_at"]
        expires_at = (
            dt.datetime.combine(expires_on, dt.time.max, timezone.get_current_timezone())
            if expires_on
            else None
        )
        try:
            issued = services.api_token_create(
                by=membership, name=form.cleaned_data["name"], expires_at=expires_at
            )
        except PortevoixError as error:
            add_service_errors(form, error)
        else:
            new_secret = issued.secret
            form = ApiTokenForm()
    response = render(
        request,
        "workspaces/tokens.html",
        {
            "form": form,
            "tokens": selectors.api_token_list(by=membership),
            "new_secret": new_secret,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@workspace_view("token.manage")
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    token = selectors.api_token_get(by=membership, token_id=token_id)
    services.api_token_revoke(token=token, by=membership)
    messages.success(request, _("Token revoked."))
    return redirect("workspaces:tokens", membership.workspace.slug)


@workspace_view("workspace.view")
def roles(request: HttpRequest) -> HttpResponse:
    rows = [(name, description, allowed) for name, (allowed, description) in MATRIX.items()]
    return render(request, "workspaces/roles.html", {"rows": rows, "roles": list(Role)})
