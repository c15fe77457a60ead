"""Who may call what: every API operation and every workspace page, as every role, in the member's own
workspace and in a foreign one.

The expected tables below are written by hand from docs/roles.md, not derived from the code under test.
Operations and pages are enumerated from the NinjaAPI object and from the workspaces URLconf, so a new
endpoint or page without an entry here fails the suite until someone decides who may use it.

Rules checked:
- own workspace, allowed role: the request succeeds (never 403);
- own workspace, other roles: 403 with the JSON error (API) or 403 (HTML);
- objects of a foreign workspace (API ids) and foreign workspace slugs (HTML): 404 for every role, so the
  existence of other workspaces is not disclosed (docs/roles.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.test.client import ClientHandler
from django.urls import URLPattern
from django.utils import timezone

from portevoix.api import api
from portevoix.channels import urls as channel_urls
from portevoix.channels.models import Channel
from portevoix.channels.tests.fakes import registered_fakes
from portevoix.content import services as content_services
from portevoix.content import urls as content_urls
from portevoix.content.models import Post
from portevoix.core.api import iter_operations
from portevoix.media import urls as media_urls
from portevoix.media.models import MediaAsset, MediaKind
from portevoix.media.tests.helpers import png_upload, stored_asset
from portevoix.publishing import urls as publishing_urls
from portevoix.publishing.models import Target, TargetState
from portevoix.publishing.services import new_idempotency_key
from portevoix.workspaces import urls as workspace_urls
from portevoix.workspaces.models import ApiToken, Invitation, Membership
from portevoix.workspaces.roles import Role
from tests.matrix import extensions as matrix_extensions

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Media files stored by these requests go to the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fake_networks():
    """The channels pages and operations act on fake networks (channels/tests/fakes.py): no real
    connector, no network."""
    with registered_fakes():
        yield


_HANDLER = ClientHandler(enforce_csrf_checks=False)


def fast_client(**defaults: Any) -> Client:
    """A test client on a shared handler, so the middleware is loaded once per module rather than once per
    client (WhiteNoise scans the static files each time it starts)."""
    client = Client(**defaults)
    client.handler = _HANDLER
    return client


OWNER, MANAGER, COPYWRITER, DESIGNER, TARGETOLOGIST, ANALYST, CLIENT = (
    Role.OWNER,
    Role.MANAGER,
    Role.COPYWRITER,
    Role.DESIGNER,
    Role.TARGETOLOGIST,
    Role.ANALYST,
    Role.CLIENT,
)
EVERYONE = frozenset({OWNER, MANAGER, COPYWRITER, DESIGNER, TARGETOLOGIST, ANALYST, CLIENT})
TEAM_LIST_READERS = frozenset(
    {OWNER, MANAGER, COPYWRITER, DESIGNER, TARGETOLOGIST, ANALYST}
)  # not the client
LEADS = frozenset({OWNER, MANAGER})
CHANNEL_VIEWERS = frozenset({OWNER, MANAGER, COPYWRITER, DESIGNER, TARGETOLOGIST, ANALYST})  # channel.view
OWNER_ONLY = frozenset({OWNER})
CREATORS = frozenset({OWNER, MANAGER, COPYWRITER, DESIGNER})  # post.edit, media.upload
MEDIA_VIEWERS = frozenset({OWNER, MANAGER, COPYWRITER, DESIGNER, TARGETOLOGIST, ANALYST})  # media.view

# --- The expected tables (docs/roles.md) ---------------------------------------------------------

API_EXPECTED: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/api/v1/me"): EVERYONE,
    ("GET", "/api/v1/workspace"): EVERYONE,
    ("PATCH", "/api/v1/workspace"): OWNER_ONLY,
    ("GET", "/api/v1/roles"): EVERYONE,
    ("GET", "/api/v1/members"): TEAM_LIST_READERS,
    ("GET", "/api/v1/members/{id}"): TEAM_LIST_READERS,
    ("PATCH", "/api/v1/members/{id}"): LEADS,
    ("DELETE", "/api/v1/members/{id}"): LEADS,  # removing someone else; leaving is anyone's (test_api.py)
    ("GET", "/api/v1/invitations"): LEADS,
    ("POST", "/api/v1/invitations"): LEADS,
    ("DELETE", "/api/v1/invitations/{id}"): LEADS,
    ("GET", "/api/v1/tokens"): EVERYONE,
    ("POST", "/api/v1/tokens"): EVERYONE,
    ("DELETE", "/api/v1/tokens/{id}"): EVERYONE,  # one's own tokens only; others' are 404 (test_api.py)
    ("GET", "/api/v1/audit"): LEADS,
    ("GET", "/api/v1/networks"): CHANNEL_VIEWERS,
    ("GET", "/api/v1/channels"): CHANNEL_VIEWERS,
    ("POST", "/api/v1/channels"): LEADS,
    ("GET", "/api/v1/channels/{id}"): CHANNEL_VIEWERS,
    ("PATCH", "/api/v1/channels/{id}"): LEADS,
    ("DELETE", "/api/v1/channels/{id}"): LEADS,
    ("POST", "/api/v1/channels/{id}/test"): LEADS,
    ("POST", "/api/v1/channels/{id}/reconnect"): LEADS,
    ("POST", "/api/v1/content/validate"): EVERYONE,  # post.view: it reads and writes nothing
    ("GET", "/api/v1/posts"): EVERYONE,
    ("POST", "/api/v1/posts"): CREATORS,
    ("GET", "/api/v1/posts/{id}"): EVERYONE,
    ("PATCH", "/api/v1/posts/{id}"): CREATORS,
    ("DELETE", "/api/v1/posts/{id}"): CREATORS,  # a draft; a scheduled one also needs post.publish
    ("POST", "/api/v1/posts/{id}/schedule"): LEADS,
    ("POST", "/api/v1/posts/{id}/publish"): LEADS,
    ("GET", "/api/v1/posts/{id}/history"): EVERYONE,
    ("GET", "/api/v1/media"): MEDIA_VIEWERS,
    ("POST", "/api/v1/media"): CREATORS,
    ("GET", "/api/v1/media/{id}"): MEDIA_VIEWERS,
    ("PATCH", "/api/v1/media/{id}"): CREATORS,  # the alt text
    ("DELETE", "/api/v1/media/{id}"): CREATORS,
    ("GET", "/api/v1/media/{id}/file"): MEDIA_VIEWERS,
    ("GET", "/api/v1/attention"): LEADS,  # publishing.attention
    ("POST", "/api/v1/targets/{id}/retry"): LEADS,
    ("POST", "/api/v1/targets/{id}/mark-published"): LEADS,
    ("POST", "/api/v1/targets/{id}/mark-not-published"): LEADS,
    ("POST", "/api/v1/targets/{id}/cancel"): LEADS,  # post.publish
    ("GET", "/api/v1/notifications"): EVERYONE,  # post.view
    ("POST", "/api/v1/notifications/read"): EVERYONE,
}

# (URL name in portevoix.workspaces.urls, method) -> roles allowed
HTML_EXPECTED: dict[tuple[str, str], frozenset[Role]] = {
    ("dashboard", "GET"): EVERYONE,
    ("members", "GET"): TEAM_LIST_READERS,
    ("members", "POST"): LEADS,  # the invitation form
    ("member_update", "POST"): LEADS,
    ("member_remove", "POST"): LEADS,  # removing someone else
    ("invitation_revoke", "POST"): LEADS,
    ("settings", "GET"): OWNER_ONLY,
    ("settings", "POST"): OWNER_ONLY,
    ("audit", "GET"): LEADS,
    ("tokens", "GET"): EVERYONE,
    ("tokens", "POST"): EVERYONE,
    ("token_revoke", "POST"): EVERYONE,
    ("roles", "GET"): EVERYONE,
    ("channels:list", "GET"): CHANNEL_VIEWERS,
    ("channels:detail", "GET"): CHANNEL_VIEWERS,
    ("channels:connect_index", "GET"): LEADS,
    ("channels:connect", "GET"): LEADS,
    ("channels:connect", "POST"): LEADS,
    ("channels:oauth_start", "POST"): LEADS,
    ("channels:oauth_choose", "GET"): LEADS,
    ("channels:oauth_choose", "POST"): LEADS,
    ("channels:test", "POST"): LEADS,
    ("channels:reconnect", "GET"): LEADS,
    ("channels:reconnect", "POST"): LEADS,
    ("channels:rename", "POST"): LEADS,
    ("channels:disconnect", "POST"): LEADS,
    ("content:list", "GET"): EVERYONE,
    ("content:detail", "GET"): EVERYONE,
    ("content:new", "GET"): CREATORS,
    ("content:new", "POST"): CREATORS,
    ("content:edit", "GET"): CREATORS,
    ("content:edit", "POST"): CREATORS,
    ("content:validate", "POST"): CREATORS,
    ("content:upload", "POST"): CREATORS,  # media.upload
    ("content:delete", "POST"): CREATORS,
    ("content:schedule", "POST"): LEADS,
    ("content:publish", "POST"): LEADS,
    ("content:unschedule", "POST"): LEADS,
    ("media:list", "GET"): MEDIA_VIEWERS,
    ("media:upload", "POST"): CREATORS,
    ("media:detail", "GET"): MEDIA_VIEWERS,
    ("media:detail", "POST"): CREATORS,  # the alt text
    ("media:delete", "POST"): CREATORS,
    ("media:file", "GET"): MEDIA_VIEWERS,
    ("media:thumbnail", "GET"): MEDIA_VIEWERS,
    ("media:poster", "GET"): MEDIA_VIEWERS,
    ("publishing:attention", "GET"): LEADS,  # publishing.attention
    ("publishing:retry", "POST"): LEADS,
    ("publishing:mark_published", "POST"): LEADS,
    ("publishing:mark_not_published", "POST"): LEADS,
    ("publishing:cancel", "POST"): LEADS,
    ("publishing:notifications", "GET"): EVERYONE,  # post.view
    ("publishing:notifications_read", "POST"): EVERYONE,
}

# --- The data each request needs ------------------------------------------------------------------


@dataclass
class World:
    """The member's workspace with one member per role, plus objects to act on; the foreign workspace
    is built only by the tests that need it."""

    team: Any
    request: pytest.FixtureRequest
    _other: Any = None
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def other(self) -> Any:
        if self._other is None:
            self._other = self.request.getfixturevalue("other_team")
        return self._other

    def target(self) -> Membership:
        """A plain member that leads may re-role or remove (not the caller, not an owner)."""
        if "target" not in self._cache:
            user = self.request.getfixturevalue("make_user")(full_name="Target")
            self._cache["target"] = Membership.objects.create(
                workspace=self.team.workspace, user=user, role=COPYWRITER
            )
        return self._cache["target"]

    def own_invitation(self) -> Invitation:
        return _invitation(self.team.workspace, "pending@example.com")

    def own_token(self, role: Role) -> ApiToken:
        return _token(self.team.member(role), "spare")

    def foreign_member(self) -> Membership:
        return self.other.member(DESIGNER)

    def foreign_invitation(self) -> Invitation:
        return _invitation(self.other.workspace, "elsewhere@example.com")

    def foreign_token(self) -> ApiToken:
        return _token(self.other.member(OWNER), "foreign")

    def own_channel(self) -> Channel:
        if "channel" not in self._cache:
            self._cache["channel"] = _channel(self.team.workspace)
        return self._cache["channel"]

    def foreign_channel(self) -> Channel:
        return _channel(self.other.workspace)

    def own_post(self) -> Post:
        """A fresh draft going to an active Telegram channel, valid to schedule or publish (a new one per
        request, so that deleting it does not affect the next role)."""
        if "telegram" not in self._cache:
            self._cache["telegram"] = Channel.objects.create(
                workspace=self.team.workspace,
                network="telegram",
                external_id="@acme",
                name="Acme on Telegram",
                base_url="https://api.telegram.org",
            )
        return content_services.post_create(
            by=self.team.member(OWNER), text="Matrix post", channel_ids=[self._cache["telegram"].pk]
        )

    def foreign_post(self) -> Post:
        return content_services.post_create(by=self.other.member(OWNER), text="Their post")

    def own_asset(self) -> MediaAsset:
        """A fresh video (with its poster and thumbnail files) per request, so that deleting it does not
        affect the next role."""
        self._cache["assets"] = self._cache.get("assets", 0) + 1
        name = f"clip-{self._cache['assets']}.mp4"
        return stored_asset(self.team.workspace, name=name, kind=MediaKind.VIDEO)

    def foreign_asset(self) -> MediaAsset:
        return stored_asset(self.other.workspace, name="theirs.mp4", kind=MediaKind.VIDEO)

    def own_target(self, state: str = TargetState.FAILED) -> Target:
        """A fresh target of the workspace in ``state`` (a new one per request)."""
        return _target(self.team.workspace, self.own_channel(), state)

    def foreign_target(self) -> Target:
        return _target(self.other.workspace, _channel(self.other.workspace), TargetState.FAILED)


def _invitation(workspace: Any, email: str) -> Invitation:
    return Invitation.objects.create(
        workspace=workspace,
        email=email,
        role=CLIENT,
        token_hash=f"{workspace.pk:064d}",
        expires_at=timezone.now() + timedelta(days=7),
    )


def _token(membership: Membership, name: str) -> ApiToken:
    return ApiToken.objects.create(
        user=membership.user,
        workspace=membership.workspace,
        name=name,
        prefix=f"t{membership.pk}{name[:4]}"[:16],
        token_hash="0" * 64,
    )


def _channel(workspace: Any) -> Channel:
    return Channel.objects.create(
        workspace=workspace,
        network="fakenet",
        external_id="acct-1",
        name="Fake account",
        base_url="https://api.fakenet.test",
        credentials={"token": "good-matrix-token"},
    )


def _target(workspace: Any, channel: Channel, state: str) -> Target:
    post = Post.objects.create(workspace=workspace, text="Matrix target")
    return Target.objects.create(
        workspace=workspace,
        post=post,
        channel=channel,
        state=state,
        due_at=timezone.now(),
        idempotency_key=new_idempotency_key(),
    )


Resolver = Callable[[World, Role], int]

# Path {id} -> (an object of the caller's workspace, an object of the foreign workspace)
API_IDS: dict[str, tuple[Resolver, Callable[[World], Any]]] = {
    "/api/v1/members/{id}": (lambda w, role: w.target().pk, World.foreign_member),
    "/api/v1/invitations/{id}": (lambda w, role: w.own_invitation().pk, World.foreign_invitation),
    "/api/v1/tokens/{id}": (lambda w, role: w.own_token(role).pk, World.foreign_token),
    "/api/v1/channels/{id}": (lambda w, role: w.own_channel().pk, World.foreign_channel),
    "/api/v1/channels/{id}/test": (lambda w, role: w.own_channel().pk, World.foreign_channel),
    "/api/v1/channels/{id}/reconnect": (lambda w, role: w.own_channel().pk, World.foreign_channel),
    "/api/v1/posts/{id}": (lambda w, role: w.own_post().pk, World.foreign_post),
    "/api/v1/posts/{id}/schedule": (lambda w, role: w.own_post().pk, World.foreign_post),
    "/api/v1/posts/{id}/publish": (lambda w, role: w.own_post().pk, World.foreign_post),
    "/api/v1/posts/{id}/history": (lambda w, role: w.own_post().pk, World.foreign_post),
    "/api/v1/media/{id}": (lambda w, role: w.own_asset().pk, World.foreign_asset),
    "/api/v1/media/{id}/file": (lambda w, role: w.own_asset().pk, World.foreign_asset),
    "/api/v1/targets/{id}/retry": (lambda w, role: w.own_target().pk, World.foreign_target),
    "/api/v1/targets/{id}/mark-published": (lambda w, role: w.own_target().pk, World.foreign_target),
    "/api/v1/targets/{id}/mark-not-published": (
        lambda w, role: w.own_target(TargetState.UNCONFIRMED).pk,
        World.foreign_target,
    ),
    "/api/v1/targets/{id}/cancel": (
        lambda w, role: w.own_target(TargetState.SCHEDULED).pk,
        World.foreign_target,
    ),
}

# A local time in the team's zone (Europe/Paris) a month ahead: schedulable.
SOON = (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%dT10:00")

API_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("PATCH", "/api/v1/workspace"): {"name": "Renamed"},
    ("PATCH", "/api/v1/members/{id}"): {"role": "analyst"},
    ("POST", "/api/v1/invitations"): {"email": "new.person@example.com", "role": "client"},
    ("POST", "/api/v1/tokens"): {"name": "matrix"},
    ("POST", "/api/v1/channels"): {"network": "fakenet", "fields": {"token": "good-matrix-token"}},
    ("PATCH", "/api/v1/channels/{id}"): {"name": "Renamed"},
    ("POST", "/api/v1/channels/{id}/reconnect"): {"fields": {"token": "good-matrix-token-2"}},
    ("POST", "/api/v1/content/validate"): {"text": "Hello", "networks": ["x", "telegram"]},
    ("POST", "/api/v1/posts"): {"text": "Hello"},
    ("PATCH", "/api/v1/posts/{id}"): {"text": "Changed"},
    ("POST", "/api/v1/posts/{id}/schedule"): {"at": SOON},
    ("POST", "/api/v1/media"): {"file": png_upload},  # a callable: a new file per request, sent multipart
    ("PATCH", "/api/v1/media/{id}"): {"alt_text": "Matrix"},
    ("POST", "/api/v1/targets/{id}/mark-published"): {"url": "https://fakenet.test/p/1"},
    ("POST", "/api/v1/notifications/read"): {},
}

HTML_IDS: dict[str, tuple[Resolver, Callable[[World], Any]]] = {
    "member_id": (lambda w, role: w.target().pk, World.foreign_member),
    "invitation_id": (lambda w, role: w.own_invitation().pk, World.foreign_invitation),
    "token_id": (lambda w, role: w.own_token(role).pk, World.foreign_token),
    "channel_id": (lambda w, role: w.own_channel().pk, World.foreign_channel),
    "post_id": (lambda w, role: w.own_post().pk, World.foreign_post),
    "asset_id": (lambda w, role: w.own_asset().pk, World.foreign_asset),
    "target_id": (lambda w, role: w.own_target().pk, World.foreign_target),
}
# <slug:network> in the channels pages: a fake network (channels/tests/fakes.py) that has what the page needs.
HTML_NETWORKS: dict[str, str] = {"channels:oauth_start": "fakeoauth"}
DEFAULT_NETWORK = "fakenet"

HTML_POST_DATA: dict[str, dict[str, Any]] = {
    "members": {"email": "new.person@example.com", "role": "client"},
    "member_update": {"role": "analyst"},
    "settings": {"name": "Renamed", "timezone": "Europe/Paris", "language": "en"},
    "tokens": {"name": "matrix"},
    "channels:connect": {"token": "good-matrix-token"},
    "channels:reconnect": {"token": "good-matrix-token-2"},
    "channels:rename": {"name": "Renamed"},
    "content:new": {"text": "Hello", "action": "save"},
    "content:edit": {"text": "Changed", "action": "save"},
    "content:validate": {"text": "Hello"},
    "content:schedule": {"schedule_at": SOON},
    "media:upload": {"files": png_upload},  # a callable: a new file per request
    "media:detail": {"alt_text": "Matrix"},
    "publishing:mark_published": {"url": "https://fakenet.test/p/1"},
}

# --- Entries kept beside each domain (tests/matrix/) -------------------------------------------------

EXTRA_URLCONFS: dict[str, Any] = {}


def _merge_extensions() -> None:
    tables = {
        "API_EXPECTED": API_EXPECTED,
        "API_IDS": API_IDS,
        "API_BODIES": API_BODIES,
        "HTML_EXPECTED": HTML_EXPECTED,
        "HTML_IDS": HTML_IDS,
        "HTML_POST_DATA": HTML_POST_DATA,
        "HTML_NETWORKS": HTML_NETWORKS,
        "URLCONFS": EXTRA_URLCONFS,
    }
    for module in matrix_extensions():
        for name, table in tables.items():
            extra = getattr(module, name, {})
            clash = set(extra) & set(table)
            assert not clash, f"{module.__name__}.{name} redefines {sorted(clash)}"
            table.update(extra)


_merge_extensions()

# --- Enumeration ---------------------------------------------------------------------------------

API_OPERATIONS = sorted({(op.method, op.path) for op in iter_operations(api)})
WORKSPACE_PAGES = (
    {
        pattern.name: str(pattern.pattern)
        for pattern in workspace_urls.urlpatterns
        if isinstance(pattern, URLPattern) and str(pattern.pattern).startswith("w/<slug:slug>/")
    }
    | {
        f"channels:{pattern.name}": str(pattern.pattern)
        for pattern in channel_urls.urlpatterns
        if isinstance(pattern, URLPattern) and str(pattern.pattern).startswith("w/<slug:slug>/")
    }
    | {
        f"content:{pattern.name}": str(pattern.pattern)
        for pattern in content_urls.urlpatterns
        if isinstance(pattern, URLPattern) and str(pattern.pattern).startswith("w/<slug:slug>/")
    }
    | {
        f"media:{pattern.name}": str(pattern.pattern)
        for pattern in media_urls.urlpatterns
        if isinstance(pattern, URLPattern) and str(pattern.pattern).startswith("w/<slug:slug>/")
    }
    | {
        f"publishing:{pattern.name}": str(pattern.pattern)
        for pattern in publishing_urls.urlpatterns
        if isinstance(pattern, URLPattern) and str(pattern.pattern).startswith("w/<slug:slug>/")
    }
    | {
        f"{namespace}:{pattern.name}": str(pattern.pattern)
        for namespace, urlconf in EXTRA_URLCONFS.items()
        for pattern in urlconf.urlpatterns
        if isinstance(pattern, URLPattern) and str(pattern.pattern).startswith("w/<slug:slug>/")
    }
)
API_ID_OPERATIONS = [op for op in API_OPERATIONS if "{" in op[1]]
HTML_CASES = sorted(HTML_EXPECTED)
ROLES = list(Role)


def test_every_api_operation_is_in_the_table():
    missing = [op for op in API_OPERATIONS if op not in API_EXPECTED]
    stale = [op for op in API_EXPECTED if op not in API_OPERATIONS]
    assert not missing, f"Add these API operations to API_EXPECTED (who may call them?): {missing}"
    assert not stale, f"These entries of API_EXPECTED name no operation: {stale}"
    assert all(path.startswith("/api/v1/") for _method, path in API_OPERATIONS)
    for _method, path in API_OPERATIONS:
        if "{" in path:
            assert path in API_IDS, f"Say how to find an own and a foreign object for {path} in API_IDS"


def test_every_workspace_page_is_in_the_table():
    covered = {name for name, _method in HTML_EXPECTED}
    assert set(WORKSPACE_PAGES) - covered == set(), "Add these pages to HTML_EXPECTED (who may open them?)"
    assert covered - set(WORKSPACE_PAGES) == set(), "These HTML_EXPECTED entries name no URL pattern"
    assert set(ROLES) == EVERYONE, "A role was added or removed: update the tables from docs/roles.md"


# --- API ----------------------------------------------------------------------------------------


def _api_call(client: Client, method: str, url: str, body: dict[str, Any] | None):
    call = getattr(client, method.lower())
    if body is None:
        return call(url)
    if any(callable(value) for value in body.values()):  # a file upload: multipart, a fresh file each time
        return call(url, {key: value() if callable(value) else value for key, value in body.items()})
    return call(url, json.dumps(body), content_type="application/json")


def _api_client(world: World, role: Role) -> Client:
    from portevoix.workspaces import services

    issued = services.api_token_create(by=world.team.member(role), name="matrix-auth")
    return fast_client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize(("method", "path"), API_OPERATIONS, ids=[" ".join(op) for op in API_OPERATIONS])
def test_api_role_access_in_own_workspace(team, request, method, path, role):
    assert (method, path) in API_EXPECTED, f"{method} {path} is missing from API_EXPECTED"
    world = World(team=team, request=request)
    url = path
    if "{id}" in path:
        url = path.replace("{id}", str(API_IDS[path][0](world, role)))
    response = _api_call(_api_client(world, role), method, url, API_BODIES.get((method, path)))
    if role in API_EXPECTED[(method, path)]:
        assert 200 <= response.status_code < 300, (role, response.status_code, response.content)
    else:
        assert response.status_code == 403, (role, response.status_code, response.content)
        assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize(
    ("method", "path"), API_ID_OPERATIONS, ids=[" ".join(op) for op in API_ID_OPERATIONS]
)
def test_api_foreign_ids_are_not_found_for_every_role(team, request, method, path, role):
    world = World(team=team, request=request)
    foreign = API_IDS[path][1](world)
    before = type(foreign).objects.filter(pk=foreign.pk).values().get()
    url = path.replace("{id}", str(foreign.pk))
    response = _api_call(_api_client(world, role), method, url, API_BODIES.get((method, path)))
    assert response.status_code == 404, (role, response.status_code, response.content)
    assert response.json()["error"]["code"] == "not_found"
    assert type(foreign).objects.filter(pk=foreign.pk).values().get() == before


# --- HTML ---------------------------------------------------------------------------------------


def _page_url(world: World, name: str, slug: str, role: Role, *, foreign: bool) -> str:
    route = WORKSPACE_PAGES[name].replace("<slug:slug>", slug)
    route = route.replace("<slug:network>", HTML_NETWORKS.get(name, DEFAULT_NETWORK))
    for kwarg, (own, other) in HTML_IDS.items():
        placeholder = f"<int:{kwarg}>"
        if placeholder in route:
            object_id = other(world).pk if foreign else own(world, role)
            route = route.replace(placeholder, str(object_id))
    assert "<" not in route, f"Say how to fill {route} in HTML_IDS"
    return f"/{route}"


def _html_client(world: World, role: Role) -> Client:
    client = fast_client()
    client.force_login(world.team.user(role), backend="django.contrib.auth.backends.ModelBackend")
    return client


def _html_call(client: Client, method: str, url: str, name: str):
    if method == "POST":
        data = HTML_POST_DATA.get(name, {})
        return client.post(url, {key: value() if callable(value) else value for key, value in data.items()})
    return client.get(url)


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize(("name", "method"), HTML_CASES, ids=[" ".join(case) for case in HTML_CASES])
def test_html_role_access_in_own_workspace(team, request, name, method, role):
    world = World(team=team, request=request)
    url = _page_url(world, name, team.workspace.slug, role, foreign=False)
    response = _html_call(_html_client(world, role), method, url, name)
    if role in HTML_EXPECTED[(name, method)]:
        assert response.status_code in {200, 302}, (role, response.status_code)
        return
    assert response.status_code == 403, (role, response.status_code)
    if (name, method) == ("member_remove", "POST"):
        assert Membership.objects.filter(pk=world.target().pk).exists()


@pytest.mark.parametrize("role", ROLES, ids=str)
@pytest.mark.parametrize(("name", "method"), HTML_CASES, ids=[" ".join(case) for case in HTML_CASES])
def test_html_foreign_workspace_is_not_found_for_every_role(team, request, name, method, role):
    world = World(team=team, request=request)
    url = _page_url(world, name, world.other.workspace.slug, role, foreign=True)
    response = _html_call(_html_client(world, role), method, url, name)
    assert response.status_code == 404, (role, response.status_code)
