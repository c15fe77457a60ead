"""Forms of the approval pages: the policy, a step, a decision, a comment, and the client's page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portevoix.approvals.models import ApprovalMode
from portevoix.approvals.services import (
    MAX_CLIENT_NAME,
    MAX_COMMENT,
    MAX_LINK_DAYS,
    MAX_NAME,
    MAX_NOTE,
    MAX_REMIND_HOURS,
    StepIn,
)
from portevoix.workspaces.roles import Role


class PolicyForm(forms.Form):
    mode = forms.ChoiceField(label=_("Approval"), choices=ApprovalMode.choices)
    remind_after_hours = forms.IntegerField(
        label=_("Remind approvers after (hours)"),
        min_value=0,
        max_value=MAX_REMIND_HOURS,
        help_text=_("0: no reminders. Each step is reminded once."),
    )
    client_link_days = forms.IntegerField(
        label=_("Client links stay valid for (days)"), min_value=1, max_value=MAX_LINK_DAYS
    )


KIND_CHOICES = [
    ("leads", _("Any owner or SMM manager")),
    ("role", _("Anyone with a role")),
    ("person", _("One person")),
    ("client", _("The client, through a link sent by e-mail")),
]


class StepForm(forms.Form):
    name = forms.CharField(label=_("Step name"), max_length=MAX_NAME, required=False)
    kind = forms.ChoiceField(label=_("Approved by"), choices=KIND_CHOICES)
    role = forms.ChoiceField(label=_("Role"), choices=[("", "—"), *Role.choices], required=False)
    user = forms.TypedChoiceField(label=_("Person"), coerce=int, required=False, empty_value=None)
    client_email = forms.EmailField(label=_("Client's e-mail address"), required=False)

    def __init__(self, *args: Any, people: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].choices = [("", "—"), *people]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == "role" and not data.get("role"):
            self.add_error("role", _("Choose a role."))
        if kind == "person" and not data.get("user"):
            self.add_error("user", _("Choose a person."))
        if kind == "client" and not data.get("client_email"):
            self.add_error("client_email", _("Enter the client's e-mail address."))
        return data

    def step(self) -> StepIn:
        data = self.cleaned_data
        kind = data["kind"]
        return StepIn(
            name=data.get("name") or "",
            role=data.get("role") or "" if kind == "role" else "",
            user_id=data.get("user") if kind == "person" else None,
            by_client=kind == "client",
            client_email=data.get("client_email") or "" if kind == "client" else "",
        )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("changes", _("Request changes"))])
    note = forms.CharField(
        label=_("Note"), max_length=MAX_NOTE, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class CommentForm(forms.Form):
    body = forms.CharField(
        label=_("Comment"),
        max_length=MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Mention a teammate with @ and their e-mail address, or the part of it before the @."),
    )


class ClientDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("changes", _("Request changes"))])
    name = forms.CharField(label=_("Your name"), max_length=MAX_CLIENT_NAME)
    note = forms.CharField(
        label=_("Note (required to request changes)"),
        max_length=MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ClientCommentForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=MAX_CLIENT_NAME)
    body = forms.CharField(
        label=_("Comment"), max_length=MAX_COMMENT, widget=forms.Textarea(attrs={"rows": 3})
    )
