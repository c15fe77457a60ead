import pytest
from django.test import Client

from portevoix.workspaces import services
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def test_admin_shows_no_secret_and_audit_is_read_only(team, make_user):
    admin_user = make_user("root@example.com", is_staff=True, is_superuser=True)
    issued = services.api_token_create(by=team.member(Role.OWNER), name="ci")
    invited = services.invitation_create(by=team.member(Role.OWNER), email="i@example.com", role=Role.CLIENT)
    client = Client()
    client.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")
    token_page = client.get(f"/admin/workspaces/apitoken/{issued.token.pk}/change/").content.decode()
    assert issued.token.token_hash not in token_page
    assert issued.secret not in token_page
    invitation_page = client.get(
        f"/admin/workspaces/invitation/{invited.invitation.pk}/change/"
    ).content.decode()
    assert invited.invitation.token_hash not in invitation_page
    event_id = team.workspace.audit_events.first().pk
    assert client.post(f"/admin/workspaces/auditevent/{event_id}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert client.get("/admin/accounts/user/").status_code == 200
