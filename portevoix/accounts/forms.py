from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from portevoix.accounts import services
from portevoix.accounts.models import User, known_timezones


class SignupForm(forms.Form):
    """A new person's name and password; the e-mail address comes from the invitation or setup."""

    full_name = forms.CharField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 10 characters, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class LoginForm(auth_forms.AuthenticationForm):
    """E-mail address and password; ``authenticate(request=...)`` lets django-axes count failures."""

    username = auth_forms.UsernameField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _("Wrong e-mail address or password."),
        "inactive": _("Wrong e-mail address or password."),
    }

    def clean_username(self) -> str:
        # Addresses are stored in lower case; one spelling per account also keeps lockouts per account.
        return (self.cleaned_data.get("username") or "").strip().lower()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "off",
                "spellcheck": "false",
            }
        ),
    )


class TotpConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=32,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("The 6-digit code your authenticator app shows for Portevoix."),
    )


class CurrentPasswordForm(forms.Form):
    password = forms.CharField(
        label=_("Current password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


@functools.cache
def _timezone_choices() -> tuple[tuple[str, str], ...]:
    names = sorted(name for name in known_timezones() if "/" in name or name == "UTC")
    return tuple((name, name) for name in names)


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Same as the workspace")), *settings.LANGUAGES],
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        choices=lambda: [("", _("Same as the workspace")), *_timezone_choices()],
        help_text=_("Dates and times are shown in this time zone."),
    )


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    def save(self, commit: bool = True) -> User:
        return services.user_password_change(user=self.user, password=self.cleaned_data["new_password1"])


class SetPasswordForm(auth_forms.SetPasswordForm):
    """The last step of a password reset."""

    def save(self, commit: bool = True) -> User:
        return services.user_password_reset(user=self.user, password=self.cleaned_data["new_password1"])


class PasswordResetForm(auth_forms.PasswordResetForm):
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
