"""``portevoix demo``: the demonstration workspace with a member in every role, built idempotently."""

from __future__ import annotations

import io
import re
import stat

import pytest
from django.core.management import CommandError, call_command

from portevoix.accounts.models import User
from portevoix.workspaces.management.commands.demo import EMAIL_DOMAIN, PEOPLE, WORKSPACE_NAME
from portevoix.workspaces.models import AuditEvent, Membership, Workspace
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

CREDENTIAL_LINE = re.compile(r"^\s+(\w+)\s+(\S+@demo\.portevoix\.invalid)\s+(\S+)\s+\(", re.MULTILINE)


def run_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


def test_demo_creates_the_workspace_with_a_member_in_every_role():
    output = run_demo()
    workspace = Workspace.objects.get(name=WORKSPACE_NAME)
    assert (workspace.timezone, workspace.language) == ("Europe/Paris", "fr")
    roles = dict(Membership.objects.filter(workspace=workspace).values_list("role", "user__email"))
    assert set(roles) == set(Role.values)
    assert all(email.endswith(f"@{EMAIL_DOMAIN}") for email in roles.values())
    assert all(user.full_name for user in User.objects.filter(email__endswith=EMAIL_DOMAIN))
    # Every account is usable with the password printed for it, and the passwords all differ.
    printed = {email: password for _role, email, password in CREDENTIAL_LINE.findall(output)}
    assert set(printed) == set(roles.values())
    assert len(set(printed.values())) == len(printed)
    for email, password in printed.items():
        assert User.objects.get(email=email).check_password(password)
    # Built through the services: audited like any workspace and membership.
    actions = list(AuditEvent.objects.filter(workspace=workspace).values_list("action", flat=True))
    assert actions.count("workspace.create") == 1
    assert actions.count("member.add") == len(Role) - 1


def test_running_demo_twice_duplicates_nothing_and_prints_no_password():
    first = run_demo()
    hashes = dict(User.objects.values_list("email", "password"))
    second = run_demo()
    assert Workspace.objects.filter(name=WORKSPACE_NAME).count() == 1
    assert User.objects.filter(email__endswith=EMAIL_DOMAIN).count() == len(PEOPLE)
    assert Membership.objects.filter(workspace__name=WORKSPACE_NAME).count() == len(Role)
    assert dict(User.objects.values_list("email", "password")) == hashes  # passwords kept
    assert CREDENTIAL_LINE.findall(first)
    assert not CREDENTIAL_LINE.findall(second)
    for _role, _email, password in CREDENTIAL_LINE.findall(first):
        assert password not in second
    assert "keep their passwords" in second


def test_demo_completes_a_partial_demo_and_prints_only_the_new_password():
    run_demo()
    analyst = Membership.objects.get(workspace__name=WORKSPACE_NAME, role=Role.ANALYST)
    email = analyst.user.email
    analyst.user.delete()
    output = run_demo()
    printed = CREDENTIAL_LINE.findall(output)
    assert [(role, address) for role, address, _password in printed] == [("analyst", email)]
    assert Membership.objects.filter(workspace__name=WORKSPACE_NAME, role=Role.ANALYST).count() == 1


def test_password_file_gets_the_passwords_with_mode_0600(tmp_path):
    path = tmp_path / "demo-passwords.txt"
    output = run_demo("--password-file", str(path))
    assert not CREDENTIAL_LINE.findall(output)
    assert str(path) in output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = [line.split("\t") for line in path.read_text().splitlines() if not line.startswith("#")]
    assert len(lines) == len(PEOPLE)
    for email, password, _role in lines:
        assert User.objects.get(email=email).check_password(password)
    # A second run has nothing new: the file is left as it was.
    before = path.read_text()
    run_demo("--password-file", str(path))
    assert path.read_text() == before


def test_password_file_in_a_missing_folder_is_refused_before_any_change(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        run_demo("--password-file", str(tmp_path / "missing" / "passwords.txt"))
    assert not Workspace.objects.filter(name=WORKSPACE_NAME).exists()


# --- membership_add, the service the demo adds its members with ------------------------------------


def test_membership_add_follows_the_invitation_rules(team, make_user):
    from portevoix.core.errors import Conflict, PermissionDenied, ValidationFailed
    from portevoix.workspaces import services

    newcomer = make_user()
    with pytest.raises(PermissionDenied):
        services.membership_add(by=team.member(Role.COPYWRITER), user=newcomer, role=Role.DESIGNER)
    with pytest.raises(PermissionDenied):
        services.membership_add(by=team.member(Role.MANAGER), user=newcomer, role=Role.OWNER)
    with pytest.raises(ValidationFailed):
        services.membership_add(by=team.member(Role.OWNER), user=newcomer, role="intern")
    with pytest.raises(Conflict):
        services.membership_add(by=team.member(Role.OWNER), user=team.user(Role.ANALYST), role=Role.DESIGNER)
    membership = services.membership_add(by=team.member(Role.MANAGER), user=newcomer, role=Role.DESIGNER)
    assert (membership.workspace, membership.role) == (team.workspace, Role.DESIGNER)
    event = AuditEvent.objects.get(action="member.add")
    assert (event.actor, event.data["member"], event.data["role"]) == (
        team.user(Role.MANAGER),
        newcomer.email,
        "designer",
    )
