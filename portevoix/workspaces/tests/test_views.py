"""The workspace shell as a person uses it: setup, team, invitations, settings, audit log, tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from portevoix.accounts.models import User
from portevoix.workspaces import services
from portevoix.workspaces.models import ApiToken, AuditEvent, Invitation, Membership, Workspace
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

SETUP = {
    "full_name": "Olivia Owner",
    "email": "olivia@example.com",
    "password1": "a-long-enough-passphrase",
    "password2": "a-long-enough-passphrase",
    "name": "Maison Lumière",
    "timezone": "Europe/Paris",
    "language": "fr",
}


def test_first_visit_leads_to_setup_which_creates_owner_and_workspace():
    client = Client()
    assert client.get("/").url == "/setup/"
    response = client.post("/setup/", SETUP)
    workspace = Workspace.objects.get()
    assert response.status_code == 302
    assert response.url == f"/w/{workspace.slug}/"
    owner = User.objects.get()
    assert owner.is_superuser
    assert owner.check_password(SETUP["password1"])
    assert Membership.objects.get(user=owner).role == Role.OWNER
    assert client.get(response.url).status_code == 200
    # Once set up, the page is gone: a second owner cannot be created by anyone.
    assert Client().get("/setup/").status_code == 302
    assert Client().post("/setup/", {**SETUP, "email": "mallory@example.com"}).status_code == 404
    assert User.objects.count() == 1


def test_setup_shows_field_errors_and_creates_nothing():
    response = Client().post("/setup/", {**SETUP, "email": "nope", "password2": "different", "timezone": "X"})
    assert response.status_code == 200
    form = response.context["form"]
    assert {"email", "password2", "timezone"} <= set(form.errors)
    assert not User.objects.exists()
    weak = Client().post("/setup/", {**SETUP, "password1": "123", "password2": "123"})
    assert "password1" in weak.context["form"].errors
    assert not Workspace.objects.exists()


def test_invite_from_team_page_then_accept_as_new_person(
    team, client_for, django_capture_on_commit_callbacks
):
    manager = client_for(team.user(Role.MANAGER))
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            f"/w/{team.workspace.slug}/team/", {"email": "Cleo@Example.com", "role": "copywriter"}
        )
    assert response.status_code == 302
    link = re.search(r"http://\S+/invite/(\S+)/", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    path = f"/invite/{link.group(1)}/"
    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200
    assert "cleo@example.com" in page.content.decode()
    bad = visitor.post(path, {"full_name": "Cleo", "password1": "short", "password2": "short"})
    assert bad.status_code == 200
    assert "password1" in bad.context["form"].errors
    assert not User.objects.filter(email="cleo@example.com").exists()
    done = visitor.post(
        path,
        {
            "full_name": "Cleo",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    assert done.status_code == 302
    assert done.url == f"/w/{team.workspace.slug}/"
    cleo = User.objects.get(email="cleo@example.com")
    assert Membership.objects.get(user=cleo).role == Role.COPYWRITER
    # Works once.
    again = Client().get(path)
    assert again.status_code == 410


def test_invitation_for_existing_account_asks_to_sign_in_first(team, make_user, client_for):
    existing = make_user("known@example.com")
    issued = services.invitation_create(
        by=team.member(Role.OWNER), email="known@example.com", role=Role.CLIENT
    )
    response = Client().get(f"/invite/{issued.token}/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/?next=%2Finvite%2F")
    signed_in = client_for(existing)
    assert signed_in.post(f"/invite/{issued.token}/").status_code == 302
    assert Membership.objects.get(user=existing).role == Role.CLIENT


def test_expired_revoked_and_forged_links_say_so(team):
    owner = team.member(Role.OWNER)
    expired = services.invitation_create(by=owner, email="e@example.com", role=Role.CLIENT)
    Invitation.objects.filter(pk=expired.invitation.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    revoked = services.invitation_create(by=owner, email="r@example.com", role=Role.CLIENT)
    services.invitation_revoke(invitation=revoked.invitation, by=owner)
    assert Client().get(f"/invite/{expired.token}/").status_code == 410
    assert Client().post(f"/invite/{expired.token}/", {"full_name": "x"}).status_code == 410
    assert Client().get(f"/invite/{revoked.token}/").status_code == 404
    assert Client().get("/invite/forged/").status_code == 404


def test_invite_form_errors_are_shown(team, client_for):
    manager = client_for(team.user(Role.MANAGER))
    response = manager.post(f"/w/{team.workspace.slug}/team/", {"email": "bad", "role": "owner"})
    assert response.status_code == 200
    assert {"email", "role"} <= set(response.context["invite_form"].errors)
    assert not Invitation.objects.exists()


def test_role_change_and_removal_from_team_page(team, client_for):
    owner = client_for(team.user(Role.OWNER))
    writer = team.member(Role.COPYWRITER)
    slug = team.workspace.slug
    owner.post(f"/w/{slug}/team/{writer.pk}/role/", {"role": "designer"})
    writer.refresh_from_db()
    assert writer.role == Role.DESIGNER
    response = owner.post(f"/w/{slug}/team/{writer.pk}/role/", {"role": "wizard"}, follow=True)
    assert response.status_code == 200
    writer.refresh_from_db()
    assert writer.role == Role.DESIGNER
    owner.post(f"/w/{slug}/team/{writer.pk}/remove/")
    assert not Membership.objects.filter(pk=writer.pk).exists()


def test_last_owner_sees_a_message_not_an_error(team, client_for):
    owner_member = team.member(Role.OWNER)
    owner = client_for(owner_member.user)
    response = owner.post(f"/w/{team.workspace.slug}/team/{owner_member.pk}/remove/", follow=True)
    assert response.status_code == 200
    assert "at least one owner" in response.content.decode()
    assert Membership.objects.filter(pk=owner_member.pk).exists()


def test_member_can_leave(team, client_for):
    analyst = team.member(Role.ANALYST)
    response = client_for(analyst.user).post(f"/w/{team.workspace.slug}/team/{analyst.pk}/remove/")
    assert response.status_code == 302
    assert response.url == "/"
    assert AuditEvent.objects.filter(action="member.leave", actor=analyst.user).exists()


def test_settings_save_and_validate(team, client_for):
    owner = client_for(team.user(Role.OWNER))
    url = f"/w/{team.workspace.slug}/settings/"
    ok = owner.post(url, {"name": "Acme Europe", "timezone": "Europe/Berlin", "language": "ru"})
    assert ok.status_code == 302
    team.workspace.refresh_from_db()
    assert (team.workspace.name, team.workspace.timezone, team.workspace.language) == (
        "Acme Europe",
        "Europe/Berlin",
        "ru",
    )
    bad = owner.post(url, {"name": "", "timezone": "Nowhere/Land", "language": "xx"})
    assert bad.status_code == 200
    assert {"name", "timezone", "language"} <= set(bad.context["form"].errors)
    needs_2fa = owner.post(url, {"name": "Acme", "timezone": "UTC", "language": "en", "require_2fa": "on"})
    assert "require_2fa" in needs_2fa.context["form"].errors


def test_audit_log_lists_and_filters(team, client_for):
    owner = team.member(Role.OWNER)
    services.invitation_create(by=owner, email="a@example.com", role=Role.CLIENT)
    services.membership_update_role(membership=team.member(Role.DESIGNER), role=Role.ANALYST, by=owner)
    client = client_for(owner.user)
    url = f"/w/{team.workspace.slug}/audit/"
    everything = client.get(url)
    actions = [event.action for event in everything.context["page"]]
    assert {"invitation.create", "member.update", "workspace.create"} <= set(actions)
    only_members = client.get(url, {"action": "member."})
    assert [event.action for event in only_members.context["page"]] == ["member.update"]
    by_actor = client.get(url, {"actor": team.user(Role.MANAGER).pk})
    assert list(by_actor.context["page"]) == []
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    future = client.get(url, {"since": tomorrow})
    assert list(future.context["page"]) == []
    garbage = client.get(url, {"since": "not-a-date", "actor": "abc"})
    assert garbage.status_code == 200


def test_audit_log_of_another_workspace_is_invisible(team, other_team, client_for):
    services.invitation_create(by=other_team.member(Role.OWNER), email="secret@example.com", role=Role.CLIENT)
    page = client_for(team.user(Role.OWNER)).get(f"/w/{team.workspace.slug}/audit/")
    assert "secret@example.com" not in page.content.decode()


def test_token_secret_is_shown_once(team, client_for):
    client = client_for(team.user(Role.COPYWRITER))
    url = f"/w/{team.workspace.slug}/tokens/"
    created = client.post(url, {"name": "zapier"})
    secret = created.context["new_secret"]
    assert secret.startswith("pvx_")
    assert secret in created.content.decode()
    assert created["Cache-Control"] == "no-store"
    listing = client.get(url).content.decode()
    assert "zapier" in listing
    assert secret not in listing
    token = ApiToken.objects.get(name="zapier")
    client.post(f"/w/{team.workspace.slug}/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_someone_elses_token_cannot_be_revoked(team, client_for):
    issued = services.api_token_create(by=team.member(Role.DESIGNER), name="mine")
    response = client_for(team.user(Role.OWNER)).post(
        f"/w/{team.workspace.slug}/tokens/{issued.token.pk}/revoke/"
    )
    assert response.status_code == 404
    issued.token.refresh_from_db()
    assert issued.token.revoked_at is None


def test_switcher_lists_only_own_workspaces_and_remembers_the_last(team, other_team, client_for, make_user):
    user = team.user(Role.ANALYST)
    Membership.objects.create(workspace=other_team.workspace, user=user, role=Role.CLIENT)
    client = client_for(user)
    page = client.get(f"/w/{other_team.workspace.slug}/")
    names = [m.workspace.name for m in page.context["nav_memberships"]]
    assert names == ["Acme", "Globex"]
    assert client.get("/").url == f"/w/{other_team.workspace.slug}/"
    stranger = client_for(make_user())
    assert stranger.get(f"/w/{team.workspace.slug}/").status_code == 404
    assert stranger.get("/").url == "/workspaces/new/"


def test_client_sees_no_team_section(team, client_for):
    page = client_for(team.user(Role.CLIENT)).get(f"/w/{team.workspace.slug}/")
    labels = [str(item["label"]) for item in page.context["nav_sections"]]
    assert "Team" not in labels
    assert "Audit log" not in labels
    assert "Overview" in labels


def test_create_another_workspace(client_for, make_user):
    client = client_for(make_user())
    response = client.post(
        "/workspaces/new/", {"name": "Agency client B", "timezone": "Asia/Tokyo", "language": "en"}
    )
    assert response.status_code == 302
    assert Workspace.objects.get(name="Agency client B").timezone == "Asia/Tokyo"
