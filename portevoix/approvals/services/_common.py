"""Limits and input cleaning shared by the approval services."""

from __future__ import annotations

from django.utils.translation import gettext as _

from portevoix.core.errors import ValidationFailed

MAX_STEPS = 10
MAX_NAME = 80
MAX_NOTE = 5000
MAX_COMMENT = 5000
MAX_CLIENT_NAME = 150
MAX_REMIND_HOURS = 24 * 30
MAX_LINK_DAYS = 90
TOKEN_BYTES = 32  # 256 random bits; only their SHA-256 is stored


# --- Input ----------------------------------------------------------------------------------------


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(_("Please correct the highlighted fields."), fields={field: [message]})


def _text(value: object, *, field: str, maximum: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _invalid(field, _("Enter a text value."))
    if "\x00" in value:
        raise _invalid(field, _("Text cannot contain NUL characters."))
    value = value.replace("\r\n", "\n").strip()
    if len(value) > maximum:
        raise _invalid(field, _("Use at most %(max)s characters.") % {"max": maximum})
    if required and not value:
        raise _invalid(field, _("This field is required."))
    return value
