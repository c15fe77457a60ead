"""Workspaces, memberships, invitations and their audit trail, through the services."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from portevoix.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portevoix.workspaces import services
from portevoix.workspaces.models import ApiToken, AuditEvent, Invitation, Membership
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def test_creator_becomes_owner_and_creation_is_audited(make_user):
    user = make_user()
    workspace = services.workspace_create(user=user, name="Café Lumière", timezone_name="Europe/Paris")
    assert Membership.objects.get(workspace=workspace, user=user).role == Role.OWNER
    assert workspace.slug == "cafe-lumiere"
    event = AuditEvent.objects.get(workspace=workspace)
    assert (event.action, event.actor, event.via) == ("workspace.create", user, "cli")


def test_slugs_stay_unique(make_user):
    first = services.workspace_create(user=make_user(), name="Acme")
    second = services.workspace_create(user=make_user(), name="Acme")
    assert first.slug != second.slug


@pytest.mark.parametrize(
    ("name", "tz", "language", "field"),
    [("", "UTC", "en", "name"), ("Ok", "Mars/Olympus", "en", "timezone"), ("Ok", "UTC", "de", "language")],
)
def test_workspace_fields_are_validated(make_user, name, tz, language, field):
    with pytest.raises(ValidationFailed) as caught:
        services.workspace_create(user=make_user(), name=name, timezone_name=tz, language=language)
    assert field in caught.value.fields


def test_only_owner_updates_workspace(team):
    with pytest.raises(PermissionDenied):
        services.workspace_update(workspace=team.workspace, by=team.member(Role.MANAGER), name="X")
    services.workspace_update(workspace=team.workspace, by=team.member(Role.OWNER), name="Acme Corp")
    team.workspace.refresh_from_db()
    assert team.workspace.name == "Acme Corp"
    assert AuditEvent.objects.filter(action="workspace.update", data__name="Acme Corp").exists()


def test_requiring_2fa_needs_it_on_the_owner_first(team):
    with pytest.raises(ValidationFailed):
        services.workspace_update(workspace=team.workspace, by=team.member(Role.OWNER), require_2fa=True)


# --- Invitations --------------------------------------------------------------------------------


def test_invitation_is_emailed_and_accepted_once(team, make_user, django_capture_on_commit_callbacks):
    manager = team.member(Role.MANAGER)
    with django_capture_on_commit_callbacks(execute=True):
        issued = services.invitation_create(by=manager, email="New.Writer@Example.com", role=Role.COPYWRITER)
    assert issued.invitation.email == "new.writer@example.com"
    assert issued.token not in issued.invitation.token_hash
    assert len(mail.outbox) == 1
    assert issued.token in mail.outbox[0].body
    assert mail.outbox[0].to == ["new.writer@example.com"]

    newcomer = make_user("new.writer@example.com")
    membership = services.invitation_accept(token=issued.token, user=newcomer)
    assert membership.role == Role.COPYWRITER
    assert membership.workspace == team.workspace

    with pytest.raises(Conflict):
        services.invitation_accept(token=issued.token, user=make_user())
    assert AuditEvent.objects.filter(action="invitation.accept", actor=newcomer).count() == 1


def test_expired_invitation_is_refused(team, make_user):
    issued = services.invitation_create(
        by=team.member(Role.OWNER), email="late@example.com", role=Role.ANALYST
    )
    Invitation.objects.filter(pk=issued.invitation.pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(Conflict, match="expired"):
        services.invitation_accept(token=issued.token, user=make_user("late@example.com"))
    assert not Membership.objects.filter(user__email="late@example.com").exists()


def test_revoked_or_unknown_invitation_is_not_found(team, make_user):
    owner = team.member(Role.OWNER)
    issued = services.invitation_create(by=owner, email="x@example.com", role=Role.DESIGNER)
    services.invitation_revoke(invitation=issued.invitation, by=owner)
    with pytest.raises(NotFound):
        services.invitation_accept(token=issued.token, user=make_user())
    with pytest.raises(NotFound):
        services.invitation_accept(token="forged-token", user=make_user())


def test_reinviting_replaces_the_pending_link(team, make_user):
    owner = team.member(Role.OWNER)
    first = services.invitation_create(by=owner, email="twice@example.com", role=Role.DESIGNER)
    second = services.invitation_create(by=owner, email="twice@example.com", role=Role.ANALYST)
    with pytest.raises(NotFound):
        services.invitation_accept(token=first.token, user=make_user("twice@example.com"))
    membership = services.invitation_accept(token=second.token, user=make_user("twice2@example.com"))
    assert membership.role == Role.ANALYST


@pytest.mark.parametrize(
    "role", [Role.COPYWRITER, Role.DESIGNER, Role.TARGETOLOGIST, Role.ANALYST, Role.CLIENT]
)
def test_only_leads_invite(team, role):
    with pytest.raises(PermissionDenied):
        services.invitation_create(by=team.member(role), email="a@example.com", role=Role.CLIENT)


def test_manager_cannot_invite_an_owner(team):
    with pytest.raises(ValidationFailed) as caught:
        services.invitation_create(by=team.member(Role.MANAGER), email="boss@example.com", role=Role.OWNER)
    assert "role" in caught.value.fields


def test_inviting_an_existing_member_or_garbage_is_refused(team):
    owner = team.member(Role.OWNER)
    with pytest.raises(ValidationFailed) as caught:
        services.invitation_create(by=owner, email=team.user(Role.CLIENT).email, role=Role.CLIENT)
    assert "email" in caught.value.fields
    with pytest.raises(ValidationFailed) as caught:
        services.invitation_create(by=owner, email="not an email", role="wizard")
    assert set(caught.value.fields) == {"email", "role"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_acceptance_of_one_link_yields_one_membership(team, make_user):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:memorydb"):
        pytest.skip("in-memory SQLite is one connection; the race is exercised on PostgreSQL in CI")
    issued = services.invitation_create(
        by=team.member(Role.OWNER), email="race@example.com", role=Role.CLIENT
    )
    users = [make_user(f"race{i}@example.com") for i in range(4)]
    outcomes: list[str] = []

    def accept(user):
        try:
            services.invitation_accept(token=issued.token, user=user)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
    assert Membership.objects.filter(workspace=team.workspace, role=Role.CLIENT).count() == 2


# --- Members ------------------------------------------------------------------------------------


def test_manager_changes_roles_but_not_ownership(team):
    manager = team.member(Role.MANAGER)
    writer = team.member(Role.COPYWRITER)
    services.membership_update_role(membership=writer, role=Role.DESIGNER, by=manager)
    writer.refresh_from_db()
    assert writer.role == Role.DESIGNER
    with pytest.raises(PermissionDenied):
        services.membership_update_role(membership=writer, role=Role.OWNER, by=manager)
    with pytest.raises(PermissionDenied):
        services.membership_update_role(membership=team.member(Role.OWNER), role=Role.CLIENT, by=manager)
    event = AuditEvent.objects.get(action="member.update")
    assert event.data == {"old_role": "copywriter", "role": "designer", "member": writer.user.email}


def test_last_owner_can_neither_be_demoted_nor_leave(team):
    owner = team.member(Role.OWNER)
    with pytest.raises(Conflict):
        services.membership_update_role(membership=owner, role=Role.MANAGER, by=owner)
    with pytest.raises(Conflict):
        services.membership_remove(membership=owner, by=owner)
    services.membership_update_role(membership=team.member(Role.MANAGER), role=Role.OWNER, by=owner)
    services.membership_remove(membership=owner, by=owner)
    assert not Membership.objects.filter(pk=owner.pk).exists()


def test_removing_a_member_revokes_their_tokens(team):
    writer = team.member(Role.COPYWRITER)
    issued = services.api_token_create(by=writer, name="script")
    services.membership_remove(membership=writer, by=team.member(Role.MANAGER))
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None
    assert services.api_token_authenticate(issued.secret) is None


def test_members_of_another_workspace_are_out_of_reach(team, other_team):
    foreign = other_team.member(Role.COPYWRITER)
    with pytest.raises(NotFound):
        services.membership_update_role(membership=foreign, role=Role.CLIENT, by=team.member(Role.OWNER))
    with pytest.raises(NotFound):
        services.membership_remove(membership=foreign, by=team.member(Role.OWNER))


# --- API tokens ---------------------------------------------------------------------------------


def test_token_secret_is_hashed_and_authenticates(team):
    issued = services.api_token_create(by=team.member(Role.ANALYST), name="reports")
    assert issued.secret.startswith("pvx_")
    assert issued.secret not in issued.token.token_hash
    token, membership = services.api_token_authenticate(issued.secret)
    assert token.pk == issued.token.pk
    assert membership.role == Role.ANALYST
    assert services.api_token_authenticate(issued.secret + "x") is None
    assert services.api_token_authenticate("pvx_nope_nope") is None
    assert services.api_token_authenticate("") is None


def test_expired_and_revoked_tokens_fail(team):
    member = team.member(Role.DESIGNER)
    issued = services.api_token_create(by=member, name="soon", expires_at=timezone.now() + timedelta(hours=1))
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.api_token_authenticate(issued.secret) is None
    other = services.api_token_create(by=member, name="revoked")
    services.api_token_revoke(token=other.token, by=member)
    assert services.api_token_authenticate(other.secret) is None
    assert AuditEvent.objects.filter(action="token.revoke").count() == 1


def test_token_validation(team):
    with pytest.raises(ValidationFailed) as caught:
        services.api_token_create(
            by=team.member(Role.OWNER), name=" ", expires_at=timezone.now() - timedelta(days=1)
        )
    assert set(caught.value.fields) == {"name", "expires_at"}


def test_first_run_setup_only_once(db):
    user, workspace = services.first_run_setup(
        email="Owner@Example.com",
        password="a-long-enough-passphrase",
        full_name="Olga",
        workspace_name="Brand",
        timezone_name="Europe/Moscow",
        language="ru",
    )
    assert user.is_superuser
    assert user.email == "owner@example.com"
    assert workspace.language == "ru"
    with pytest.raises(Conflict):
        services.first_run_setup(
            email="second@example.com",
            password="a-long-enough-passphrase",
            full_name="X",
            workspace_name="B",
            timezone_name="UTC",
            language="en",
        )
