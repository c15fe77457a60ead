from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portevoix.accounts.models import known_timezones
from portevoix.workspaces.roles import Role, grantable_roles


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(known_timezones()) if "/" in name or name == "UTC"]


class WorkspaceForm(forms.Form):
    name = forms.CharField(
        label=_("Workspace name"), max_length=120, help_text=_("The brand or client this workspace is for.")
    )
    timezone = forms.ChoiceField(label=_("Time zone"), choices=timezone_choices, initial="UTC")
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, initial="en")


class WorkspaceSettingsForm(WorkspaceForm):
    require_2fa = forms.BooleanField(
        label=_("Require two-factor authentication of every member"), required=False
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args: Any, inviter_role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [(role.value, role.label) for role in grantable_roles(inviter_role)]
        self.fields["role"].initial = Role.COPYWRITER


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_("What will use it, e.g. “reporting script”.")
    )
    expires_at = forms.DateField(
        label=_("Expires on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty for a token that lasts until revoked."),
    )


class AuditFilterForm(forms.Form):
    action = forms.CharField(label=_("Action"), required=False)
    actor = forms.IntegerField(label=_("Person"), required=False, widget=forms.Select)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
