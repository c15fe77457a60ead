"""Every page of the web interface renders in English, French and Russian, with no leftover English.

The URL patterns are enumerated from the root URLconf: each one has an entry in ``PAGES`` (how to reach
it with real objects: a team with a member in every role, an invitation link, an API token, a password
reset link, a person with two-factor authentication...) or in ``SKIPPED`` with the reason. A new pattern
with neither fails ``test_every_url_pattern_is_rendered_or_skipped``.

Each page is requested anonymously when it is public and as a signed-in member otherwise (the owner,
unless the page is about another role), in each language: the person's saved language when signed in,
the language cookie otherwise. POST-only actions are posted and their redirect followed, so the page and
the message they leave are checked. The error pages (403, 404, 500), the sign-in lockout page and the
e-mails are checked too.

A page fails on: an answer >= 500; template syntax in the HTML ("{%", "{{", "{#" and their closings, or a
``%(name)s`` placeholder left in the text); a ``<html lang>`` that is not the language asked for; and, in
French and Russian, an English msgid of our catalog that appears verbatim in the visible text while its
translation differs (a missing translation). Msgids shorter than 4 characters and proper names are not
looked for.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, cached_property
from html.parser import HTMLParser
from typing import Any

import polib
import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.views import defaults
from django_otp.plugins.otp_totp.models import TOTPDevice

from portevoix.accounts.models import User
from portevoix.accounts.tests.helpers import app_code, enrol
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.channels.tests.fakes import registered_fakes
from portevoix.content import services as content_services
from portevoix.content.models import Post, PostMedia
from portevoix.media.models import MediaKind
from portevoix.media.tests.helpers import png_upload, stored_asset, upload
from portevoix.publishing.models import (
    Attempt,
    AttemptOutcome,
    Notification,
    NotificationKind,
    Target,
    TargetState,
)
from portevoix.workspaces import emails, services
from portevoix.workspaces.models import Invitation, Membership, Workspace
from portevoix.workspaces.roles import Role
from tests.test_i18n import live_entries, load_po

pytestmark = pytest.mark.django_db

LANGUAGES = ("en", "fr", "ru")
PASSWORD = "pages-render-passphrase-42"

# Included URLconfs that are not pages of this interface, by namespace.
SKIPPED_NAMESPACES = {
    "api": "the REST API answers JSON; its errors and translations are tested in the API and access tests",
    "admin": "Django's admin, translated by Django itself; only its configuration is ours (admin tests)",
}
# Patterns, by name, that are not rendered here.
SKIPPED = {
    "healthz": "a JSON health report for monitors, not a page (core/tests/test_tasks_and_health.py)",
    "content:validate": "an htmx fragment of the composer (no <html>); rendered inside content:new and "
    "content:edit here, and on its own in content/tests/test_views.py",
    "content:upload": "an htmx fragment of the composer (the media picker); rendered inside content:new "
    "here, and on its own in content/tests/test_views.py",
    "media:file": "the stored image or video itself, not a page (media/tests/test_views.py)",
    "media:thumbnail": "a JPEG thumbnail, not a page (media/tests/test_views.py)",
    "media:poster": "a video's poster frame (JPEG), not a page (media/tests/test_views.py)",
}
# Pages whose French and Russian strings are not translated yet: every other check applies to them; the
# translator removes them from here with the translations.
AWAITING_TRANSLATION: frozenset[str] = frozenset()
# Text that may stay in English in any language.
PROPER_NAMES = frozenset({"Portevoix", "Aegis", "FreeOTP", "Google Authenticator", "1Password"})
# Words of a language spelled like an English msgid: French "file" (de publication) is not English "file".
SAME_SPELLING: dict[str, frozenset[str]] = {"fr": frozenset({"file", "File"})}
MIN_MSGID_LENGTH = 4
TEMPLATE_SYNTAX = ("{%", "%}", "{{", "}}", "{#", "#}")
PLACEHOLDER_LEFT = re.compile(r"%\(\w+\)[sdif]")


# --- The world a page needs ---------------------------------------------------------------------------


class World:
    """Real objects, made on first use so that the setup page can see an empty database."""

    def __init__(self, make_team: Callable[[str], Any], language: str) -> None:
        self._make_team = make_team
        self.language = language

    @cached_property
    def team(self) -> Any:  # conftest.Team: a workspace with one member in every role
        return self._make_team("Acme")

    @cached_property
    def workspace(self) -> Workspace:
        return self.team.workspace

    def member(self, role: Role) -> Membership:
        return self.team.member(role)

    def user(self, role: Role = Role.OWNER) -> User:
        user = self.team.user(role)
        user.set_password(PASSWORD)
        user.language = self.language
        user.save()
        return user

    def anonymous(self) -> Client:
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = self.language
        return client

    def signed_in(self, role: Role = Role.OWNER, user: User | None = None) -> Client:
        client = self.anonymous()
        client.force_login(user or self.user(role), backend="django.contrib.auth.backends.ModelBackend")
        return client

    def slug(self) -> str:
        return self.workspace.slug

    def with_two_factor(self, role: Role = Role.OWNER) -> tuple[User, TOTPDevice]:
        user = self.user(role)
        device, _codes = enrol(user)
        return user, device

    def invitation(self, email: str = "newcomer@example.com", role: Role = Role.COPYWRITER) -> str:
        return services.invitation_create(by=self.member(Role.OWNER), email=email, role=role).token


@dataclass
class Visit:
    label: str
    response: HttpResponse
    status: int = 200  # what the page must answer (after the redirects, when they were followed)


Page = Callable[[World], Iterator[Visit]]
PAGES: dict[str, Page] = {}


def page(name: str) -> Callable[[Page], Page]:
    def register(function: Page) -> Page:
        PAGES[name] = function
        return function

    return register


def ws(name: str, world: World, *args: object) -> str:
    return reverse(f"workspaces:{name}", args=[world.slug(), *args])


# --- Pages: accounts ----------------------------------------------------------------------------------


@page("home")
def _home(world: World) -> Iterator[Visit]:
    world.team  # noqa: B018  (people exist: home sends to sign-in, not to setup)
    yield Visit("anonymous, to sign-in", world.anonymous().get("/", follow=True))
    yield Visit("signed in, to the workspace", world.signed_in().get("/", follow=True))


@page("accounts:login")
def _login(world: World) -> Iterator[Visit]:
    user = world.user()
    client = world.anonymous()
    url = reverse("accounts:login")
    yield Visit("form", client.get(url))
    yield Visit("wrong password", client.post(url, {"username": user.email, "password": "wrong"}))
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post(url, {"username": user.email, "password": "wrong"})
    yield Visit("locked out", response, 429)


@page("accounts:login_verify")
def _login_verify(world: World) -> Iterator[Visit]:
    user, _device = world.with_two_factor()
    client = world.anonymous()
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("accounts:login_verify")
    yield Visit("second step", response)
    yield Visit("wrong code", client.post(reverse("accounts:login_verify"), {"code": "000000"}))
    yield Visit(
        "expired, back to sign-in", world.anonymous().get(reverse("accounts:login_verify"), follow=True)
    )


@page("accounts:logout")
def _logout(world: World) -> Iterator[Visit]:
    yield Visit("signed out", world.signed_in().post(reverse("accounts:logout"), follow=True))


@page("accounts:set_language")
def _set_language(world: World) -> Iterator[Visit]:
    world.team  # noqa: B018
    client = Client()  # no cookie yet: the switcher sets it
    data = {"language": world.language, "next": reverse("accounts:login")}
    yield Visit("anonymous", client.post(reverse("accounts:set_language"), data, follow=True))
    owner = world.user()
    owner.language = "en" if world.language != "en" else "fr"
    owner.save()
    client = Client()
    client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    data = {"language": world.language, "next": reverse("accounts:profile")}
    yield Visit("signed in", client.post(reverse("accounts:set_language"), data, follow=True))


@page("accounts:profile")
def _profile(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    url = reverse("accounts:profile")
    yield Visit("form", client.get(url))
    data = {"full_name": "Ada Lovelace", "language": world.language, "timezone": "Europe/Paris"}
    yield Visit("saved", client.post(url, data, follow=True))
    yield Visit("invalid", client.post(url, {**data, "timezone": "Mars/Olympus"}))


@page("accounts:two_factor")
def _two_factor(world: World) -> Iterator[Visit]:
    url = reverse("accounts:two_factor")
    yield Visit("off: set-up", world.signed_in().get(url))
    yield Visit("off, sent by a workspace", world.signed_in().get(f"{url}?workspace={world.slug()}"))
    user, _device = world.with_two_factor()
    world.workspace.require_2fa = True
    world.workspace.save()
    client = world.signed_in(user=user)
    yield Visit(
        "on, session not verified, required", client.get(f"{url}?workspace={world.slug()}", follow=True)
    )


@page("accounts:two_factor_setup")
def _two_factor_setup(world: World) -> Iterator[Visit]:
    user = world.user()
    client = world.signed_in(user=user)
    client.get(reverse("accounts:two_factor"))  # starts the set-up: an unconfirmed device
    url = reverse("accounts:two_factor_setup")
    yield Visit("wrong code", client.post(url, {"code": "12"}))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(url, {"code": app_code(device), "workspace": world.slug()})
    assert b"recovery-codes" in response.content
    yield Visit("recovery codes after set-up", response)


@page("accounts:two_factor_verify")
def _two_factor_verify(world: World) -> Iterator[Visit]:
    user, device = world.with_two_factor()
    client = world.signed_in(user=user)
    url = reverse("accounts:two_factor_verify")
    yield Visit("wrong code", client.post(url, {"code": "000000"}))
    yield Visit("verified", client.post(url, {"code": app_code(device, steps_ahead=1)}, follow=True))


@page("accounts:recovery_codes")
def _recovery_codes(world: World) -> Iterator[Visit]:
    user, _device = world.with_two_factor()
    yield Visit("new codes", world.signed_in(user=user).post(reverse("accounts:recovery_codes")))
    yield Visit(
        "2FA off", world.signed_in(Role.MANAGER).post(reverse("accounts:recovery_codes"), follow=True)
    )


@page("accounts:two_factor_disable")
def _two_factor_disable(world: World) -> Iterator[Visit]:
    user, _device = world.with_two_factor()
    client = world.signed_in(user=user)
    url = reverse("accounts:two_factor_disable")
    yield Visit("wrong password", client.post(url, {"password": "wrong"}))
    yield Visit("turned off", client.post(url, {"password": PASSWORD}, follow=True))


@page("accounts:password_change")
def _password_change(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    url = reverse("accounts:password_change")
    yield Visit("form", client.get(url))
    data = {"old_password": "wrong", "new_password1": "x", "new_password2": "y"}
    yield Visit("invalid", client.post(url, data))
    data = {
        "old_password": PASSWORD,
        "new_password1": "a-new-long-passphrase",
        "new_password2": "a-new-long-passphrase",
    }
    yield Visit("changed", client.post(url, data, follow=True))


@page("accounts:password_reset")
def _password_reset(world: World) -> Iterator[Visit]:
    user = world.user()
    client = world.anonymous()
    yield Visit("form", client.get(reverse("accounts:password_reset")))
    yield Visit("sent", client.post(reverse("accounts:password_reset"), {"email": user.email}, follow=True))


@page("accounts:password_reset_done")
def _password_reset_done(world: World) -> Iterator[Visit]:
    yield Visit("page", world.anonymous().get(reverse("accounts:password_reset_done")))


@page("accounts:password_reset_complete")
def _password_reset_complete(world: World) -> Iterator[Visit]:
    yield Visit("page", world.anonymous().get(reverse("accounts:password_reset_complete")))


@page("accounts:password_reset_confirm")
def _password_reset_confirm(world: World) -> Iterator[Visit]:
    user = world.user()
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    url = reverse("accounts:password_reset_confirm", args=[uid, default_token_generator.make_token(user)])
    client = world.anonymous()
    response = client.get(url, follow=True)
    assert response.context["validlink"]
    yield Visit("valid link", response)
    data = {"new_password1": "short", "new_password2": "other"}
    yield Visit("invalid password", client.post(response.redirect_chain[-1][0], data))
    bad = reverse("accounts:password_reset_confirm", args=[uid, "bad-token"])
    yield Visit("used or expired link", world.anonymous().get(bad, follow=True))


# --- Pages: workspaces --------------------------------------------------------------------------------


@page("workspaces:setup")
def _setup(world: World) -> Iterator[Visit]:
    assert not User.objects.exists()
    client = world.anonymous()
    url = reverse("workspaces:setup")
    yield Visit("first run", client.get(url))
    yield Visit("invalid", client.post(url, {"email": "not-an-address", "password1": "a", "password2": "b"}))


@page("workspaces:create")
def _create(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    yield Visit("form", client.get(reverse("workspaces:create")))
    yield Visit(
        "invalid", client.post(reverse("workspaces:create"), {"name": "", "timezone": "Nowhere/City"})
    )


@page("workspaces:invitation_accept")
def _invitation_accept(world: World) -> Iterator[Visit]:
    token = world.invitation()
    url = reverse("workspaces:invitation_accept", args=[token])
    yield Visit("new person", world.anonymous().get(url))
    yield Visit("new person, invalid form", world.anonymous().post(url, {"full_name": "", "password1": "x"}))
    yield Visit("signed in with another address", world.signed_in(Role.MANAGER).get(url))
    bad = reverse("workspaces:invitation_accept", args=["no-such-token"])
    yield Visit("invalid link", world.anonymous().get(bad), 404)
    expired = world.invitation(email="late@example.com")
    Invitation.objects.filter(email="late@example.com").update(expires_at=timezone.now() - timedelta(days=1))
    yield Visit(
        "expired link", world.anonymous().get(reverse("workspaces:invitation_accept", args=[expired])), 410
    )
    yield Visit(
        "joined",
        world.anonymous().post(
            url,
            {
                "full_name": "Nina",
                "password1": "a-long-enough-passphrase",
                "password2": "a-long-enough-passphrase",
            },
            follow=True,
        ),
    )


@page("workspaces:dashboard")
def _dashboard(world: World) -> Iterator[Visit]:
    yield Visit("owner", world.signed_in().get(ws("dashboard", world)))
    yield Visit("client (approver)", world.signed_in(Role.CLIENT).get(ws("dashboard", world)))


@page("workspaces:members")
def _members(world: World) -> Iterator[Visit]:
    world.invitation()
    yield Visit("owner", world.signed_in().get(ws("members", world)))
    yield Visit("copywriter", world.signed_in(Role.COPYWRITER).get(ws("members", world)))
    data = {"email": "not-an-address", "role": Role.DESIGNER.value}
    yield Visit("invalid invitation", world.signed_in().post(ws("members", world), data))
    data = {"email": "designer2@example.com", "role": Role.DESIGNER.value}
    yield Visit("invitation sent", world.signed_in().post(ws("members", world), data, follow=True))


@page("workspaces:member_update")
def _member_update(world: World) -> Iterator[Visit]:
    target = world.member(Role.COPYWRITER).pk
    client = world.signed_in()
    url = ws("member_update", world, target)
    yield Visit("updated", client.post(url, {"role": Role.DESIGNER.value}, follow=True))
    yield Visit("invalid role", client.post(url, {"role": "emperor"}, follow=True))


@page("workspaces:member_remove")
def _member_remove(world: World) -> Iterator[Visit]:
    url = ws("member_remove", world, world.member(Role.DESIGNER).pk)
    yield Visit("removed", world.signed_in().post(url, follow=True))
    url = ws("member_remove", world, world.member(Role.ANALYST).pk)
    yield Visit("left", world.signed_in(Role.ANALYST).post(url, follow=True))


@page("workspaces:invitation_revoke")
def _invitation_revoke(world: World) -> Iterator[Visit]:
    world.invitation()
    invitation = Invitation.objects.get(email="newcomer@example.com")
    url = ws("invitation_revoke", world, invitation.pk)
    yield Visit("revoked", world.signed_in().post(url, follow=True))
    yield Visit("already revoked", world.signed_in().post(url, follow=True))


@page("workspaces:settings")
def _settings(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    yield Visit("form", client.get(ws("settings", world)))
    data = {"name": "", "timezone": "Europe/Paris", "language": "fr", "require_2fa": "on"}
    yield Visit("invalid", client.post(ws("settings", world), data))
    data = {"name": "Acme", "timezone": "Europe/Paris", "language": "ru"}
    yield Visit("saved", client.post(ws("settings", world), data, follow=True))


@page("workspaces:audit")
def _audit(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    world.invitation()
    yield Visit("log", client.get(ws("audit", world)))
    yield Visit("invalid filter", client.get(ws("audit", world), {"since": "yesterday"}))
    yield Visit("no match", client.get(ws("audit", world), {"action": "nothing.ever"}))


@page("workspaces:tokens")
def _tokens(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    yield Visit("none yet", client.get(ws("tokens", world)))
    yield Visit("created", client.post(ws("tokens", world), {"name": "reporting script"}))
    yield Visit("invalid", client.post(ws("tokens", world), {"name": "", "expires_at": "2001-01-01"}))


@page("workspaces:token_revoke")
def _token_revoke(world: World) -> Iterator[Visit]:
    issued = services.api_token_create(by=world.member(Role.OWNER), name="reporting script")
    yield Visit("revoked", world.signed_in().post(ws("token_revoke", world, issued.token.pk), follow=True))


@page("workspaces:roles")
def _roles(world: World) -> Iterator[Visit]:
    yield Visit("matrix", world.signed_in(Role.CLIENT).get(ws("roles", world)))


# --- Pages: channels (on the fake networks of channels/tests/fakes.py: no real connector, no network) ------


def ch(name: str, world: World, *args: object) -> str:
    return reverse(f"channels:{name}", args=[world.slug(), *args])


def channel(world: World, **values: Any) -> Channel:
    fields: dict[str, Any] = {
        "network": "fakenet",
        "external_id": "acct-1",
        "name": "Fake account",
        "base_url": "https://api.fakenet.test",
        "credentials": {"token": "good-pages-token"},
        **values,
    }
    return Channel.objects.create(workspace=world.workspace, **fields)


@page("channels:list")
def _channels(world: World) -> Iterator[Visit]:
    with registered_fakes():
        yield Visit("none yet", world.signed_in().get(ch("list", world)))
        channel(world, followers=1200, handle="@fake")
        channel(world, external_id="2", status=ChannelStatus.NEEDS_REAUTH, last_error="Revoked.")
        yield Visit("owner", world.signed_in().get(ch("list", world)))
        yield Visit("analyst", world.signed_in(Role.ANALYST).get(ch("list", world)))


@page("channels:detail")
def _channel_detail(world: World) -> Iterator[Visit]:
    with registered_fakes():
        made = channel(world, status=ChannelStatus.ERROR, last_error="Temporary problem.")
        yield Visit("owner", world.signed_in().get(ch("detail", world, made.pk)))
        yield Visit("copywriter", world.signed_in(Role.COPYWRITER).get(ch("detail", world, made.pk)))


@page("channels:connect_index")
def _connect_index(world: World) -> Iterator[Visit]:
    with registered_fakes():
        yield Visit("networks", world.signed_in().get(ch("connect_index", world)))


@page("channels:connect")
def _connect(world: World) -> Iterator[Visit]:
    with registered_fakes():
        client = world.signed_in()
        yield Visit("form", client.get(ch("connect", world, "fakenet")))
        yield Visit("invalid", client.post(ch("connect", world, "fakenet"), {}))
        yield Visit("refused", client.post(ch("connect", world, "fakenet"), {"token": "revoked-1"}))
        yield Visit("manual", client.get(ch("connect", world, "fakemanual")))
        yield Visit("sign-in not set up", client.get(ch("connect", world, "fakeoauth") + "?again=1"))
        data = {"token": "good-pages-token"}
        yield Visit("connected", client.post(ch("connect", world, "fakenet"), data, follow=True))


@page("channels:oauth_start")
def _oauth_start(world: World) -> Iterator[Visit]:
    with registered_fakes():
        response = world.signed_in().post(ch("oauth_start", world, "fakeoauth"), follow=True)
        yield Visit("sign-in not set up", response)


@page("channels:oauth_choose")
def _oauth_choose(world: World) -> Iterator[Visit]:
    with registered_fakes():
        response = world.signed_in().get(ch("oauth_choose", world, "fakeoauth"), follow=True)
        yield Visit("nothing to choose", response)


@page("channels:oauth_callback")
def _oauth_callback(world: World) -> Iterator[Visit]:
    with registered_fakes():
        response = world.signed_in().get(reverse("channels:oauth_callback"), {"state": "forged", "code": "x"})
        yield Visit("no such attempt", response, 400)


@page("channels:test")
def _channel_test(world: World) -> Iterator[Visit]:
    with registered_fakes():
        client = world.signed_in()
        yield Visit("works", client.post(ch("test", world, channel(world).pk), follow=True))
        broken = channel(world, external_id="2", credentials={"token": "revoked-1"})
        yield Visit("fails", client.post(ch("test", world, broken.pk), {"next": "detail"}, follow=True))


@page("channels:reconnect")
def _channel_reconnect(world: World) -> Iterator[Visit]:
    with registered_fakes():
        client = world.signed_in()
        made = channel(world, status=ChannelStatus.NEEDS_REAUTH)
        yield Visit("form", client.get(ch("reconnect", world, made.pk)))
        yield Visit("another account", client.post(ch("reconnect", world, made.pk), {"token": "other-1"}))
        response = client.post(ch("reconnect", world, made.pk), {"token": "good-2"}, follow=True)
        yield Visit("reconnected", response)


@page("channels:rename")
def _channel_rename(world: World) -> Iterator[Visit]:
    with registered_fakes():
        made = channel(world)
        client = world.signed_in()
        yield Visit("renamed", client.post(ch("rename", world, made.pk), {"name": "Newsroom"}, follow=True))
        yield Visit("invalid", client.post(ch("rename", world, made.pk), {"name": ""}, follow=True))


@page("channels:disconnect")
def _channel_disconnect(world: World) -> Iterator[Visit]:
    with registered_fakes():
        made = channel(world)
        yield Visit("disconnected", world.signed_in().post(ch("disconnect", world, made.pk), follow=True))


# --- Pages: posts (the composer; channels of a real connector, rows only: nothing is sent) --------------


def po(name: str, world: World, *args: object) -> str:
    return reverse(f"content:{name}", args=[world.slug(), *args])


def post_with_channel(world: World, text: str = "Hello #launch https://portevoix.org") -> Post:
    telegram = Channel.objects.filter(workspace=world.workspace, network="telegram").first()
    if telegram is None:
        telegram = Channel.objects.create(
            workspace=world.workspace,
            network="telegram",
            external_id="@acme",
            name="Acme news",
            base_url="https://api.telegram.org",
        )
    return content_services.post_create(
        by=world.member(Role.OWNER), title="Launch", text=text, channel_ids=[telegram.pk]
    )


def soon_local() -> str:
    return (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%dT10:00")


@page("content:list")
def _posts(world: World) -> Iterator[Visit]:
    yield Visit("none yet", world.signed_in().get(po("list", world)))
    post_with_channel(world)
    yield Visit("owner", world.signed_in().get(po("list", world)))
    yield Visit("client", world.signed_in(Role.CLIENT).get(po("list", world)))
    yield Visit("no match", world.signed_in().get(po("list", world), {"status": "published", "q": "zzz"}))


@page("content:new")
def _post_new(world: World) -> Iterator[Visit]:
    post_with_channel(world)  # a channel to choose
    client = world.signed_in()
    yield Visit("form", client.get(po("new", world)))
    yield Visit("copywriter", world.signed_in(Role.COPYWRITER).get(po("new", world)))
    yield Visit(
        "invalid", client.post(po("new", world), {"text": "hi", "link": "ftp://x", "action": "save"}), 422
    )
    yield Visit("saved", client.post(po("new", world), {"text": "Hello", "action": "save"}, follow=True))


@page("content:edit")
def _post_edit(world: World) -> Iterator[Visit]:
    client = world.signed_in()
    post = post_with_channel(world, text="a" * 5000)  # over Telegram's limit: problems and a cut preview
    yield Visit("form with problems", client.get(po("edit", world, post.pk)))
    data = {"text": "", "channels": [Target.objects.get(post=post).channel_id], "action": "publish"}
    yield Visit("publishing refused", client.post(po("edit", world, post.pk), data, follow=True))


@page("content:detail")
def _post_detail(world: World) -> Iterator[Visit]:
    post = post_with_channel(world)
    yield Visit("draft", world.signed_in().get(po("detail", world, post.pk)))
    target = Target.objects.get(post=post)
    Target.objects.filter(pk=target.pk).update(
        state=TargetState.FAILED,
        error_code="reauth_required",
        error_message="Refused (401).",
        attempt_count=1,
    )
    now = timezone.now()
    Attempt.objects.create(
        target=target, number=1, fence=1, started_at=now, finished_at=now, outcome=AttemptOutcome.AUTH
    )
    yield Visit("failed, with history", world.signed_in().get(po("detail", world, post.pk)))
    yield Visit("client", world.signed_in(Role.CLIENT).get(po("detail", world, post.pk)))


@page("content:schedule")
def _post_schedule(world: World) -> Iterator[Visit]:
    post = post_with_channel(world)
    client = world.signed_in()
    url = po("schedule", world, post.pk)
    yield Visit("in a DST gap", client.post(url, {"schedule_at": "2026-03-29T02:30"}, follow=True))
    yield Visit("garbage", client.post(url, {"schedule_at": "soon"}, follow=True))
    yield Visit("scheduled", client.post(url, {"schedule_at": soon_local()}, follow=True))


@page("content:publish")
def _post_publish(world: World) -> Iterator[Visit]:
    post = post_with_channel(world)
    yield Visit("sent", world.signed_in().post(po("publish", world, post.pk), follow=True))
    empty = content_services.post_create(by=world.member(Role.OWNER), text="No channel")
    yield Visit("refused", world.signed_in().post(po("publish", world, empty.pk), follow=True))


@page("content:unschedule")
def _post_unschedule(world: World) -> Iterator[Visit]:
    post = post_with_channel(world)
    client = world.signed_in()
    client.post(po("schedule", world, post.pk), {"schedule_at": soon_local()})
    yield Visit("cancelled", client.post(po("unschedule", world, post.pk), follow=True))
    yield Visit("nothing planned", client.post(po("unschedule", world, post.pk), follow=True))


@page("content:delete")
def _post_delete(world: World) -> Iterator[Visit]:
    post = post_with_channel(world)
    Target.objects.filter(post=post).update(state=TargetState.PUBLISHED, remote_url="https://t.me/acme/1")
    yield Visit("sent: kept", world.signed_in().post(po("delete", world, post.pk), follow=True))
    draft = content_services.post_create(by=world.member(Role.OWNER), text="Draft")
    yield Visit("deleted", world.signed_in().post(po("delete", world, draft.pk), follow=True))


# --- Pages: needs attention and notifications ---------------------------------------------------------


def pu(name: str, world: World, *args: object) -> str:
    return reverse(f"publishing:{name}", args=[world.slug(), *args])


def target_in(world: World, state: str, **extra: Any) -> Target:
    post = post_with_channel(world)
    target = Target.objects.get(post=post)
    Target.objects.filter(pk=target.pk).update(state=state, **extra)
    return target


@page("publishing:attention")
def _attention(world: World) -> Iterator[Visit]:
    yield Visit("nothing", world.signed_in().get(pu("attention", world)))
    target_in(world, TargetState.FAILED, error_code="reauth_required", error_message="Refused (401).")
    target_in(world, TargetState.UNCONFIRMED, error_code="outcome_unknown")
    target_in(world, TargetState.RETRY_WAIT, attempt_count=5)
    Channel.objects.filter(workspace=world.workspace).update(status=ChannelStatus.NEEDS_REAUTH)
    yield Visit("owner", world.signed_in().get(pu("attention", world)))
    yield Visit("manager", world.signed_in(Role.MANAGER).get(pu("attention", world)))


@page("publishing:retry")
def _attention_retry(world: World) -> Iterator[Visit]:
    target = target_in(world, TargetState.FAILED)
    yield Visit("sent", world.signed_in().post(pu("retry", world, target.pk), follow=True))
    yield Visit("refused", world.signed_in().post(pu("retry", world, target.pk), follow=True))


@page("publishing:mark_published")
def _attention_mark_published(world: World) -> Iterator[Visit]:
    target = target_in(world, TargetState.UNCONFIRMED)
    url = pu("mark_published", world, target.pk)
    yield Visit("bad address", world.signed_in().post(url, {"url": "javascript:x"}, follow=True))
    yield Visit("marked", world.signed_in().post(url, {"url": "https://t.me/acme/7"}, follow=True))


@page("publishing:mark_not_published")
def _attention_mark_not_published(world: World) -> Iterator[Visit]:
    target = target_in(world, TargetState.UNCONFIRMED)
    url = pu("mark_not_published", world, target.pk)
    yield Visit("marked", world.signed_in().post(url, follow=True))
    yield Visit("refused", world.signed_in().post(url, follow=True))


@page("publishing:cancel")
def _attention_cancel(world: World) -> Iterator[Visit]:
    target = target_in(world, TargetState.RETRY_WAIT, attempt_count=4)
    yield Visit("cancelled", world.signed_in().post(pu("cancel", world, target.pk), follow=True))


@page("publishing:notifications")
def _notifications(world: World) -> Iterator[Visit]:
    yield Visit("none", world.signed_in(Role.CLIENT).get(pu("notifications", world)))
    # Stored in the workspace's language (English); shown in the reader's, from its items.
    Notification.objects.create(
        workspace=world.workspace,
        kind=NotificationKind.FAILED,
        title="A post could not be published",
        items=[{"target_id": 0, "post": "Atelier 12", "channel": "", "message": ""}],
    )
    yield Visit("one", world.signed_in().get(pu("notifications", world)))


@page("publishing:notifications_read")
def _notifications_read(world: World) -> Iterator[Visit]:
    Notification.objects.create(workspace=world.workspace, kind=NotificationKind.LATE, title="Late", items=[])
    yield Visit("all read", world.signed_in().post(pu("notifications_read", world), follow=True))


# --- Pages: media library (files stored in a temporary folder) -----------------------------------------


@contextmanager
def media_folder() -> Iterator[None]:
    with tempfile.TemporaryDirectory() as folder, override_settings(MEDIA_ROOT=folder):
        yield


def me(name: str, world: World, *args: object) -> str:
    return reverse(f"media:{name}", args=[world.slug(), *args])


@page("media:list")
def _media_list(world: World) -> Iterator[Visit]:
    with media_folder():
        yield Visit("empty", world.signed_in().get(me("list", world)))
        stored_asset(world.workspace, name="cat.png", alt_text="A cat")
        stored_asset(world.workspace, name="launch.mp4", kind=MediaKind.VIDEO)
        yield Visit("owner", world.signed_in().get(me("list", world)))
        analyst = world.signed_in(Role.ANALYST)
        yield Visit("analyst, filtered", analyst.get(me("list", world), {"kind": "video", "q": "launch"}))
        yield Visit("no match", analyst.get(me("list", world), {"q": "nothing-like-this"}))


@page("media:upload")
def _media_upload(world: World) -> Iterator[Visit]:
    with media_folder():
        client = world.signed_in(Role.DESIGNER)
        files = [png_upload("one.png"), upload(b"<svg xmlns='http://www.w3.org/2000/svg'/>", "two.png")]
        yield Visit("one added, one refused", client.post(me("upload", world), {"files": files}, follow=True))
        again = {"files": [png_upload("copy.png")]}
        yield Visit("already there", client.post(me("upload", world), again, follow=True))
        yield Visit("nothing chosen", client.post(me("upload", world), {}, follow=True))


@page("media:detail")
def _media_detail(world: World) -> Iterator[Visit]:
    with media_folder():
        image = stored_asset(world.workspace, name="cat.png")
        clip = stored_asset(world.workspace, name="launch.mp4", kind=MediaKind.VIDEO, alt_text="Our launch")
        post = content_services.post_create(by=world.member(Role.OWNER), text="Launch day")
        PostMedia.objects.create(post=post, asset=clip)
        client = world.signed_in()
        yield Visit("image without alt text", client.get(me("detail", world, image.pk)))
        yield Visit("video used by a post", client.get(me("detail", world, clip.pk)))
        yield Visit("analyst", world.signed_in(Role.ANALYST).get(me("detail", world, clip.pk)))
        saved = client.post(me("detail", world, image.pk), {"alt_text": "A cat asleep"}, follow=True)
        yield Visit("alt text saved", saved)
        yield Visit("alt text too long", client.post(me("detail", world, image.pk), {"alt_text": "x" * 1501}))


@page("media:delete")
def _media_delete(world: World) -> Iterator[Visit]:
    with media_folder():
        clip = stored_asset(world.workspace, name="launch.mp4", kind=MediaKind.VIDEO)
        post = content_services.post_create(by=world.member(Role.OWNER), text="Launch day")
        PostMedia.objects.create(post=post, asset=clip)
        client = world.signed_in()
        yield Visit("used by a post: kept", client.post(me("delete", world, clip.pk), follow=True))
        image = stored_asset(world.workspace, name="cat.png")
        yield Visit("deleted", client.post(me("delete", world, image.pk), follow=True))


# --- Checks -------------------------------------------------------------------------------------------


class _VisibleText(HTMLParser):
    """The text a person reads: text nodes, and the attributes shown or spoken (title, aria-label,
    placeholder, alt, button values, confirm() dialogs); blocks are separated by new lines. Machine text
    (``<code>``, ``<kbd>``, ``<samp>``, ``<pre>``: action codes, tokens, commands) is left out."""

    INLINE = frozenset(
        {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark", "q", "s"}
        | {"samp", "small", "span", "strong", "sub", "sup", "time", "u", "var"}
    )
    SHOWN_ATTRIBUTES = frozenset({"title", "aria-label", "placeholder", "alt", "onsubmit", "onclick"})
    BUTTON_INPUTS = frozenset({"submit", "button", "reset"})
    HIDDEN = frozenset({"script", "style", "template"})
    MACHINE = frozenset({"code", "kbd", "samp", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipped: list[str] = []  # open elements whose text is left out
        self.in_language_menu = False  # each language names itself in the menu: "English" stays English

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in self.HIDDEN or tag in self.MACHINE or (self.in_language_menu and tag == "option"):
            self.skipped.append(tag)
        if tag == "form" and attributes.get("data-testid") == "language-form":
            self.in_language_menu = True
        if tag not in self.INLINE:
            self.parts.append("\n")
        shown = set(self.SHOWN_ATTRIBUTES)
        if tag == "input" and attributes.get("type") in self.BUTTON_INPUTS:
            shown.add("value")
        for name, value in attrs:
            if name in shown and value:
                self.parts.append(f"\n{value}\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.skipped:
            del self.skipped[len(self.skipped) - 1 - self.skipped[::-1].index(tag) :]
        if tag == "form":
            self.in_language_menu = False
        if tag not in self.INLINE:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skipped:
            self.parts.append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        joined = re.sub(r"[ \t]+", " ", "".join(self.parts))
        return re.sub(r" ?\n[\n ]*", "\n", joined).strip()


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.text()


def without_scripts(html: str) -> str:
    return re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.DOTALL | re.IGNORECASE)


# A placeholder, or machine text that visible_text() leaves out.
_GAP = re.compile(
    r"%\(\w+\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]|%[sd]|<(code|kbd|samp|pre)\b[^>]*>.*?</\1>"
)
# A word of text, not a piece of an identifier, an address or a path ("workspace.create", "role=owner").
_BEFORE = r"(?<![\w.=/@_-])"
_AFTER = r"(?![\w=/@_-]|\.\w)"


def _msgid_pattern(msgid: str) -> re.Pattern[str] | None:
    """A msgid as it reads on a page: tags dropped, placeholders matching any text on the same line."""
    pieces = [
        re.sub(r"<[^>]+>", "", piece) for piece in _GAP.sub("\x00", msgid.replace("%%", "%")).split("\x00")
    ]
    literal = "".join(pieces).strip()
    if len(literal) < MIN_MSGID_LENGTH or literal in PROPER_NAMES:
        return None
    words = [r"\s+".join(re.escape(word) for word in piece.split(" ")) for piece in pieces]
    return re.compile(_BEFORE + r"[^\n]*?".join(words) + _AFTER)


@cache
def untranslated_patterns(language: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """English msgids (singular and plural) whose translation in ``language`` is different."""
    found = []
    for entry in live_entries(load_po(language)):
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for english in filter(None, [entry.msgid, entry.msgid_plural]):
            if english in PROPER_NAMES or english in SAME_SPELLING.get(language, ()):
                continue
            if all(text == english for text in translations):
                continue
            pattern = _msgid_pattern(english)
            if pattern is not None:
                found.append((english, pattern))
    return tuple(found)


def check_text(language: str, label: str, text: str, *, visible: str) -> list[str]:
    problems = []
    for token in TEMPLATE_SYNTAX:
        if token in text:
            at = text.index(token)
            problems.append(f"{label}: template syntax {token!r} near {text[max(0, at - 60) : at + 60]!r}")
    left = PLACEHOLDER_LEFT.search(visible)
    if left:
        problems.append(f"{label}: placeholder {left.group(0)!r} left in the text")
    if language != "en":
        for english, pattern in untranslated_patterns(language):
            match = pattern.search(visible)
            if match:
                problems.append(f"{label}: untranslated {english!r} (shown as {match.group(0)!r})")
    return problems


def check_visit(language: str, visit: Visit) -> list[str]:
    response = visit.response
    label = f"{visit.label} [{response.status_code} {response.request['PATH_INFO']}]"
    if response.status_code >= 500:
        return [f"{label}: server error"]
    if response.status_code != visit.status:
        return [f"{label}: answered {response.status_code}, expected {visit.status}"]
    if not response.get("Content-Type", "").startswith("text/html"):
        return [f"{label}: not an HTML page"]
    html = response.content.decode()
    problems = check_text(language, label, without_scripts(html), visible=visible_text(html))
    declared = re.search(r"<html[^>]*\blang=\"([^\"]*)\"", html)
    if declared is None or declared.group(1) != language:
        problems.append(
            f"{label}: <html lang> is {declared.group(1) if declared else None!r}, not {language!r}"
        )
    return problems


# --- Tests --------------------------------------------------------------------------------------------


def iter_url_patterns(
    resolver: URLResolver, namespace: str = "", prefix: str = ""
) -> Iterator[tuple[str, str]]:
    """(name or route, route) of every pattern, skipping the included URLconfs of SKIPPED_NAMESPACES."""
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if pattern.namespace in SKIPPED_NAMESPACES:
                continue
            inner = ":".join(filter(None, [namespace, pattern.namespace]))
            yield from iter_url_patterns(pattern, inner, route)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield name or route, route


# Pages kept beside each domain (tests/pages/): imported here, once everything above is defined and before
# the tests below are parametrized over PAGES.
from tests.pages import load_all as _load_domain_pages  # noqa: E402

_load_domain_pages()


def test_every_url_pattern_is_rendered_or_skipped():
    found = {name for name, _route in iter_url_patterns(get_resolver())}
    namespaces = {getattr(p, "namespace", None) for p in get_resolver().url_patterns}
    unhandled = sorted(found - PAGES.keys() - SKIPPED.keys())
    assert not unhandled, (
        "URL patterns that no test renders: add an entry to PAGES in tests/test_pages_render.py (how to "
        f"reach the page with real objects), or to SKIPPED with the reason: {unhandled}"
    )
    stale = sorted((PAGES.keys() | SKIPPED.keys()) - found)
    assert not stale, f"entries for URL patterns that no longer exist: {stale}"
    assert set(SKIPPED_NAMESPACES) <= namespaces, "a skipped namespace is no longer mounted"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_renders_in_language(name, language, make_team, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    world = World(make_team, language)
    visits = list(PAGES[name](world))
    assert visits
    problems = [problem for visit in visits for problem in check_visit(language, visit)]
    if name in AWAITING_TRANSLATION:
        problems = [problem for problem in problems if ": untranslated " not in problem]
    assert not problems, f"{name} in {language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_error_pages_render_in_language(language, make_team):
    world = World(make_team, language)
    visits = [
        Visit("404 anonymous", world.anonymous().get("/no-such-page/"), 404),
        Visit("404 signed in", world.signed_in().get("/no-such-page/"), 404),
        Visit("404 foreign workspace", world.signed_in().get("/w/no-such-workspace/"), 404),
        Visit("403", world.signed_in(Role.ANALYST).get(ws("settings", world)), 403),
    ]
    for visit in visits:  # Portevoix's own error pages, not Django's bare English ones
        assert f'data-testid="error-{visit.status}"'.encode() in visit.response.content, visit.label
    request = RequestFactory().get("/broken/")
    with translation.override(language):
        response = defaults.server_error(request)
    assert response.status_code == 500
    html = response.content.decode()
    problems = [problem for visit in visits for problem in check_visit(language, visit)]
    problems += check_text(language, "500", without_scripts(html), visible=visible_text(html))
    assert f'lang="{language}"' in html
    assert not problems, f"error pages in {language}:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_emails_are_written_in_language(language, make_team, django_capture_on_commit_callbacks):
    world = World(make_team, language)
    user = world.user()
    world.anonymous().post(reverse("accounts:password_reset"), {"email": user.email})
    world.workspace.language = language
    world.workspace.save()
    issued = services.invitation_create(
        by=world.member(Role.OWNER), email="someone@example.com", role=Role.ANALYST
    )
    emails.send_invitation(invitation=issued.invitation, token=issued.token)
    assert len(mail.outbox) == 2
    problems = []
    for message in mail.outbox:
        text = f"{message.subject}\n{message.body}"
        problems += check_text(language, f"e-mail {message.subject!r}", text, visible=text)
    assert not problems, f"e-mails in {language}:\n" + "\n".join(problems)


def test_missing_translation_is_detected():
    """The check itself: an English msgid left in a French page is reported, a translated page is not."""
    english = "Too many attempts"
    french = polib.pofile(str(load_po("fr").fpath)).find(english).msgstr
    page_with = f'<html lang="fr"><body><h1>{english}</h1><p>Bonjour</p></body></html>'
    page_without = f'<html lang="fr"><body><h1>{french}</h1></body></html>'
    assert check_text("fr", "t", page_with, visible=visible_text(page_with))
    assert not check_text("fr", "t", page_without, visible=visible_text(page_without))
    with_placeholder = '<p>Continue to <a href="/w/x/">Acme</a></p><p>{{ name }}</p>'
    problems = check_text("fr", "t", with_placeholder, visible=visible_text(with_placeholder))
    assert any("Continue to %(name)s" in problem for problem in problems)
    assert any("template syntax" in problem for problem in problems)
