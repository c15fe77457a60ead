"""Two-factor authentication: an authenticator app (TOTP) and single-use recovery codes.

A person "has two-factor authentication" when they own a confirmed TOTP device. Recovery codes live on
one static device beside it; each code works once. Codes are checked by django-otp, which throttles
wrong attempts per device (exponential back-off), inside a transaction so concurrent tries cannot reuse
a code.
"""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

import qrcode
import qrcode.image.svg
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portevoix.accounts.models import User
from portevoix.core.errors import Conflict, ValidationFailed
from portevoix.workspaces import audit
from portevoix.workspaces.models import Workspace

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10  # base32 characters: 50 random bits each
TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"
_TOTP_CODE = re.compile(r"[0-9]{6}")
_RECOVERY_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


@dataclass(frozen=True)
class Provisioning:
    """What the setup page shows to pair an authenticator app with an unconfirmed device."""

    uri: str
    secret: str  # base32, in groups of four for typing by hand
    qr_svg: str  # an inline <svg> element


# --- Reads ----------------------------------------------------------------------------------------


def has_two_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def workspaces_requiring_2fa(user: User) -> list[Workspace]:
    return list(Workspace.objects.filter(memberships__user=user, require_2fa=True).order_by("name"))


def is_recovery_device(device: Device) -> bool:
    return isinstance(device, StaticDevice)


def provisioning_for(device: TOTPDevice) -> Provisioning:
    uri = device.config_url
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    svg = svg[svg.index("<svg") :]  # drop any XML declaration: the SVG is inlined in HTML
    raw = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    secret = " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))
    return Provisioning(uri=uri, secret=secret, qr_svg=svg)


def format_recovery_code(code: str) -> str:
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}"


def normalize_code(code: str) -> str:
    """Codes are typed by hand: ignore spaces and dashes, and case."""
    return re.sub(r"[\s\-]", "", code or "").lower()


# --- Writes ---------------------------------------------------------------------------------------


def totp_setup_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device to pair; the same one on every visit until it is confirmed."""
    if has_two_factor(user):
        raise Conflict(_("Two-factor authentication is already on."))
    with transaction.atomic():
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_setup_confirm(*, user: User, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pairing with a code from the app; turn 2FA on. Returns the device and fresh recovery
    codes (shown once: only the database keeps them, and it keeps no copy the page could show again)."""
    if has_two_factor(user):
        raise Conflict(_("Two-factor authentication is already on."))
    code = normalize_code(code)
    if not _TOTP_CODE.fullmatch(code):
        raise _code_error(_("Enter the 6-digit code shown by your authenticator app."))
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        )
        if device is None:
            raise _code_error(_("The setup has expired. Scan the new QR code and try again."))
        refusal = _throttled(device)
        verified = refusal is None and device.verify_token(code)
    if refusal is not None:
        raise refusal
    if not verified:
        raise _code_error(_("This code is not valid. Check the time on your phone and try again."))
    with transaction.atomic():
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        codes = _replace_recovery_codes(user)
        audit.record(actor=user, action="2fa.enable", workspace=None)
    return device, codes


def recovery_codes_regenerate(*, user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    if not has_two_factor(user):
        raise Conflict(_("Turn on two-factor authentication first."))
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        audit.record(actor=user, action="recovery_codes.regenerate", workspace=None)
    return codes


def two_factor_verify(*, user: User, code: str) -> Device:
    """The device that accepts ``code`` (6 digits: the app; otherwise a recovery code, used up).

    Raises ValidationFailed for a wrong code, or while the device is throttled after wrong codes.
    """
    code = normalize_code(code)
    if not code or len(code) > 16:
        raise _code_error(_("Enter the 6-digit code from your app, or one of your recovery codes."))
    model: type[TOTPDevice] | type[StaticDevice] = TOTPDevice if _TOTP_CODE.fullmatch(code) else StaticDevice
    refusal: ValidationFailed | None = None
    with transaction.atomic():
        for device in model.objects.select_for_update().filter(user=user, confirmed=True).order_by("pk"):
            refusal = _throttled(device)
            if refusal is None and device.verify_token(code):
                return device
    # Wrong-attempt counters were saved by verify_token: raise only now, outside the transaction.
    raise refusal or _code_error(_("This code is not valid."))


def two_factor_disable(*, user: User, password: str) -> None:
    """Turn 2FA off: needs the current password, and no workspace of the person may require 2FA."""
    if not has_two_factor(user):
        raise Conflict(_("Two-factor authentication is already off."))
    if not password or not user.check_password(password):
        raise ValidationFailed(
            _("Please correct the highlighted fields."), fields={"password": [_("Wrong password.")]}
        )
    requiring = workspaces_requiring_2fa(user)
    if requiring:
        names = ", ".join(workspace.name for workspace in requiring)
        raise Conflict(
            ngettext(
                "The workspace %(names)s requires two-factor authentication: it cannot be turned off.",
                "The workspaces %(names)s require two-factor authentication: it cannot be turned off.",
                len(requiring),
            )
            % {"names": names}
        )
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit.record(actor=user, action="2fa.disable", workspace=None)


# --- Helpers --------------------------------------------------------------------------------------


def _replace_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [_random_recovery_code() for _i in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return [format_recovery_code(code) for code in codes]


def _random_recovery_code() -> str:
    return "".join(secrets.choice(_RECOVERY_ALPHABET) for _i in range(RECOVERY_CODE_LENGTH))


def _throttled(device: TOTPDevice | StaticDevice) -> ValidationFailed | None:
    allowed, info = device.verify_is_allowed()
    if allowed:
        return None
    locked_until = (info or {}).get("locked_until")
    seconds = max(1, int((locked_until - timezone.now()).total_seconds()) + 1) if locked_until else 1
    return _code_error(
        ngettext(
            "Too many wrong codes. Wait %(seconds)d second and try again.",
            "Too many wrong codes. Wait %(seconds)d seconds and try again.",
            seconds,
        )
        % {"seconds": seconds}
    )


def _code_error(message: str) -> ValidationFailed:
    return ValidationFailed(message, fields={"code": [message]})
