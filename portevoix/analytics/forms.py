"""Forms of the tracker page: a site (name and domains) and the period of the table."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from portevoix.analytics.models import MAX_DOMAINS, MAX_NAME

MIN_DAY = dt.date(2000, 1, 1)
MAX_DAY = dt.date(2100, 12, 31)


class SiteForm(forms.Form):
    name = forms.CharField(label=_("Site name"), max_length=MAX_NAME)
    domains = forms.CharField(
        label=_("Domains"),
        required=False,
        max_length=MAX_DOMAINS,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Host names allowed to send visits, one per line (subdomains included). Empty: any."),
    )


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d"],
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d"],
    )
    group = forms.ChoiceField(
        label=_("By"),
        required=False,
        choices=[
            ("network", _("Network")),
            ("campaign", _("Campaign")),
            ("post", _("Post")),
            ("day", _("Day")),
        ],
    )
    social_only = forms.BooleanField(label=_("Social networks only"), required=False)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        for name in ("start", "end"):
            value = data.get(name)
            if isinstance(value, dt.date) and not (MIN_DAY <= value <= MAX_DAY):
                self.add_error(name, _("Enter a date between 2000 and 2100."))
        return data
