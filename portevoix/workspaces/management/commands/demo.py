"""``portevoix demo``: a demonstration workspace, "Demo: Maison Lumière", with a member in every role.

Idempotent: a second run creates only what is missing. Every new demo account gets a random password,
shown once (or appended to ``--password-file``, mode 0600); accounts that already exist keep theirs.

Later features add their demo content as one more small step: a function ``seed_<topic>(demo: Demo)``
that checks what exists before creating anything, appended to ``STEPS``.
"""

from __future__ import annotations

import os
import secrets
from argparse import ArgumentParser
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from portevoix.accounts.models import User
from portevoix.accounts.services import user_create
from portevoix.core.context import origin
from portevoix.core.errors import PortevoixError
from portevoix.workspaces import services
from portevoix.workspaces.models import Membership, Workspace
from portevoix.workspaces.roles import Role

WORKSPACE_NAME = "Demo: Maison Lumière"
WORKSPACE_TIMEZONE = "Europe/Paris"
WORKSPACE_LANGUAGE = "fr"
EMAIL_DOMAIN = "demo.portevoix.invalid"


@dataclass(frozen=True)
class DemoPerson:
    role: Role
    full_name: str
    local_part: str
    language: str = ""  # empty: follows the workspace

    @property
    def email(self) -> str:
        return f"{self.local_part}@{EMAIL_DOMAIN}"


# Maison Lumière, a Paris candle and lighting brand, and the agency team that runs its social media.
PEOPLE: tuple[DemoPerson, ...] = (
    DemoPerson(Role.OWNER, "Camille Laurent", "camille.laurent"),
    DemoPerson(Role.MANAGER, "Julien Moreau", "julien.moreau"),
    DemoPerson(Role.COPYWRITER, "Léa Fontaine", "lea.fontaine"),
    DemoPerson(Role.DESIGNER, "Hugo Marchand", "hugo.marchand"),
    DemoPerson(Role.TARGETOLOGIST, "Inès Belkacem", "ines.belkacem"),
    DemoPerson(Role.ANALYST, "Thomas Girard", "thomas.girard", language="en"),
    DemoPerson(Role.CLIENT, "Hélène Vasseur", "helene.vasseur"),
)


@dataclass(frozen=True)
class Credential:
    role: Role
    full_name: str
    email: str
    password: str


@dataclass
class Demo:
    """What the steps build on: the workspace, the members by role, the passwords of new accounts."""

    workspace: Workspace | None = None
    members: dict[Role, Membership] = field(default_factory=dict)
    new_credentials: list[Credential] = field(default_factory=list)
    created: list[str] = field(default_factory=list)

    @property
    def owner(self) -> Membership:
        return self.members[Role.OWNER]


def new_password() -> str:
    return secrets.token_urlsafe(15)  # 20 characters, about 120 bits


def ensure_user(demo: Demo, person: DemoPerson) -> User:
    user = User.objects.filter(email__iexact=person.email).first()
    if user is not None:
        return user
    password = new_password()
    user = user_create(
        email=person.email, password=password, full_name=person.full_name, language=person.language
    )
    demo.new_credentials.append(Credential(person.role, person.full_name, person.email, password))
    demo.created.append(f"user {person.email}")
    return user


def ensure_workspace(demo: Demo) -> None:
    owner_person = PEOPLE[0]
    owner = ensure_user(demo, owner_person)
    workspace = (
        Workspace.objects.filter(name=WORKSPACE_NAME, memberships__user=owner, memberships__role=Role.OWNER)
        .order_by("pk")
        .first()
    )
    if workspace is None:
        workspace = services.workspace_create(
            user=owner, name=WORKSPACE_NAME, timezone_name=WORKSPACE_TIMEZONE, language=WORKSPACE_LANGUAGE
        )
        demo.created.append(f"workspace {WORKSPACE_NAME}")
    demo.workspace = workspace
    demo.members[Role.OWNER] = Membership.objects.get(workspace=workspace, user=owner)


def ensure_members(demo: Demo) -> None:
    """One member in every role. A demo person who is already a member keeps the role they have."""
    assert demo.workspace is not None
    for person in PEOPLE[1:]:
        user = ensure_user(demo, person)
        membership = Membership.objects.filter(workspace=demo.workspace, user=user).first()
        if membership is None:
            membership = services.membership_add(by=demo.owner, user=user, role=person.role)
            services.workspace_switch(user=user, workspace=demo.workspace)
            demo.created.append(f"member {person.email} ({person.role.value})")
        demo.members.setdefault(Role(membership.role), membership)


def seed_results(demo: Demo) -> None:
    """Channels, posts, metrics, clicks, visits and conversions of the last 90 days (reports/demo.py)."""
    from portevoix.reports.demo import seed_measure

    seed_measure(demo)


STEPS: list[Callable[[Demo], None]] = [ensure_workspace, ensure_members, seed_results]


def build_demo() -> Demo:
    """Run every step in one transaction: a failure leaves the database as it was."""
    demo = Demo()
    with origin("cli"), transaction.atomic():
        for step in STEPS:
            step(demo)
    return demo


def write_credentials(path: Path, credentials: list[Credential]) -> None:
    """Append to ``path`` (created with mode 0600, and set to 0600 if it existed)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(descriptor, "a", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(f"# Portevoix demo accounts created {timezone.now():%Y-%m-%d %H:%M} UTC\n")
        for credential in credentials:
            handle.write(f"{credential.email}\t{credential.password}\t{credential.role.value}\n")


class Command(BaseCommand):
    help = (
        "Create the demonstration workspace 'Demo: Maison Lumière' with a member in every role. Safe to "
        "run again; new accounts get random passwords, printed once or written to --password-file."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--password-file",
            type=Path,
            default=None,
            help="Append the new accounts' passwords to this file (mode 0600) instead of printing them.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password_file: Path | None = options["password_file"]
        if password_file is not None and password_file.is_dir():
            raise CommandError(f"{password_file} is a directory; give a file name.")
        if password_file is not None and not password_file.parent.is_dir():
            raise CommandError(f"The folder {password_file.parent} does not exist.")
        try:
            demo = build_demo()
        except PortevoixError as error:
            raise CommandError(f"Could not build the demo: {error.message} {error.fields or ''}") from None
        assert demo.workspace is not None
        if demo.created:
            self.stdout.write(f"Demo workspace {demo.workspace.name!r} (/w/{demo.workspace.slug}/) ready:")
            for item in demo.created:
                self.stdout.write(f"  created {item}")
        else:
            self.stdout.write(
                f"Demo workspace {demo.workspace.name!r} (/w/{demo.workspace.slug}/) already "
                "complete; nothing to do."
            )
        self.report_credentials(demo, password_file)

    def report_credentials(self, demo: Demo, password_file: Path | None) -> None:
        if not demo.new_credentials:
            self.stdout.write("No new accounts: existing demo accounts keep their passwords.")
            return
        if password_file is not None:
            write_credentials(password_file, demo.new_credentials)
            self.stdout.write(
                f"Passwords of {len(demo.new_credentials)} new account(s) appended to {password_file} "
                "(mode 0600)."
            )
            return
        self.stdout.write("New accounts (passwords are shown only this once; store them now):")
        width = max(len(credential.email) for credential in demo.new_credentials)
        for credential in demo.new_credentials:
            self.stdout.write(
                f"  {credential.role.value:<14} {credential.email:<{width}}  {credential.password}"
                f"  ({credential.full_name})"
            )
