"""Forms of the integrations page: connect GA4, connect Metrica, and the period of the traffic table. The
services validate the values again (the API goes straight to them)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portevoix.integrations.services import MAX_KEY_BYTES


class Ga4Form(forms.Form):
    prefix = "ga4"

    name = forms.CharField(label=_("Name"), max_length=200, initial="Google Analytics")
    property_id = forms.CharField(
        label=_("GA4 property id"),
        max_length=30,
        help_text=_("A number: Admin > Property settings > Property details."),
    )
    key_file = forms.FileField(
        label=_("Service account key file (JSON)"),
        required=False,
        help_text=_("Upload the JSON key, or paste it below."),
    )
    key_json = forms.CharField(
        label=_("…or paste the key file's content"),
        required=False,
        max_length=MAX_KEY_BYTES,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
    )
    conversion_metric = forms.ChoiceField(
        label=_("Conversions metric"),
        choices=[
            ("keyEvents", _("keyEvents (key events, GA4's name since 2024)")),
            ("conversions", "conversions"),
        ],
        initial="keyEvents",
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        upload = data.get("key_file")
        if upload is not None:
            if upload.size > MAX_KEY_BYTES:
                self.add_error(
                    "key_file", _("The key file is too large: a service account key is about 2 KB.")
                )
            else:
                data["key_json"] = upload.read()
        if not data.get("key_json") and not self.errors:
            self.add_error("key_json", _("Paste or upload the service account's JSON key file."))
        return data


class MetricaForm(forms.Form):
    prefix = "metrica"

    name = forms.CharField(label=_("Name"), max_length=200, initial=_("Yandex Metrica"))
    counter_id = forms.CharField(label=_("Counter (tag) number"), max_length=30)
    token = forms.CharField(
        label=_("OAuth token"),
        max_length=500,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
        help_text=_("A token of an app with the metrika:read permission (see the guide)."),
    )
    goal_ids = forms.CharField(
        label=_("Goal ids"),
        required=False,
        max_length=200,
        help_text=_("Optional, up to 8, separated by commas: their reaches are the conversions."),
    )
    ecommerce_revenue = forms.BooleanField(
        label=_("Revenue from e-commerce (instead of the goals' revenue)"), required=False
    )
    currency = forms.CharField(label=_("Currency of the counter"), max_length=3, initial="RUB")


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
