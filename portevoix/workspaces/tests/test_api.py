"""The REST API as a client sees it: authentication, errors, pagination, filters and the audit trail."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.test.client import ClientHandler
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from portevoix.core.secrets import digest
from portevoix.workspaces import services
from portevoix.workspaces.models import ApiToken, AuditEvent, Invitation, Membership
from portevoix.workspaces.roles import MATRIX, Role

pytestmark = pytest.mark.django_db

_HANDLER = ClientHandler(enforce_csrf_checks=False)


def fast_client(**defaults: Any) -> Client:
    """A test client on a shared handler, so the middleware is loaded once per module rather than once per
    client (WhiteNoise scans the static files each time it starts)."""
    client = Client(**defaults)
    client.handler = _HANDLER
    return client


CSRF_SECRET = "a" * 32  # Django accepts an unmasked 32-character secret in the cookie and the header


def token_client(membership: Membership, **extra) -> tuple[Client, str]:
    issued = services.api_token_create(by=membership, name="script", **extra)
    return fast_client(HTTP_AUTHORIZATION=f"Bearer {issued.secret}"), issued.secret


def send(client: Client, method: str, path: str, body=None, *, raw: bytes | None = None, **headers):
    data = raw if raw is not None else (json.dumps(body) if body is not None else None)
    kwargs = {"content_type": "application/json"} if data is not None else {}
    call = getattr(client, method.lower())
    return call(path, data, **kwargs, headers=headers) if data is not None else call(path, headers=headers)


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


# --- Token authentication -----------------------------------------------------------------------


def test_valid_token_acts_as_its_member_in_its_workspace(team):
    client, _secret = token_client(team.member(Role.COPYWRITER))
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    me = response.json()
    assert me["auth"] == "token"
    assert me["user"]["email"] == team.user(Role.COPYWRITER).email
    assert set(me["user"]) == {"id", "email", "full_name", "language", "timezone"}
    assert me["membership"]["role"] == "copywriter"
    assert "member.view" in me["membership"]["permissions"]
    assert "audit.view" not in me["membership"]["permissions"]
    assert me["workspace"]["slug"] == team.workspace.slug
    assert me["workspace"]["timezone"] == "Europe/Paris"


def test_token_use_is_recorded_at_most_once_a_minute(team):
    client, secret = token_client(team.member(Role.ANALYST))
    token = ApiToken.objects.get(prefix=secret.split("_")[1])
    assert token.last_used_at is None
    client.get("/api/v1/me")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at == first


def test_missing_credentials_answer_401_with_a_challenge():
    response = fast_client().get("/api/v1/me")
    error = assert_error(response, 401, "unauthenticated")
    assert "token" in error["message"].lower()
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer nope",
        "Bearer pvx_",
        "Bearer pvx_abc",
        "Bearer pvx_abcdefgh_secret",
        "Bearer " + "x" * 5000,
        "Bearer pvx_\x7f_\x7f",
        "Bearer",
    ],
)
def test_malformed_or_unknown_tokens_answer_401(team, header):
    response = fast_client(HTTP_AUTHORIZATION=header).get("/api/v1/me")
    assert_error(response, 401, "unauthenticated")


def test_revoked_token_answers_401(team):
    membership = team.member(Role.MANAGER)
    client, secret = token_client(membership)
    assert client.get("/api/v1/me").status_code == 200
    services.api_token_revoke(token=ApiToken.objects.get(prefix=secret.split("_")[1]), by=membership)
    assert_error(client.get("/api/v1/me"), 401, "unauthenticated")


def test_expired_token_answers_401(team):
    client, secret = token_client(team.member(Role.MANAGER), expires_at=timezone.now() + timedelta(hours=1))
    assert client.get("/api/v1/me").status_code == 200
    ApiToken.objects.filter(prefix=secret.split("_")[1]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert_error(client.get("/api/v1/me"), 401, "unauthenticated")


def test_wrong_secret_with_a_right_prefix_answers_401(team):
    _client, secret = token_client(team.member(Role.OWNER))
    pvx, prefix, rest = secret.split("_", 2)
    forged = f"{pvx}_{prefix}_{'A' * len(rest)}"
    assert_error(fast_client(HTTP_AUTHORIZATION=f"Bearer {forged}").get("/api/v1/me"), 401, "unauthenticated")


def test_token_of_a_removed_member_answers_401(team):
    client, _secret = token_client(team.member(Role.DESIGNER))
    services.membership_remove(membership=team.member(Role.DESIGNER), by=team.member(Role.OWNER))
    assert_error(client.get("/api/v1/me"), 401, "unauthenticated")


def test_token_stops_working_when_the_membership_disappears_even_unrevoked(team):
    client, _secret = token_client(team.member(Role.DESIGNER))
    Membership.objects.filter(pk=team.member(Role.DESIGNER).pk).delete()
    assert_error(client.get("/api/v1/me"), 401, "unauthenticated")


def test_token_of_a_deactivated_person_answers_401(team):
    client, _secret = token_client(team.member(Role.DESIGNER))
    user = team.user(Role.DESIGNER)
    user.is_active = False
    user.save()
    assert_error(client.get("/api/v1/me"), 401, "unauthenticated")


def test_a_bad_token_is_refused_even_with_a_valid_session(team, client_for):
    client = client_for(team.user(Role.OWNER))
    assert client.get("/api/v1/me").status_code == 200
    response = client.get("/api/v1/me", headers={"Authorization": "Bearer pvx_wrong_wrong"})
    assert_error(response, 401, "unauthenticated")


def test_token_ignores_no_workspace_header_but_refuses_a_different_one(team, other_team):
    client, _secret = token_client(team.member(Role.OWNER))
    same = client.get("/api/v1/me", headers={"X-Portevoix-Workspace": team.workspace.slug})
    assert same.json()["workspace"]["slug"] == team.workspace.slug
    other = client.get("/api/v1/members", headers={"X-Portevoix-Workspace": other_team.workspace.slug})
    assert_error(other, 404, "not_found")


def test_docs_and_schema_are_served(client):
    assert client.get("/api/docs").status_code == 200
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    assert "/api/v1/me" in schema.json()["paths"]


def test_token_secret_is_shown_once_and_stored_hashed(team):
    client, _secret = token_client(team.member(Role.COPYWRITER))
    response = send(client, "POST", "/api/v1/tokens", {"name": "reporting script"})
    assert response.status_code == 201
    created = response.json()
    secret = created["secret"]
    assert secret.startswith(f"pvx_{created['prefix']}_")
    assert set(created) == {"id", "name", "prefix", "created_at", "last_used_at", "expires_at", "secret"}
    stored = ApiToken.objects.get(pk=created["id"])
    assert stored.token_hash == digest(secret)
    assert secret not in {stored.token_hash, stored.prefix, stored.name}
    # Never again: not in the list, not in the audit log.
    listed = client.get("/api/v1/tokens").json()
    assert created["id"] in [item["id"] for item in listed["items"]]
    assert secret not in json.dumps(listed)
    assert all("secret" not in item for item in listed["items"])
    assert not AuditEvent.objects.filter(data__icontains=secret.split("_", 2)[2]).exists()
    # And it works.
    me = fast_client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me")
    assert me.json()["user"]["email"] == team.user(Role.COPYWRITER).email


def test_token_with_expiry_and_validation(team):
    client, _secret = token_client(team.member(Role.CLIENT))
    later = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    response = send(client, "POST", "/api/v1/tokens", {"name": "ci", "expires_at": later.isoformat()})
    assert response.status_code == 201
    assert datetime.fromisoformat(response.json()["expires_at"]) == later
    past = send(client, "POST", "/api/v1/tokens", {"name": "ci", "expires_at": "2001-01-01T00:00:00Z"})
    assert "expires_at" in assert_error(past, 422, "validation_failed")["fields"]
    blank = send(client, "POST", "/api/v1/tokens", {"name": "   "})
    assert "name" in assert_error(blank, 422, "validation_failed")["fields"]


def test_tokens_are_personal(team):
    owner = team.member(Role.OWNER)
    client, _secret = token_client(owner)
    other = services.api_token_create(by=team.member(Role.ANALYST), name="analyst's").token
    assert other.pk not in [item["id"] for item in client.get("/api/v1/tokens").json()["items"]]
    assert_error(client.delete(f"/api/v1/tokens/{other.pk}"), 404, "not_found")
    other.refresh_from_db()
    assert other.revoked_at is None


def test_revoking_a_token_through_the_api(team):
    membership = team.member(Role.TARGETOLOGIST)
    client, _secret = token_client(membership)
    spare = services.api_token_create(by=membership, name="spare")
    response = client.delete(f"/api/v1/tokens/{spare.token.pk}")
    assert response.status_code == 204
    assert response.content == b""
    assert_error(
        fast_client(HTTP_AUTHORIZATION=f"Bearer {spare.secret}").get("/api/v1/me"), 401, "unauthenticated"
    )
    assert client.get("/api/v1/me").status_code == 200


# --- Session authentication ---------------------------------------------------------------------


def test_session_uses_the_default_workspace_or_the_header(team, other_team, client_for):
    person = team.user(Role.ANALYST)
    Membership.objects.create(workspace=other_team.workspace, user=person, role=Role.MANAGER)
    client = client_for(person)
    me = client.get("/api/v1/me").json()
    assert me["auth"] == "session"
    assert me["workspace"]["slug"] == team.workspace.slug
    assert me["membership"]["role"] == "analyst"
    other = client.get("/api/v1/me", headers={"X-Portevoix-Workspace": other_team.workspace.slug}).json()
    assert other["workspace"]["slug"] == other_team.workspace.slug
    assert other["membership"]["role"] == "manager"
    # The header does not change the person's default workspace.
    person.refresh_from_db()
    assert client.get("/api/v1/me").json()["workspace"]["slug"] == team.workspace.slug


def test_session_cannot_reach_a_foreign_workspace(team, other_team, client_for):
    client = client_for(team.user(Role.OWNER))
    for slug in (other_team.workspace.slug, "no-such-workspace", "x" * 300, "é\u0000"):
        response = client.get("/api/v1/members", headers={"X-Portevoix-Workspace": slug})
        assert_error(response, 404, "not_found")


def test_session_of_someone_without_a_workspace_answers_404(make_user, client_for):
    assert_error(client_for(make_user()).get("/api/v1/me"), 404, "not_found")


def test_session_needs_the_csrf_token_on_unsafe_methods(team):
    client = Client(enforce_csrf_checks=True)
    client.force_login(team.user(Role.OWNER), backend="django.contrib.auth.backends.ModelBackend")
    assert client.get("/api/v1/tokens").status_code == 200  # safe methods need none
    refused = send(client, "POST", "/api/v1/tokens", {"name": "from the browser"})
    assert "CSRF" in assert_error(refused, 403, "csrf_failed")["message"]
    assert not ApiToken.objects.filter(name="from the browser").exists()
    client.cookies["csrftoken"] = CSRF_SECRET
    accepted = send(
        client, "POST", "/api/v1/tokens", {"name": "from the browser"}, **{"X-CSRFToken": CSRF_SECRET}
    )
    assert accepted.status_code == 201


def test_tokens_need_no_csrf_token(team):
    issued = services.api_token_create(by=team.member(Role.OWNER), name="ci")
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    assert send(client, "POST", "/api/v1/tokens", {"name": "other"}).status_code == 201


def test_anonymous_unsafe_request_is_401_not_a_csrf_error():
    client = Client(enforce_csrf_checks=True)
    assert_error(send(client, "POST", "/api/v1/tokens", {"name": "x"}), 401, "unauthenticated")


def test_workspace_requiring_2fa_refuses_unverified_sessions(team, client_for):
    team.workspace.require_2fa = True
    team.workspace.save()
    owner = team.user(Role.OWNER)
    client = client_for(owner)
    error = assert_error(client.get("/api/v1/me"), 403, "two_factor_required")
    assert team.workspace.name in error["message"]
    # Once the session is verified with a confirmed device, it is let in.
    device = TOTPDevice.objects.create(user=owner, name="phone", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    assert client.get("/api/v1/me").status_code == 200


def test_tokens_are_not_subject_to_the_session_2fa_rule(team):
    client, _secret = token_client(team.member(Role.MANAGER))
    team.workspace.require_2fa = True
    team.workspace.save()
    assert client.get("/api/v1/me").status_code == 200


# --- Errors -------------------------------------------------------------------------------------


def test_forbidden_has_the_json_shape(team):
    client, _secret = token_client(team.member(Role.COPYWRITER))
    error = assert_error(client.get("/api/v1/audit"), 403, "forbidden")
    assert "Copywriter" in error["message"]


def test_unknown_ids_and_paths_are_json_404(team):
    client, _secret = token_client(team.member(Role.OWNER))
    assert_error(client.get("/api/v1/members/999999"), 404, "not_found")
    assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(client.get("/api/v1/me/"), 404, "not_found")
    assert_error(client.post("/api/v1/members/1/extra"), 404, "not_found")
    assert_error(fast_client().get("/api/v1/unknown"), 404, "not_found")


def test_wrong_method_is_json_405(team):
    client, _secret = token_client(team.member(Role.OWNER))
    response = client.put("/api/v1/me")
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_conflict_when_demoting_the_last_owner(team):
    owner = team.member(Role.OWNER)
    client, _secret = token_client(owner)
    response = send(client, "PATCH", f"/api/v1/members/{owner.pk}", {"role": "manager"})
    assert_error(response, 409, "conflict")
    owner.refresh_from_db()
    assert owner.role == Role.OWNER
    assert_error(client.delete(f"/api/v1/members/{owner.pk}"), 409, "conflict")


def test_domain_validation_errors_carry_fields(team):
    client, _secret = token_client(team.member(Role.OWNER))
    response = send(client, "PATCH", "/api/v1/workspace", {"timezone": "Mars/Olympus", "language": "de"})
    error = assert_error(response, 422, "validation_failed")
    assert set(error["fields"]) == {"timezone", "language"}
    two_fa = send(client, "PATCH", "/api/v1/workspace", {"require_2fa": True})
    assert "require_2fa" in assert_error(two_fa, 422, "validation_failed")["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": 5}, "name"),
        ({"name": None}, "name"),
        ({"name": ["a"]}, "name"),
        ({"name": "a" * 101}, "name"),
        ({"name": "nul\u0000byte"}, "name"),
        ({"name": "ok", "expires_at": "tomorrow"}, "expires_at"),
        ({"name": "ok", "expires_at": 10**30}, "expires_at"),
        ({"name": "ok", "expires_at": "9999-12-31T23:59:59-12:00"}, "expires_at"),
        ({"name": "ok", "expires_at": "0001-01-01T00:00:00+05:00"}, "expires_at"),
        ({"name": "ok", "scopes": ["all"]}, "scopes"),
    ],
)
def test_schema_validation_errors_name_the_field(team, body, field):
    client, _secret = token_client(team.member(Role.OWNER))
    error = assert_error(send(client, "POST", "/api/v1/tokens", body), 422, "validation_failed")
    assert field in error["fields"], error
    assert all(isinstance(message, str) and message for message in error["fields"][field])


@pytest.mark.parametrize(
    "raw", [b"{", b"not json", b"\xff\xfe", b"{'name': 'x'}", b"[" * 100_000, b"1e999999"]
)
def test_malformed_bodies_are_400_or_422(team, raw):
    client, _secret = token_client(team.member(Role.OWNER))
    response = send(client, "POST", "/api/v1/tokens", raw=raw)
    assert response.status_code in {400, 422}
    assert_error(
        response, response.status_code, "bad_request" if response.status_code == 400 else "validation_failed"
    )


@pytest.mark.parametrize("raw", [b"[]", b"null", b'"name"', b"42", b"true", b'{"name": {"x": 1}}'])
def test_bodies_that_are_not_the_expected_object_are_422(team, raw):
    client, _secret = token_client(team.member(Role.OWNER))
    assert_error(send(client, "POST", "/api/v1/tokens", raw=raw), 422, "validation_failed")


def test_empty_body_where_one_is_required_is_422(team):
    client, _secret = token_client(team.member(Role.OWNER))
    response = client.post("/api/v1/invitations", content_type="application/json")
    assert_error(response, 422, "validation_failed")


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("GET", "/api/v1/members/abc", None, "id"),
        ("GET", "/api/v1/members/0", None, "id"),
        ("GET", "/api/v1/members/-3", None, "id"),
        ("GET", f"/api/v1/members/{10**30}", None, "id"),
        ("DELETE", f"/api/v1/tokens/{2**63}", None, "id"),
        ("GET", "/api/v1/members?limit=0", None, "limit"),
        ("GET", "/api/v1/members?limit=201", None, "limit"),
        ("GET", "/api/v1/members?limit=ten", None, "limit"),
        ("GET", "/api/v1/members?offset=-1", None, "offset"),
        ("GET", f"/api/v1/members?offset={10**40}", None, "offset"),
        ("GET", f"/api/v1/audit?actor_id={10**30}", None, "actor_id"),
        ("GET", "/api/v1/audit?since=yesterday", None, "since"),
        ("GET", "/api/v1/audit?until=9999-12-31T23:59:59-23:00", None, "until"),
        ("GET", "/api/v1/audit?action=%00", None, "action"),
        ("GET", "/api/v1/invitations?pending_only=maybe", None, "pending_only"),
        ("PATCH", "/api/v1/members/1", {"role": "overlord"}, "role"),
        ("PATCH", "/api/v1/members/1", {"role": 1e308}, "role"),
        ("PATCH", "/api/v1/workspace", {"require_2fa": "perhaps"}, "require_2fa"),
        ("PATCH", "/api/v1/workspace", {"name": "x" * 121}, "name"),
        ("PATCH", "/api/v1/workspace", {"slug": "new"}, "slug"),
        ("POST", "/api/v1/invitations", {"email": "a@example.com", "role": "superuser"}, "role"),
        ("POST", "/api/v1/invitations", {"email": "a@example.com"}, "role"),
    ],
)
def test_bad_parameters_are_422_with_the_field(team, method, path, body, field):
    client, _secret = token_client(team.member(Role.OWNER))
    error = assert_error(send(client, method, path, body), 422, "validation_failed")
    assert field in error["fields"], error


def test_field_messages_are_ours_and_say_the_limit(team):
    client, _secret = token_client(team.member(Role.OWNER))
    fields = assert_error(client.get("/api/v1/members?limit=500&offset=x"), 422, "validation_failed")[
        "fields"
    ]
    assert fields == {"limit": ["Enter a number no greater than 200."], "offset": ["Enter a whole number."]}
    role = send(client, "PATCH", "/api/v1/workspace", {"name": "x" * 121, "colour": "red"})
    assert assert_error(role, 422, "validation_failed")["fields"] == {
        "name": ["Use at most 120 characters."],
        "colour": ["This field is not accepted here."],
    }
    enum = send(client, "POST", "/api/v1/invitations", {"email": "a@example.com", "role": "boss"})
    (message,) = assert_error(enum, 422, "validation_failed")["fields"]["role"]
    assert message.startswith("Choose one of:")
    assert "'client'" in message


def test_huge_request_bodies_are_refused(team, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client, _secret = token_client(team.member(Role.OWNER))
    response = send(client, "POST", "/api/v1/tokens", {"name": "x" * 5000})
    assert_error(response, 413, "too_large")


def test_throttled_callers_get_429_with_retry_after(team):
    from portevoix.api import api
    from portevoix.core.api import iter_operations

    throttle = next(iter_operations(api)).operation.throttle_objects[0]
    client, _secret = token_client(team.member(Role.OWNER))
    original = throttle.num_requests
    throttle.num_requests = 2
    try:
        assert client.get("/api/v1/me").status_code == 200
        assert client.get("/api/v1/me").status_code == 200
        response = client.get("/api/v1/me")
        assert_error(response, 429, "throttled")
        assert int(response["Retry-After"]) >= 1
        # Limits are per credential: another token is not slowed down by this one.
        other, _ = token_client(team.member(Role.OWNER))
        assert other.get("/api/v1/me").status_code == 200
    finally:
        throttle.num_requests = original


def test_error_messages_follow_the_callers_language(team):
    person = team.user(Role.COPYWRITER)
    person.language = "fr"
    person.save()
    client, _secret = token_client(team.member(Role.COPYWRITER))
    response = client.get("/api/v1/audit")
    assert_error(response, 403, "forbidden")
    # Without a French catalogue the text stays English; the language must not leak into later requests.
    from django.utils import translation

    assert translation.get_language() != "fr"


# --- Pagination and lists -----------------------------------------------------------------------


def test_pagination(team):
    client, _secret = token_client(team.member(Role.OWNER))
    first = client.get("/api/v1/members?limit=3").json()
    assert (first["count"], first["limit"], first["offset"], len(first["items"])) == (7, 3, 0, 3)
    last = client.get("/api/v1/members?limit=3&offset=6").json()
    assert (last["count"], len(last["items"])) == (7, 1)
    beyond = client.get("/api/v1/members?offset=50").json()
    assert (beyond["count"], beyond["items"]) == (7, [])
    default = client.get("/api/v1/members").json()
    assert (default["limit"], default["offset"]) == (50, 0)
    ids = [m["id"] for m in first["items"]] + [
        m["id"] for m in client.get("/api/v1/members?limit=4&offset=3").json()["items"]
    ]
    assert sorted(ids) == sorted(m.pk for m in team.members.values())


def test_members_are_scoped_to_the_workspace(team, other_team):
    client, _secret = token_client(team.member(Role.ANALYST))
    items = client.get("/api/v1/members").json()["items"]
    assert {item["email"] for item in items} == {m.user.email for m in team.members.values()}
    sample = next(item for item in items if item["role"] == "designer")
    assert set(sample) == {"id", "user_id", "email", "full_name", "role", "joined_at"}
    one = client.get(f"/api/v1/members/{sample['id']}").json()
    assert one == sample
    assert_error(client.get(f"/api/v1/members/{other_team.member(Role.DESIGNER).pk}"), 404, "not_found")


def test_change_a_role_and_remove_a_member(team):
    client, _secret = token_client(team.member(Role.MANAGER))
    designer = team.member(Role.DESIGNER)
    response = send(client, "PATCH", f"/api/v1/members/{designer.pk}", {"role": "copywriter"})
    assert response.status_code == 200
    assert response.json()["role"] == "copywriter"
    designer.refresh_from_db()
    assert designer.role == Role.COPYWRITER
    owner_grant = send(client, "PATCH", f"/api/v1/members/{designer.pk}", {"role": "owner"})
    assert_error(owner_grant, 403, "forbidden")
    assert client.delete(f"/api/v1/members/{designer.pk}").status_code == 204
    assert not Membership.objects.filter(pk=designer.pk).exists()


def test_anyone_may_leave_with_their_own_membership_id(team):
    client_member = team.member(Role.CLIENT)
    client, _secret = token_client(client_member)
    assert_error(client.delete(f"/api/v1/members/{team.member(Role.ANALYST).pk}"), 403, "forbidden")
    assert client.delete(f"/api/v1/members/{client_member.pk}").status_code == 204
    assert not Membership.objects.filter(pk=client_member.pk).exists()
    assert AuditEvent.objects.filter(action="member.leave", via="api").exists()
    assert_error(client.get("/api/v1/me"), 401, "unauthenticated")  # the token went with the membership


def test_invitations_never_expose_their_secret(team, django_capture_on_commit_callbacks):
    client, _secret = token_client(team.member(Role.OWNER))
    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            client, "POST", "/api/v1/invitations", {"email": "Nina@Example.com", "role": "designer"}
        )
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {
        "id",
        "email",
        "role",
        "status",
        "invited_by",
        "created_at",
        "expires_at",
        "accepted_at",
        "revoked_at",
    }
    assert (created["email"], created["role"], created["status"]) == (
        "nina@example.com",
        "designer",
        "pending",
    )
    assert created["invited_by"] == team.user(Role.OWNER).email
    invitation = Invitation.objects.get(pk=created["id"])
    (message,) = mail.outbox
    link_token = message.body.split("/invite/")[1].split("/")[0]
    assert digest(link_token) == invitation.token_hash
    listed = client.get("/api/v1/invitations").json()
    for text in (json.dumps(created), json.dumps(listed)):
        assert link_token not in text
        assert invitation.token_hash not in text
    assert [item["id"] for item in listed["items"]] == [invitation.pk]


def test_invitation_rules_and_revocation(team):
    client, _secret = token_client(team.member(Role.MANAGER))
    as_owner = send(client, "POST", "/api/v1/invitations", {"email": "boss@example.com", "role": "owner"})
    assert "role" in assert_error(as_owner, 422, "validation_failed")["fields"]
    member_email = team.user(Role.CLIENT).email
    again = send(client, "POST", "/api/v1/invitations", {"email": member_email, "role": "client"})
    assert "email" in assert_error(again, 422, "validation_failed")["fields"]
    bad = send(client, "POST", "/api/v1/invitations", {"email": "not-an-address", "role": "client"})
    assert "email" in assert_error(bad, 422, "validation_failed")["fields"]
    created = send(client, "POST", "/api/v1/invitations", {"email": "z@example.com", "role": "client"}).json()
    assert client.delete(f"/api/v1/invitations/{created['id']}").status_code == 204
    assert_error(client.delete(f"/api/v1/invitations/{created['id']}"), 409, "conflict")
    assert client.get("/api/v1/invitations").json()["count"] == 0
    everything = client.get("/api/v1/invitations?pending_only=false").json()
    assert [item["status"] for item in everything["items"]] == ["revoked"]


def test_workspace_read_and_update(team):
    client, _secret = token_client(team.member(Role.OWNER))
    assert client.get("/api/v1/workspace").json()["name"] == "Acme"
    response = send(client, "PATCH", "/api/v1/workspace", {"name": " Acme Europe ", "language": "fr"})
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["language"], body["timezone"]) == ("Acme Europe", "fr", "Europe/Paris")
    unchanged = send(client, "PATCH", "/api/v1/workspace", {})
    assert unchanged.json()["name"] == "Acme Europe"


def test_roles_describe_the_matrix(team):
    client, _secret = token_client(team.member(Role.CLIENT))
    body = client.get("/api/v1/roles").json()
    assert [role["value"] for role in body["roles"]] == [role.value for role in Role]
    assert {p["name"]: set(p["roles"]) for p in body["permissions"]} == {
        name: {role.value for role in allowed} for name, (allowed, _description) in MATRIX.items()
    }


# --- Audit log ----------------------------------------------------------------------------------


def test_api_actions_are_audited_with_via_api(team):
    owner = team.member(Role.OWNER)
    client, _secret = token_client(owner)
    send(client, "PATCH", "/api/v1/workspace", {"name": "Acme Two"})
    send(client, "PATCH", f"/api/v1/members/{team.member(Role.ANALYST).pk}", {"role": "designer"})
    send(client, "POST", "/api/v1/invitations", {"email": "q@example.com", "role": "analyst"})
    send(client, "POST", "/api/v1/tokens", {"name": "more"})
    events = AuditEvent.objects.filter(workspace=team.workspace, via="api")
    assert set(events.values_list("action", flat=True)) == {
        "workspace.update",
        "member.update",
        "invitation.create",
        "token.create",
    }
    assert set(events.values_list("ip_address", flat=True)) == {"127.0.0.1"}
    assert set(events.values_list("actor", flat=True)) == {owner.user_id}


def test_session_api_actions_are_audited_with_via_api(team, client_for):
    client = client_for(team.user(Role.OWNER))
    assert send(client, "POST", "/api/v1/tokens", {"name": "browser"}).status_code == 201
    assert AuditEvent.objects.get(action="token.create", object_repr__startswith="browser").via == "api"


def test_audit_list_and_filters(team, other_team):
    owner = team.member(Role.OWNER)
    client, _secret = token_client(owner)
    services.membership_update_role(membership=team.member(Role.DESIGNER), role=Role.ANALYST, by=owner)
    services.invitation_create(by=team.member(Role.MANAGER), email="f@example.com", role=Role.CLIENT)
    services.membership_update_role(
        membership=other_team.member(Role.DESIGNER), role=Role.ANALYST, by=other_team.member(Role.OWNER)
    )
    everything = client.get("/api/v1/audit?limit=200").json()
    assert everything["count"] == AuditEvent.objects.filter(workspace=team.workspace).count()
    times = [item["created_at"] for item in everything["items"]]
    assert times == sorted(times, reverse=True)
    first = everything["items"][0]
    assert set(first) == {
        "id",
        "created_at",
        "action",
        "actor_id",
        "actor_label",
        "object_type",
        "object_id",
        "object_repr",
        "data",
        "via",
        "ip_address",
    }

    members = client.get("/api/v1/audit?action=member.").json()
    assert [item["action"] for item in members["items"]] == ["member.update"]
    assert members["items"][0]["data"]["role"] == "analyst"
    by_manager = client.get(f"/api/v1/audit?actor_id={team.user(Role.MANAGER).pk}").json()
    assert [item["action"] for item in by_manager["items"]] == ["invitation.create"]
    by_type = client.get("/api/v1/audit?object_type=invitation").json()
    assert [item["action"] for item in by_type["items"]] == ["invitation.create"]

    future = (timezone.now() + timedelta(hours=1)).astimezone(UTC).isoformat()
    assert client.get("/api/v1/audit", {"since": future}).json()["count"] == 0
    assert client.get("/api/v1/audit", {"until": future}).json()["count"] == everything["count"]
    past = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")  # naive: read as UTC
    assert client.get("/api/v1/audit", {"until": past}).json()["count"] == 0
    assert (
        client.get("/api/v1/audit?limit=1&offset=1").json()["items"][0]["id"] == everything["items"][1]["id"]
    )


def test_an_unexpected_failure_is_still_a_json_error(rf, caplog):
    from portevoix.api import api

    response = api.on_exception(rf.get("/api/v1/me"), RuntimeError("boom"))
    assert response.status_code == 500
    assert json.loads(response.content)["error"]["code"] == "server_error"
    assert "boom" not in response.content.decode()
    assert "RuntimeError: boom" in caplog.text
