"""Writes for people's accounts."""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from portevoix.accounts.models import User
from portevoix.core.errors import ValidationFailed


def user_create(*, email: str, password: str, full_name: str = "", language: str = "",
                timezone_name: str = "", is_superuser: bool = False) -> User:
    email = (email or "").strip().lower()
    problems: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except DjangoValidationError:
        problems["email"] = [_("Enter a valid e-mail address.")]
    if not problems and User.objects.filter(email__iexact=email).exists():
        problems["email"] = [_("An account with this e-mail address already exists.")]
    candidate = User(email=email, full_name=full_name)
    try:
        password_validation.validate_password(password, user=candidate)
    except DjangoValidationError as error:
        problems["password1"] = list(error.messages)
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    with transaction.atomic():
        if is_superuser:
            return User.objects.create_superuser(email, password, full_name=full_name, language=language,
                                                 timezone=timezone_name)
        return User.objects.create_user(email, password, full_name=full_name, language=language,
                                        timezone=timezone_name)
