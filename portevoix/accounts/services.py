"""Writes for people's accounts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from portevoix.accounts.models import User, validate_timezone
from portevoix.core.errors import ValidationFailed
from portevoix.workspaces import audit

LANGUAGE_CODES = frozenset(code for code, _label in settings.LANGUAGES)


def user_create(
    *,
    email: str,
    password: str,
    full_name: str = "",
    language: str = "",
    timezone_name: str = "",
    is_superuser: bool = False,
) -> User:
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
            return User.objects.create_superuser(
                email, password, full_name=full_name, language=language, timezone=timezone_name
            )
        return User.objects.create_user(
            email, password, full_name=full_name, language=language, timezone=timezone_name
        )


def user_update_profile(*, user: User, full_name: str, language: str, timezone_name: str) -> User:
    """Name, interface language and time zone; an empty language or zone follows the workspace."""
    full_name = (full_name or "").strip()
    problems: dict[str, list[str]] = {}
    if len(full_name) > 150:
        problems["full_name"] = [_("At most 150 characters.")]
    if language and language not in LANGUAGE_CODES:
        problems["language"] = [_("Choose one of the listed languages.")]
    try:
        validate_timezone(timezone_name)
    except DjangoValidationError as error:
        problems["timezone"] = list(error.messages)
    if problems:
        raise ValidationFailed(_("Please correct the highlighted fields."), fields=problems)
    changes = {"full_name": full_name, "language": language, "timezone": timezone_name}
    changed = [field for field, value in changes.items() if getattr(user, field) != value]
    if not changed:
        return user
    with transaction.atomic():
        for field in changed:
            setattr(user, field, changes[field])
        user.save(update_fields=changed)
    return user


def user_set_language(*, user: User, language: str) -> User:
    if language not in LANGUAGE_CODES:
        raise ValidationFailed(_("Choose one of the listed languages."))
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user


def user_password_change(*, user: User, password: str) -> User:
    """A signed-in person's new password (already checked by the form against the validators)."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(actor=user, action="password.change", workspace=None)
    return user


def user_password_reset(*, user: User, password: str) -> User:
    """A new password set through an e-mailed reset link."""
    with transaction.atomic():
        user.set_password(password)
        user.save(update_fields=["password"])
        audit.record(actor=user, action="password.reset", workspace=None)
    return user
