"""Signing in with an e-mail address and a password, and the lockout after repeated failures."""

from __future__ import annotations

from django.test import Client

from portevoix.accounts.models import User
from portevoix.accounts.tests.helpers import sign_in
from portevoix.conftest_constants import PASSWORD  # noqa: F401  (placeholder, replaced below)
