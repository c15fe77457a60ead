"""Two-factor authentication: set-up on the security page, sign-in with the app or a recovery code."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portevoix.accounts import login_flow, two_factor
from portevoix.accounts.tests.helpers import PASSWORD, app_code, enrol, sign_in
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def is_verified(client: Client) -> bool:
    return "otp_device_id" in client.session


# --- Set-up -----------------------------------------------------------------------------------------


def test_full_enrolment_from_the_security_page(person, client_for):
    client = client_for(person)
    page = client.get("/accounts/security/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<div class="pv-qr" data-testid="totp-qr"><svg' in html
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    shown_secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    assert shown_secret.replace(" ", "") == two_factor.provisioning_for(device).secret.replace(" ", "")

    # Reloading the page keeps the same secret: the app scanned a moment ago stays valid.
    client.get("/accounts/security/")
    assert TOTPDevice.objects.filter(user=person).count() == 1

    response = client.post("/accounts/security/setup/", {"code": app_code(device)})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", response.content.decode())
    assert len(codes) == 10
    assert len(set(codes)) == 10
    assert response["Cache-Control"].startswith("max-age=0")
    device.refresh_from_db()
    assert device.confirmed
    assert two_factor.has_two_factor(person)
    assert is_verified(client)  # the person just proved they hold the device
    assert AuditEvent.objects.filter(actor=person, action="2fa.enable", workspace=None).count() == 1

    # The codes are never shown again.
    after = client.get("/accounts/security/").content.decode()
    assert codes[0] not in after
    assert "10 unused recovery codes" in after


def test_wrong_code_at_enrolment_keeps_2fa_off(person, client_for):
    client = client_for(person)
    client.get("/accounts/security/")
    response = client.post("/accounts/security/setup/", {"code": "000000"})
    assert response.status_code == 200
    assert "This code is not valid" in response.content.decode()
    assert not two_factor.has_two_factor(person)


def test_login_with_the_app_code(person):
    device, _codes = enrol(person)
    client = Client()
    response = sign_in(client, "ada@example.com", PASSWORD, next="/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/verify/"
    assert signed_in_user_id(client) is None  # not signed in after the password alone

    response = client.post("/accounts/login/verify/", {"code": app_code(device, steps_ahead=1)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert signed_in_user_id(client) == str(person.pk)
    assert client.session["otp_device_id"] == device.persistent_id
    assert login_flow.PENDING_SESSION_KEY not in client.session


def test_an_app_code_works_only_once(person, no_otp_throttle):
    device, _codes = enrol(person)
    code = app_code(device, steps_ahead=1)
    first = Client()
    sign_in(first, "ada@example.com", PASSWORD)
    assert first.post("/accounts/login/verify/", {"code": code}).status_code == 302

    second = Client()
    sign_in(second, "ada@example.com", PASSWORD)
    response = second.post("/accounts/login/verify/", {"code": code})
    assert response.status_code == 200
    assert "This code is not valid." in response.content.decode()
    assert signed_in_user_id(second) is None


def test_login_with_a_recovery_code_works_once(person, no_otp_throttle):
    _device, codes = enrol(person)
    client = Client()
    sign_in(client, "ada@example.com", PASSWORD)
    response = client.post("/accounts/login/verify/", {"code": codes[3].upper().replace("-", " ")})
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(person.pk)
    assert client.session["otp_device_id"].startswith("otp_static.staticdevice/")
    assert StaticToken.objects.filter(device__user=person).count() == 9

    again = Client()
    sign_in(again, "ada@example.com", PASSWORD)
    response = again.post("/accounts/login/verify/", {"code": codes[3]})
    assert response.status_code == 200
    assert "This code is not valid." in response.content.decode()
    assert signed_in_user_id(again) is None


def test_wrong_code_is_a_form_error_then_throttled(person):
    device, _codes = enrol(person)
    client = Client()
    sign_in(client, "ada@example.com", PASSWORD)
    wrong = client.post("/accounts/login/verify/", {"code": "123456"})
    assert wrong.status_code == 200
    assert "This code is not valid." in wrong.content.decode()
    # django-otp now makes the device wait before it checks another code, even a right one.
    throttled = client.post("/accounts/login/verify/", {"code": app_code(device, steps_ahead=1)})
    assert throttled.status_code == 200
    assert "Too many wrong codes. Wait" in throttled.content.decode()
    assert signed_in_user_id(client) is None


def test_wrong_codes_count_as_failed_sign_ins_and_lock_out(person, no_otp_throttle):
    enrol(person)
    client = Client()
    sign_in(client, "ada@example.com", PASSWORD)
    for _attempt in range(4):
        assert client.post("/accounts/login/verify/", {"code": "123456"}).status_code == 200
    assert client.post("/accounts/login/verify/", {"code": "123456"}).status_code == 429
    # The half-finished sign-in is dropped, and the password step is locked too.
    assert login_flow.PENDING_SESSION_KEY not in client.session
    assert sign_in(client, "ada@example.com", PASSWORD).status_code == 429
    assert signed_in_user_id(client) is None


def test_pending_second_step_expires_after_five_minutes(person):
    device, _codes = enrol(person)
    client = Client()
    sign_in(client, "ada@example.com", PASSWORD)
    session = client.session
    session[login_flow.PENDING_SESSION_KEY]["started"] -= login_flow.PENDING_MAX_AGE + 1
    session.save()
    response = client.post("/accounts/login/verify/", {"code": app_code(device, steps_ahead=1)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert signed_in_user_id(client) is None
    assert login_flow.PENDING_SESSION_KEY not in client.session


def test_verify_page_without_a_password_step_goes_back_to_login(person):
    response = Client().get("/accounts/login/verify/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"


def test_tampered_pending_state_is_refused(person):
    enrol(person)
    client = Client()
    sign_in(client, "ada@example.com", PASSWORD)
    session = client.session
    session[login_flow.PENDING_SESSION_KEY] = {"user_id": "x", "backend": "os.system", "started": "soon"}
    session.save()
    assert client.get("/accounts/login/verify/")["Location"] == "/accounts/login/"


# --- Managing it afterwards ---------------------------------------------------------------------------


def test_regenerating_recovery_codes_replaces_the_old_ones(person, client_for):
    _device, old_codes = enrol(person)
    client = client_for(person)
    response = client.post("/accounts/security/recovery-codes/")
    assert response.status_code == 200
    new_codes = re.findall(r"<li><code>([a-z2-7]{5}-[a-z2-7]{5})</code></li>", response.content.decode())
    assert len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)
    stored = set(StaticToken.objects.filter(device__user=person).values_list("token", flat=True))
    assert stored == {code.replace("-", "") for code in new_codes}
    assert AuditEvent.objects.filter(actor=person, action="recovery_codes.regenerate").count() == 1


def test_disabling_needs_the_password(person, client_for):
    enrol(person)
    client = client_for(person)
    response = client.post("/accounts/security/disable/", {"password": "wrong"})
    assert response.status_code == 200
    assert "Wrong password." in response.content.decode()
    assert two_factor.has_two_factor(person)

    response = client.post("/accounts/security/disable/", {"password": PASSWORD})
    assert response.status_code == 302
    assert not two_factor.has_two_factor(person)
    assert not StaticDevice.objects.filter(user=person).exists()
    assert AuditEvent.objects.filter(actor=person, action="2fa.disable", workspace=None).count() == 1
    # Signing in needs the password only again.
    client = Client()
    assert sign_in(client, "ada@example.com", PASSWORD)["Location"] == "/"


def test_disabling_is_refused_while_a_workspace_requires_it(team, client_for):
    owner = team.user(Role.OWNER)
    enrol(owner)
    team.workspace.require_2fa = True
    team.workspace.save()
    client = client_for(owner)
    page = client.get("/accounts/security/").content.decode()
    assert "You cannot turn it off while a workspace you belong to requires it" in page
    response = client.post(
        "/accounts/security/disable/", {"password": "correct-horse-battery-staple"}, follow=True
    )
    assert "The workspace Acme requires two-factor authentication" in response.content.decode()
    assert two_factor.has_two_factor(owner)


@pytest.mark.parametrize(
    "url",
    [
        "/accounts/security/setup/",
        "/accounts/security/verify/",
        "/accounts/security/disable/",
        "/accounts/security/recovery-codes/",
    ],
)
def test_security_actions_need_a_signed_in_post(person, url):
    assert Client().get(url).status_code == 405
    response = Client().post(url, {"code": "123456", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
