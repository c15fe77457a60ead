"""Garbage sent to every accounts form gets a 2xx/3xx/4xx answer, never a server error."""

from __future__ import annotations

import pytest
from django.test import Client

from portevoix.accounts.models import User
from portevoix.accounts.tests.helpers import PASSWORD, enrol, sign_in

GARBAGE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "x" * 10_000,
    "١٢٣٤٥٦",  # digits, but not ASCII ones
    "' OR 1=1 --",
    "<script>alert(1)</script>",
    "😀" * 40,
    "-1",
    "999999999999999999999999",
]
FIELDS = [
    "username",
    "password",
    "code",
    "email",
    "full_name",
    "language",
    "timezone",
    "old_password",
    "new_password1",
    "new_password2",
    "next",
    "workspace",
]


def payloads():
    for value in GARBAGE:
        yield dict.fromkeys(FIELDS, value)
    yield {}
    yield {"code": ["1", "2"], "username": ["a", "b"]}


SIGNED_IN_URLS = [
    "/accounts/profile/",
    "/accounts/security/setup/",
    "/accounts/security/verify/",
    "/accounts/security/disable/",
    "/accounts/security/recovery-codes/",
    "/accounts/password/change/",
    "/accounts/language/",
]
ANONYMOUS_URLS = ["/accounts/login/", "/accounts/password/reset/", "/accounts/language/"]


def assert_not_a_server_error(response):
    assert response.status_code < 500, response.content[:500]


@pytest.mark.parametrize("url", ANONYMOUS_URLS)
def test_anonymous_forms_survive_garbage(person, url):
    for data in payloads():
        assert_not_a_server_error(Client().post(url, data))
    assert_not_a_server_error(Client().get(url, {"next": "\x00//evil", "workspace": "\x00"}))


@pytest.mark.parametrize("url", SIGNED_IN_URLS)
@pytest.mark.parametrize("with_2fa", [False, True])
def test_signed_in_forms_survive_garbage(person, client_for, url, with_2fa, no_otp_throttle):
    if with_2fa:
        enrol(person)
    client = client_for(person)
    for data in payloads():
        assert_not_a_server_error(client.post(url, data))
    assert_not_a_server_error(client.get("/accounts/security/", {"workspace": "x" * 500}))


def test_second_step_survives_garbage(person, no_otp_throttle, settings):
    settings.AXES_FAILURE_LIMIT = 1000  # every wrong code counts as a failed sign-in
    enrol(person)
    client = Client()
    sign_in(client, "ada@example.com", PASSWORD)
    for data in payloads():
        assert_not_a_server_error(client.post("/accounts/login/verify/", data))
    assert "_auth_user_id" not in client.session


def test_password_reset_confirm_survives_garbage(person):
    client = Client()
    for uid, token in [("\x00", "x"), ("x" * 300, "y" * 300), ("MQ", "set-password"), ("-1", "0-0")]:
        url = f"/accounts/password/reset/{uid}/{token}/"
        assert_not_a_server_error(client.get(url))
        assert_not_a_server_error(client.post(url, {"new_password1": "x"}))
    assert User.objects.get(pk=person.pk).check_password(PASSWORD)
