"""Signing in with an e-mail address and a password, and the lockout after repeated failures."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client

from portevoix.accounts.models import User
from portevoix.accounts.tests.helpers import PASSWORD, sign_in


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_with_no_user_at_all_the_login_page_sends_to_first_run_setup(db):
    response = Client().get("/accounts/login/")
    assert response.status_code == 302
    assert response["Location"] == "/setup/"


def test_login_page_shows_the_form_and_the_forgotten_password_link(person):
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b'name="password"' in response.content
    assert b'href="/accounts/password/reset/"' in response.content


def test_right_password_signs_in_and_goes_home(person):
    client = Client()
    response = sign_in(client, "ada@example.com", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(person.pk)


def test_e_mail_address_is_not_case_sensitive(person):
    client = Client()
    response = sign_in(client, "  Ada@Example.COM ", PASSWORD)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(person.pk)


def test_wrong_password_shows_one_message_for_every_failure(person):
    client = Client()
    wrong_password = sign_in(client, "ada@example.com", "not-the-password")
    unknown_address = sign_in(client, "nobody@example.com", "not-the-password")
    for response in (wrong_password, unknown_address):
        assert response.status_code == 200
        assert "Wrong e-mail address or password." in response.content.decode()
    assert signed_in_user_id(client) is None


def test_inactive_account_cannot_sign_in_and_is_not_revealed(person):
    User.objects.filter(pk=person.pk).update(is_active=False)
    client = Client()
    response = sign_in(client, "ada@example.com", PASSWORD)
    assert response.status_code == 200
    assert "Wrong e-mail address or password." in response.content.decode()
    assert signed_in_user_id(client) is None


def test_safe_next_is_followed(person):
    client = Client()
    response = sign_in(client, "ada@example.com", PASSWORD, next="/accounts/profile/")
    assert response["Location"] == "/accounts/profile/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"])
def test_next_pointing_elsewhere_is_ignored(person, target):
    client = Client()
    page = client.get("/accounts/login/", {"next": target})
    assert target.encode() not in page.content
    response = sign_in(client, "ada@example.com", PASSWORD, next=target)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_signed_in_person_is_sent_on_from_the_login_page(person, client_for):
    response = client_for(person).get("/accounts/login/", {"next": "/accounts/profile/"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"


def test_five_failures_lock_the_account_out_from_this_address(person):
    client = Client()
    for _attempt in range(4):
        assert sign_in(client, "ada@example.com", "wrong-password").status_code == 200
    fifth = sign_in(client, "ada@example.com", "wrong-password")
    assert fifth.status_code == 429
    assert "Try again in 15 minutes." in fifth.content.decode()

    right_password = sign_in(client, "ada@example.com", PASSWORD)
    assert right_password.status_code == 429
    assert signed_in_user_id(client) is None


def test_lockout_is_per_account_and_address(person, make_user):
    make_user("grace@example.com", password=PASSWORD)
    client = Client()
    for _attempt in range(5):
        sign_in(client, "ada@example.com", "wrong-password")
    # Another account from the same address, and the same account from another address, still work.
    assert sign_in(Client(), "grace@example.com", PASSWORD).status_code == 302
    elsewhere = Client(REMOTE_ADDR="192.0.2.7")
    assert sign_in(elsewhere, "ada@example.com", PASSWORD).status_code == 302


def test_lockout_page_is_translated(person):
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    for _attempt in range(5):
        response = sign_in(client, "ada@example.com", "wrong-password")
    assert response.status_code == 429
    assert response["Content-Language"] == "fr"


def test_success_clears_earlier_failures(person):
    client = Client()
    for _attempt in range(3):
        sign_in(client, "ada@example.com", "wrong-password")
    assert AccessAttempt.objects.filter(username="ada@example.com").exists()
    assert sign_in(client, "ada@example.com", PASSWORD).status_code == 302
    assert not AccessAttempt.objects.filter(username="ada@example.com").exists()


def test_logout_signs_out(person, client_for):
    client = client_for(person)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert signed_in_user_id(client) is None
