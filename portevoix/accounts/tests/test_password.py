"""Changing a password while signed in, and resetting a forgotten one by e-mail."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client

from portevoix.accounts.tests.helpers import PASSWORD, sign_in
from portevoix.workspaces.models import AuditEvent

NEW_PASSWORD = "another-rather-long-passphrase"


def test_password_change_keeps_this_session_and_signs_out_others(person, client_for):
    this_session, other_session = client_for(person), client_for(person)
    response = this_session.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/security/"
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert this_session.get("/accounts/profile/").status_code == 200
    assert other_session.get("/accounts/profile/").status_code == 302
    assert AuditEvent.objects.filter(actor=person, action="password.change", workspace=None).count() == 1


def test_password_change_checks_the_old_password_and_the_rules(person, client_for):
    client = client_for(person)
    wrong_old = client.post(
        "/accounts/password/change/",
        {
            "old_password": "nope",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    too_short = client.post(
        "/accounts/password/change/",
        {
            "old_password": PASSWORD,
            "new_password1": "short",
            "new_password2": "short",
        },
    )
    assert wrong_old.status_code == too_short.status_code == 200
    assert wrong_old.context["form"].errors["old_password"]
    assert too_short.context["form"].errors["new_password2"]
    person.refresh_from_db()
    assert person.check_password(PASSWORD)


def test_password_reset_end_to_end(person):
    client = Client()
    assert b"Forgot your password?" in client.get("/accounts/login/").content
    response = client.post("/accounts/password/reset/", {"email": "ADA@example.com"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"]
    assert message.subject == "Reset your Portevoix password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", message.body).group(1)

    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert form_page.context["validlink"]
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert done["Location"] == "/accounts/password/reset/done/"
    person.refresh_from_db()
    assert person.check_password(NEW_PASSWORD)
    assert AuditEvent.objects.filter(actor=person, action="password.reset", workspace=None).count() == 1
    assert sign_in(Client(), "ada@example.com", NEW_PASSWORD).status_code == 302

    # The link works once.
    again = Client().get(link, follow=True)
    assert again.status_code == 200
    assert not again.context["validlink"]
    assert b'data-testid="invalid-link"' in again.content


def test_password_reset_does_not_reveal_whether_an_account_exists(person):
    known = Client().post("/accounts/password/reset/", {"email": "ada@example.com"})
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]


def test_password_reset_link_uses_the_configured_public_address(person, settings):
    settings.PORTEVOIX_BASE_URL = "https://social.example.org"
    Client().post("/accounts/password/reset/", {"email": "ada@example.com"})
    assert "https://social.example.org/accounts/password/reset/" in mail.outbox[0].body


def test_password_reset_does_not_skip_two_factor(person):
    from portevoix.accounts.tests.helpers import enrol

    enrol(person)
    client = Client()
    client.post("/accounts/password/reset/", {"email": "ada@example.com"})
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/\S+/)", mail.outbox[0].body).group(1)
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert "_auth_user_id" not in client.session
    assert sign_in(client, "ada@example.com", NEW_PASSWORD)["Location"] == "/accounts/login/verify/"


def test_tampered_reset_link_is_invalid(person):
    response = Client().get("/accounts/password/reset/MQ/not-a-token/")
    assert response.status_code == 200
    assert not response.context["validlink"]
