"""Fixtures shared by every app's tests: people, workspaces with a member in every role, API clients."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from django.test import Client

from portevoix.accounts.models import User
from portevoix.workspaces import services
from portevoix.workspaces.models import Membership, Workspace
from portevoix.workspaces.roles import Role

PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)


@pytest.fixture(autouse=True, scope="session")
def _no_static_file_scan():
    """WhiteNoise scans every static file each time a test client builds its middleware (~0.1 s); the
    suite does not need it: pages link static files, and the live server serves them through finders."""
    from django.conf import settings

    settings.WHITENOISE_USE_FINDERS = False


@pytest.fixture(autouse=True)
def _reset_language_and_time_zone():
    """A request activates its language and time zone on the thread and nothing resets them afterwards
    (each real request activates its own); tests that call services directly must not inherit them."""
    from django.utils import timezone, translation

    yield
    translation.activate("en")
    timezone.deactivate()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user(db):
    def make(email: str | None = None, password: str = PASSWORD, **extra) -> User:
        email = email or f"person{next(_counter)}@example.com"
        return User.objects.create_user(email, password, **extra)

    return make


@dataclass
class Team:
    workspace: Workspace
    members: dict[Role, Membership]

    def member(self, role: Role) -> Membership:
        return self.members[role]

    def user(self, role: Role) -> User:
        return self.members[role].user


# People's first names by role: names, not words of the interface (the page-render test reports English
# words of the catalog left on a translated page, and "Acme client" would read as one).
FIRST_NAMES = {
    Role.OWNER: "Olive",
    Role.MANAGER: "Manon",
    Role.COPYWRITER: "Corentin",
    Role.DESIGNER: "Delphine",
    Role.TARGETOLOGIST: "Tariq",
    Role.ANALYST: "Anouk",
    Role.CLIENT: "Clélia",
}


@pytest.fixture
def make_team(make_user):
    """A workspace with one member in every role (the owner created it)."""

    def make(name: str = "Acme") -> Team:
        owner = make_user(full_name=f"{FIRST_NAMES[Role.OWNER]} {name}")
        workspace = services.workspace_create(
            user=owner, name=name, timezone_name="Europe/Paris", language="en"
        )
        members = {Role.OWNER: Membership.objects.get(workspace=workspace, user=owner)}
        for role in Role:
            if role == Role.OWNER:
                continue
            user = make_user(full_name=f"{FIRST_NAMES[role]} {name}")
            members[role] = Membership.objects.create(workspace=workspace, user=user, role=role)
        return Team(workspace=workspace, members=members)

    return make


@pytest.fixture
def team(make_team) -> Team:
    return make_team("Acme")


@pytest.fixture
def other_team(make_team) -> Team:
    return make_team("Globex")


@pytest.fixture
def client_for():
    """A logged-in Django test client for a user."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture
def api_client_for():
    """A Django test client that sends a fresh API token of ``membership`` on every request."""

    def make(membership: Membership) -> Client:
        issued = services.api_token_create(by=membership, name="tests")
        return Client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    return make
