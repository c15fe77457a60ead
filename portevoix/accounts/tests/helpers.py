"""Helpers for the accounts tests: a person with two-factor authentication, codes as their app shows them."""

from __future__ import annotations

from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portevoix.accounts import two_factor
from portevoix.accounts.models import User

PASSWORD = "a-long-and-quite-unusual-passphrase"


def app_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app paired with ``device`` shows now (or ``steps_ahead`` periods later).

    Each code is accepted once (django-otp refuses a time step already used), so a test that needs a
    second code asks for the next period's, which the device accepts within its tolerance.
    """
    t0 = device.t0 - steps_ahead * device.step
    return f"{totp(device.bin_key, step=device.step, t0=t0, digits=device.digits):0{device.digits}d}"


def enrol(user: User) -> tuple[TOTPDevice, list[str]]:
    device = two_factor.totp_setup_start(user=user)
    _device, codes = two_factor.totp_setup_confirm(user=user, code=app_code(device))
    device.refresh_from_db()
    return device, codes


def sign_in(client: Client, email: str, password: str, **extra: str):
    return client.post("/accounts/login/", {"username": email, "password": password, **extra})
