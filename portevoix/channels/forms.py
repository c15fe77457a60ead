"""HTML forms of the channels pages. The connect form is built from the connector's declared fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from portevoix.channels.catalog import Network, field_help, field_label
from portevoix.channels.services import MAX_BASE_URL_LENGTH, MAX_FIELD_LENGTH, MAX_NAME_LENGTH

BASE_URL_FIELD = "base_url"


class ConnectForm(forms.Form):
    """One input per declared field (secret ones are password inputs whose value is never sent back to
    the browser), plus the API address when the network lets it be changed; a manual channel asks for
    its name and address instead."""

    def __init__(self, *args: Any, network: Network, base_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.network = network
        if network.is_manual:
            self.fields["name"] = forms.CharField(label=_("Name"), max_length=MAX_NAME_LENGTH)
            self.fields["url"] = forms.CharField(
                label=_("Profile address"),
                required=False,
                max_length=500,
                help_text=_("Where the posts appear, e.g. https://example.com/our-page (optional)."),
            )
            return
        for credential in network.fields:
            widget: forms.Widget
            if credential.secret:
                widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
            else:
                widget = forms.TextInput(attrs={"autocomplete": "off"})
            self.fields[credential.name] = forms.CharField(
                label=field_label(credential),
                required=credential.required,
                help_text=field_help(credential),
                max_length=MAX_FIELD_LENGTH,
                widget=widget,
                strip=True,
            )
        self.fields[BASE_URL_FIELD] = forms.CharField(
            label=_("Server address") if network.base_url_required else _("API address"),
            required=network.base_url_required,
            max_length=MAX_BASE_URL_LENGTH,
            initial=base_url or None,
            widget=forms.URLInput(attrs={"placeholder": network.default_base_url or "https://"}),
            help_text=_("Leave empty to use %(url)s. Change it for a proxy or a self-hosted server.")
            % {"url": network.default_base_url}
            if network.default_base_url
            else _("The address of the server the account lives on, e.g. https://mastodon.social."),
        )

    def values(self) -> dict[str, str]:
        """The declared fields' values (without the API address)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name != BASE_URL_FIELD and isinstance(value, str)
        }

    def base_url(self) -> str:
        return str(self.cleaned_data.get(BASE_URL_FIELD) or "")


class ServerForm(forms.Form):
    """The server address asked before signing in on a network with many servers (Mastodon)."""

    base_url = forms.CharField(
        label=_("Server address"),
        max_length=MAX_BASE_URL_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://mastodon.social"}),
        help_text=_("The address of the server the account lives on, e.g. https://mastodon.social."),
    )


class RenameForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=MAX_NAME_LENGTH)


class ChoiceForm(forms.Form):
    """Which of the accounts found after signing in to connect."""

    accounts = forms.MultipleChoiceField(label=_("Accounts"), widget=forms.CheckboxSelectMultiple, choices=())

    def __init__(self, *args: Any, labels: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["accounts"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(str(index), label) for index, label in enumerate(labels)]

    def indexes(self) -> list[int]:
        return sorted({int(value) for value in self.cleaned_data["accounts"]})
