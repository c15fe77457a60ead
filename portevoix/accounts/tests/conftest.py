"""Fixtures for the accounts tests."""

from __future__ import annotations

import pytest

from portevoix.accounts.models import User
from portevoix.accounts.tests.helpers import PASSWORD


@pytest.fixture
def person(make_user) -> User:
    return make_user("ada@example.com", password=PASSWORD, full_name="Ada Lovelace")


@pytest.fixture
def no_otp_throttle(settings):
    """django-otp waits 1, 2, 4... seconds after a wrong code; tests that retry at once turn that off."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0
