"""A workspace that requires two-factor authentication sends unverified sessions to the security page."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from portevoix.accounts.tests.helpers import app_code, enrol, sign_in
from portevoix.workspaces.roles import Role

TEAM_PASSWORD = "correct-horse-battery-staple"  # the root conftest's make_user default


@pytest.fixture
def strict_team(team):
    team.workspace.require_2fa = True
    team.workspace.save()
    return team


def test_unverified_session_is_sent_to_the_security_page_naming_the_workspace(strict_team, client_for):
    client = client_for(strict_team.user(Role.COPYWRITER))
    response = client.get(f"/w/{strict_team.workspace.slug}/")
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/security/?workspace={strict_team.workspace.slug}"

    page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "The workspace Acme requires two-factor authentication." in html
    assert "Set it up below to open it." in html


def test_notice_never_names_a_workspace_the_person_does_not_belong_to(strict_team, other_team, client_for):
    client = client_for(other_team.user(Role.OWNER))
    html = client.get(f"/accounts/security/?workspace={strict_team.workspace.slug}").content.decode()
    assert "Acme" not in html


def test_enrolling_from_the_notice_leads_back_to_the_workspace(strict_team, client_for):
    user = strict_team.user(Role.COPYWRITER)
    client = client_for(user)
    client.get(f"/accounts/security/?workspace={strict_team.workspace.slug}")
    device = TOTPDevice.objects.get(user=user)
    response = client.post(
        "/accounts/security/setup/", {"code": app_code(device), "workspace": strict_team.workspace.slug}
    )
    assert f'href="/w/{strict_team.workspace.slug}/"' in response.content.decode()
    assert client.get(f"/w/{strict_team.workspace.slug}/").status_code == 200


def test_otp_verified_sign_in_opens_the_workspace(strict_team):
    user = strict_team.user(Role.ANALYST)
    device, _codes = enrol(user)
    client = Client()
    sign_in(client, user.email, TEAM_PASSWORD, next=f"/w/{strict_team.workspace.slug}/")
    response = client.post("/accounts/login/verify/", {"code": app_code(device, steps_ahead=1)})
    assert response["Location"] == f"/w/{strict_team.workspace.slug}/"
    assert client.get(response["Location"]).status_code == 200


def test_a_session_opened_before_2fa_can_be_verified_on_the_security_page(strict_team, client_for):
    user = strict_team.user(Role.ANALYST)
    enrol(user)
    client = client_for(user)  # signed in without the second factor
    assert client.get(f"/w/{strict_team.workspace.slug}/").status_code == 302
    page = client.get(f"/accounts/security/?workspace={strict_team.workspace.slug}").content.decode()
    assert "Enter a code from your authenticator app below to open it." in page

    data = {"code": "000000", "workspace": strict_team.workspace.slug}
    wrong = client.post("/accounts/security/verify/", data)
    assert wrong.status_code == 200
    assert "This code is not valid." in wrong.content.decode()

    assert client.get(f"/w/{strict_team.workspace.slug}/").status_code == 302


def test_verify_session_with_the_right_code(strict_team, client_for):
    user = strict_team.user(Role.ANALYST)
    device, _codes = enrol(user)
    client = client_for(user)
    response = client.post(
        "/accounts/security/verify/",
        {"code": app_code(device, steps_ahead=1), "workspace": strict_team.workspace.slug},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/w/{strict_team.workspace.slug}/"
    assert client.get(response["Location"]).status_code == 200
