"""Forms of the "needs attention" actions."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class MarkPublishedForm(forms.Form):
    url = forms.URLField(
        label=_("Address of the post on the network"),
        max_length=500,
        assume_scheme="https",
        error_messages={
            "invalid": _("Enter a web address starting with http:// or https://."),
            "required": _("Enter the web address of the post on the network."),
        },
    )

    def clean_url(self) -> str:
        url: str = self.cleaned_data["url"]
        if not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("Enter a web address starting with http:// or https://."))
        return url


class MarkReadForm(forms.Form):
    notification = forms.IntegerField(required=False, min_value=1, max_value=2**62)
