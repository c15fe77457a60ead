"""Forms of the reports page: the period, the logo, and a report schedule."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from portevoix.reports.models import Frequency, ReportFormat
from portevoix.reports.selectors import PRESETS

MIN_DAY = dt.date(2000, 1, 1)
MAX_DAY = dt.date(2100, 12, 31)
WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def _date(label: Any) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d"],
    )


class PeriodForm(forms.Form):
    preset = forms.ChoiceField(
        label=_("Period"),
        required=False,
        choices=[("", _("Custom dates"))] + [(key, label) for key, label in PRESETS.items()],
    )
    start = _date(_("From"))
    end = _date(_("To"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("start", "end"):
            value = data.get(name)
            if value is not None and not (MIN_DAY <= value <= MAX_DAY):
                self.add_error(name, _("Enter a date between 2000 and 2100."))
        return data


class LogoForm(forms.Form):
    file = forms.FileField(
        label=_("Logo"),
        help_text=_("PNG or JPEG, at most 1 MB and 4 megapixels. It is printed at the top of every report."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )


class ScheduleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    weekday = forms.TypedChoiceField(
        label=_("Day of the week (weekly)"), choices=WEEKDAYS, coerce=int, initial=0
    )
    day_of_month = forms.IntegerField(
        label=_("Day of the month (monthly)"),
        min_value=1,
        max_value=31,
        initial=1,
        help_text=_("A shorter month uses its last day."),
    )
    time_of_day = forms.TimeField(
        label=_("Time"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"), initial=dt.time(8, 0)
    )
    report_format = forms.ChoiceField(label=_("Format"), choices=ReportFormat.choices)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
    members = forms.TypedMultipleChoiceField(
        label=_("Members"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    emails = forms.CharField(
        label=_("Other e-mail addresses"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line or separated by commas."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, members: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = members  # type: ignore[attr-defined]

    def clean_emails(self) -> list[str]:
        raw = self.cleaned_data.get("emails") or ""
        return [
            part.strip() for part in raw.replace(",", "\n").replace(";", "\n").splitlines() if part.strip()
        ]
