"""Forms of the tasks pages: a task (kind, title, assignee, due date in the viewer's local time) and the
"mark read" button of notices. They check the shape of the input; services do the rest."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portevoix.content import localtime
from portevoix.core.errors import ValidationFailed
from portevoix.teamtasks.models import TaskKind
from portevoix.teamtasks.services import MAX_TITLE_LENGTH
from portevoix.workspaces.models import Membership


def _no_nul(value: str) -> None:
    if "\x00" in (value or ""):
        raise forms.ValidationError(_("Text cannot contain NUL characters."))


class AssigneeSelect(forms.Select):
    """Options carry the member's role (``data-role``) so the page can suggest one for the task's kind."""

    def __init__(self, *args: Any, roles: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.roles = roles or {}

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        role = self.roles.get(str(value))
        if role:
            option["attrs"]["data-role"] = role
        return option


class TaskForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices, initial=TaskKind.COPY)
    title = forms.CharField(
        label=_("Title"), required=False, max_length=MAX_TITLE_LENGTH, validators=[_no_nul]
    )
    assignee_id = forms.TypedChoiceField(label=_("Assignee"), required=False, coerce=int, empty_value=None)
    due_at = forms.CharField(
        label=_("Due"),
        required=False,
        max_length=40,
        validators=[_no_nul],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, members: Iterable[Membership] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = list(members)
        field = self.fields["assignee_id"]
        field.choices = [("", _("Nobody yet"))] + [  # type: ignore[attr-defined]
            (str(m.user_id), f"{m.user.display_name} ({m.get_role_display()})") for m in members
        ]
        field.widget = AssigneeSelect(
            choices=field.choices,  # type: ignore[attr-defined]
            roles={str(m.user_id): m.role for m in members},
            attrs={"data-pv-assignee": ""},
        )
        self.fields["kind"].widget.attrs["data-pv-kind"] = ""

    def clean_due_at(self) -> datetime | None:
        """The viewer's local wall time (their own zone, else the workspace's) as an aware instant."""
        text = (self.cleaned_data.get("due_at") or "").strip()
        if not text:
            return None
        zone = timezone.get_current_timezone()
        try:
            return localtime.resolve(localtime.parse_datetime(text), zone).instant  # type: ignore[arg-type]
        except ValidationFailed as error:
            messages = [message for values in error.fields.values() for message in values] or [error.message]
            raise forms.ValidationError(messages) from None


def local_input(value: datetime | None) -> str:
    """An instant as the value of a datetime-local input in the active time zone."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


class MarkReadForm(forms.Form):
    notice = forms.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
