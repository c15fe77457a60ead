"""The dashboards page's period and filter form (GET)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

PRESET_CHOICES = [
    ("7d", _("Last 7 days")),
    ("30d", _("Last 30 days")),
    ("90d", _("Last 90 days")),
    ("this_month", _("This month")),
    ("previous_month", _("Previous month")),
    ("custom", _("Custom")),
]


class DashboardForm(forms.Form):
    preset = forms.ChoiceField(label=_("Period"), choices=PRESET_CHOICES, required=False)
    start = forms.DateField(
        label=_("From"),
        help_text=_("For a custom period."),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    channel = forms.TypedChoiceField(label=_("Channel"), coerce=int, required=False, empty_value=None)
    network = forms.ChoiceField(label=_("Network"), required=False)
    rubric = forms.TypedChoiceField(label=_("Rubric"), coerce=int, required=False, empty_value=None)
    compare = forms.BooleanField(label=_("Compare with the previous period"), required=False)

    def __init__(
        self,
        *args: Any,
        channels: list[tuple[int, str]],
        networks: list[str],
        rubrics: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["channel"].choices = everything + channels  # type: ignore[attr-defined]
        self.fields["network"].choices = everything + [(n, n) for n in networks]  # type: ignore[attr-defined]
        self.fields["rubric"].choices = everything + rubrics  # type: ignore[attr-defined]
