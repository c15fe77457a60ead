"""Connecting, testing, reconnecting, renaming and disconnecting channels, with the fake networks."""

from __future__ import annotations

import logging

import pytest

from portevoix.channels import runtime, services
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.channels.tests.fakes import FAKENET_API, SECRET_TOKEN, Fakenet
from portevoix.channels.tests.helpers import make_channel, stored_credentials
from portevoix.connectors.errors import NotSupported, ReauthRequired
from portevoix.core.errors import NotFound, PermissionDenied, ValidationFailed
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def connect(team, token: str = SECRET_TOKEN, **fields: str) -> Channel:
    return services.channel_connect(
        by=team.member(Role.MANAGER), network="fakenet", fields={"token": token, **fields}
    )


# --- Connect --------------------------------------------------------------------------------------


def test_connect_verifies_and_stores_the_account(team):
    channel = connect(team, chat="@news")
    assert channel.network == "fakenet"
    assert channel.external_id == "@news"
    assert channel.name == "Fake account"
    assert channel.handle == "@fake"
    assert channel.url == "https://fakenet.test/fake"
    assert channel.followers == 42
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.base_url == Fakenet.default_base_url
    assert channel.last_checked_at is not None
    assert channel.created_by == team.user(Role.MANAGER)
    loaded = Channel.objects.get(pk=channel.pk)
    assert loaded.credentials.reveal() == {"token": SECRET_TOKEN, "chat": "@news"}
    assert loaded.options == {"chat": "@news"}  # non-secret values only


def test_credentials_are_encrypted_at_rest(team):
    channel = connect(team)
    raw = stored_credentials(channel)
    assert raw.startswith("vault:v1:")
    assert SECRET_TOKEN not in raw
    assert "good-" not in raw


def test_connect_is_audited_without_secrets(team):
    channel = connect(team)
    event = AuditEvent.objects.get(action="channel.connect")
    assert event.object_id == str(channel.pk)
    assert event.actor == team.user(Role.MANAGER)
    assert event.data["network"] == "fakenet"
    assert SECRET_TOKEN not in str(event.data)


@pytest.mark.parametrize(
    "role", [Role.COPYWRITER, Role.DESIGNER, Role.ANALYST, Role.CLIENT, Role.TARGETOLOGIST]
)
def test_only_owners_and_managers_connect(team, role):
    with pytest.raises(PermissionDenied):
        services.channel_connect(by=team.member(role), network="fakenet", fields={"token": SECRET_TOKEN})
    assert not Channel.objects.exists()


def test_a_refused_credential_stores_nothing_and_says_why(team):
    with pytest.raises(ValidationFailed, match="Fakenet says the token was revoked"):
        connect(team, token="revoked-123456")
    assert not Channel.objects.exists()
    assert not AuditEvent.objects.filter(action="channel.connect").exists()


def test_a_connector_message_never_repeats_the_credentials(team):
    with pytest.raises(ValidationFailed) as caught:
        connect(team, token="leaky-s3cr3t-value")
    assert "leaky-s3cr3t-value" not in caught.value.message
    assert "***" in caught.value.message


def test_a_temporary_failure_is_a_validation_error_too(team):
    with pytest.raises(ValidationFailed, match="temporary problem"):
        connect(team, token="down-now")


def test_the_same_account_twice_is_refused_with_a_clear_message(team):
    first = connect(team)
    with pytest.raises(ValidationFailed, match="already connected in this workspace as “Fake account”"):
        connect(team, token="good-another-token")
    assert Channel.objects.get().pk == first.pk
    assert Channel.objects.get().credentials.reveal()["token"] == SECRET_TOKEN


def test_the_same_account_in_another_workspace_is_fine(team, other_team):
    connect(team)
    services.channel_connect(
        by=other_team.member(Role.OWNER), network="fakenet", fields={"token": SECRET_TOKEN}
    )
    assert Channel.objects.count() == 2


def test_connecting_a_disconnected_account_again_brings_its_channel_back(team):
    channel = connect(team)
    services.channel_disconnect(by=team.member(Role.OWNER), channel=channel)
    again = connect(team, token="good-new-token")
    assert again.pk == channel.pk
    assert again.status == ChannelStatus.ACTIVE
    assert Channel.objects.get(pk=channel.pk).credentials.reveal()["token"] == "good-new-token"


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({}, "token"),
        ({"token": "   "}, "token"),
        ({"token": SECRET_TOKEN, "nonsense": "x"}, "nonsense"),
        ({"token": 12345}, "token"),
        ({"token": ["a"]}, "token"),
        ({"token": "x" * 5000}, "token"),
        ({"token": "bad\x00value"}, "token"),
    ],
)
def test_garbage_fields_are_refused_per_field(team, fields, problem):
    with pytest.raises(ValidationFailed) as caught:
        services.channel_connect(by=team.member(Role.OWNER), network="fakenet", fields=fields)
    assert problem in caught.value.fields
    assert not Channel.objects.exists()


@pytest.mark.parametrize("network", ["nope", "", "x" * 300, None, 3])
def test_unknown_networks_are_refused(team, network):
    with pytest.raises(ValidationFailed) as caught:
        services.channel_connect(by=team.member(Role.OWNER), network=network, fields={})
    assert "network" in caught.value.fields


@pytest.mark.parametrize(
    "base_url",
    [
        "ftp://files.example",
        "not a url",
        "http://user:pw@example.com",
        "http://127.0.0.1:8080",
        "https://10.0.0.1/",
    ],
)
def test_an_unusable_or_private_api_address_is_refused(team, base_url, settings):
    settings.PORTEVOIX_HTTP_ALLOW_PRIVATE = False
    with pytest.raises(ValidationFailed) as caught:
        services.channel_connect(
            by=team.member(Role.OWNER), network="fakenet", fields={"token": SECRET_TOKEN}, base_url=base_url
        )
    assert "base_url" in caught.value.fields


def test_a_custom_api_address_is_kept(team):
    channel = services.channel_connect(
        by=team.member(Role.OWNER),
        network="fakenet",
        fields={"token": SECRET_TOKEN},
        base_url="http://localhost:8081/",
    )
    assert channel.base_url == "http://localhost:8081"


def test_a_network_without_fields_connects_only_by_signing_in(team):
    with pytest.raises(ValidationFailed, match="signing in"):
        services.channel_connect(by=team.member(Role.OWNER), network="fakeoauth", fields={})


def test_a_manual_channel_needs_only_a_name(team):
    channel = services.channel_connect(
        by=team.member(Role.OWNER),
        network="fakemanual",
        fields={"name": "Our page", "url": "https://example.com/page"},
    )
    assert channel.name == "Our page"
    assert channel.url == "https://example.com/page"
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.credentials.reveal() == {}
    with pytest.raises(ValidationFailed):
        services.channel_connect(by=team.member(Role.OWNER), network="fakemanual", fields={"name": ""})
    with pytest.raises(ValidationFailed):
        services.channel_connect(
            by=team.member(Role.OWNER), network="fakemanual", fields={"name": "x", "url": "javascript:x"}
        )


def test_nothing_secret_is_logged(team, caplog):
    caplog.set_level(logging.DEBUG)
    connect(team)
    with pytest.raises(ValidationFailed):
        connect(team, token="leaky-s3cr3t-value")
    channel = Channel.objects.get()
    services.channel_test(by=team.member(Role.OWNER), channel=channel)
    text = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert SECRET_TOKEN not in text
    assert "leaky-s3cr3t-value" not in text


# --- Test -----------------------------------------------------------------------------------------


def test_a_working_channel_tests_ok(team):
    channel = make_channel(team.workspace, followers=1, last_error="old problem", status=ChannelStatus.ERROR)
    result = services.channel_test(by=team.member(Role.MANAGER), channel=channel)
    assert result.ok
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.last_error == ""
    assert channel.followers == 42
    assert channel.last_checked_at is not None
    event = AuditEvent.objects.get(action="channel.test")
    assert event.data == {"ok": True, "status": "active"}


@pytest.mark.parametrize(
    ("token", "status"),
    [
        ("revoked-1234", ChannelStatus.NEEDS_REAUTH),
        ("expired-1234", ChannelStatus.NEEDS_REAUTH),
        ("down-1234", ChannelStatus.ERROR),
        ("other-1234", ChannelStatus.NEEDS_REAUTH),
    ],
)
def test_a_failing_channel_records_why(team, network, token, status):
    refresh = network.post(f"{FAKENET_API}/token").respond(200, json={"error": "invalid_grant"})
    channel = make_channel(team.workspace, credentials={"token": token})
    result = services.channel_test(by=team.member(Role.OWNER), channel=channel)
    assert not result.ok
    channel.refresh_from_db()
    assert channel.status == status
    assert channel.last_error == result.message
    assert token not in channel.last_error
    assert refresh.call_count == (1 if token.startswith("expired") else 0)  # only an expiry is renewable


def test_unreadable_credentials_mean_reconnecting(team, lose_vault_key):
    made = make_channel(team.workspace)
    lose_vault_key()
    channel = Channel.objects.get(pk=made.pk)  # loading works: nothing is decrypted yet
    with pytest.raises(ReauthRequired, match="cannot be read"):
        runtime.connector_for(channel)
    result = services.channel_test(by=team.member(Role.OWNER), channel=channel)
    assert not result.ok
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    assert "Reconnect the channel" in channel.last_error


def test_testing_a_disconnected_channel_is_refused(team):
    channel = make_channel(team.workspace, status=ChannelStatus.DISCONNECTED, credentials=None)
    channel.credentials = None
    channel.save()
    with pytest.raises(ValidationFailed, match="reconnect it first"):
        services.channel_test(by=team.member(Role.OWNER), channel=channel)


def test_a_channel_of_another_workspace_is_not_found(team, other_team):
    channel = make_channel(other_team.workspace)
    with pytest.raises(NotFound):
        services.channel_test(by=team.member(Role.OWNER), channel=channel)
    with pytest.raises(NotFound):
        services.channel_disconnect(by=team.member(Role.OWNER), channel=channel)
    with pytest.raises(NotFound):
        services.channel_rename(by=team.member(Role.OWNER), channel=channel, name="Mine")


# --- Runtime --------------------------------------------------------------------------------------


def test_connector_for_gives_the_decrypted_credentials(team):
    channel = Channel.objects.get(pk=make_channel(team.workspace, options={"chat": "@news"}).pk)
    connector = runtime.connector_for(channel)
    try:
        assert isinstance(connector, Fakenet)
        assert connector.channel.credentials == {"token": SECRET_TOKEN}
        assert connector.channel.external_id == "acct-1"
        assert connector.channel.options == {"chat": "@news"}
        assert connector.channel.base_url == "https://api.fakenet.test"
    finally:
        connector.http.close()


def test_connector_for_refuses_disconnected_and_unknown_channels(team):
    channel = make_channel(team.workspace, status=ChannelStatus.DISCONNECTED)
    with pytest.raises(ReauthRequired, match="disconnected"):
        runtime.connector_for(channel)
    gone = make_channel(team.workspace, network="retired", external_id="x")
    with pytest.raises(NotSupported):
        runtime.connector_for(gone)


# --- Reconnect, rename, disconnect ----------------------------------------------------------------


def test_reconnect_stores_new_credentials_for_the_same_account(team):
    channel = make_channel(team.workspace, status=ChannelStatus.NEEDS_REAUTH, last_error="revoked")
    services.channel_reconnect(
        by=team.member(Role.MANAGER), channel=channel, fields={"token": "good-fresh-1"}
    )
    channel = Channel.objects.get(pk=channel.pk)
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.last_error == ""
    assert channel.credentials.reveal()["token"] == "good-fresh-1"
    assert AuditEvent.objects.filter(action="channel.reconnect", object_id=str(channel.pk)).exists()


def test_reconnect_with_another_accounts_credentials_is_refused(team):
    channel = make_channel(team.workspace)
    with pytest.raises(ValidationFailed, match="belong to another account"):
        services.channel_reconnect(by=team.member(Role.OWNER), channel=channel, fields={"token": "other-1"})
    assert Channel.objects.get(pk=channel.pk).credentials.reveal()["token"] == SECRET_TOKEN


def test_reconnect_needs_the_manage_permission(team):
    channel = make_channel(team.workspace)
    with pytest.raises(PermissionDenied):
        services.channel_reconnect(by=team.member(Role.ANALYST), channel=channel, fields={"token": "good-1"})


def test_disconnect_wipes_the_credentials_and_keeps_the_row(team):
    channel = make_channel(team.workspace, token_expires_at=None)
    services.channel_disconnect(by=team.member(Role.OWNER), channel=channel)
    channel = Channel.objects.get(pk=channel.pk)
    assert channel.status == ChannelStatus.DISCONNECTED
    assert channel.credentials is None
    assert stored_credentials(channel) is None
    assert AuditEvent.objects.filter(action="channel.disconnect").count() == 1
    services.channel_disconnect(by=team.member(Role.OWNER), channel=channel)  # idempotent
    assert AuditEvent.objects.filter(action="channel.disconnect").count() == 1


def test_rename(team):
    channel = make_channel(team.workspace)
    services.channel_rename(by=team.member(Role.MANAGER), channel=channel, name="  Newsroom  ")
    assert Channel.objects.get(pk=channel.pk).name == "Newsroom"
    event = AuditEvent.objects.get(action="channel.update")
    assert event.data == {"old_name": "Fake account", "name": "Newsroom"}
    for bad in ["", "   ", "x" * 201, "a\x00b"]:
        with pytest.raises(ValidationFailed):
            services.channel_rename(by=team.member(Role.MANAGER), channel=channel, name=bad)
    with pytest.raises(PermissionDenied):
        services.channel_rename(by=team.member(Role.COPYWRITER), channel=channel, name="Mine")


# --- For the publishing engine --------------------------------------------------------------------


def test_a_revoked_authorisation_reported_by_the_engine_marks_the_channel(team):
    channel = make_channel(team.workspace)
    services.channel_report_error(channel=channel, error=ReauthRequired("Revoked by the network."))
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    assert channel.last_error == "Revoked by the network."


def test_other_engine_errors_leave_the_channel_alone(team):
    from portevoix.connectors.errors import ContentRejected

    channel = make_channel(team.workspace)
    services.channel_report_error(channel=channel, error=ContentRejected("Too long."))
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE


def test_an_expired_access_is_reported_only_where_it_cannot_be_renewed(team, network):
    from portevoix.connectors.errors import AuthExpired

    renewable = make_channel(team.workspace)  # Fakenet renews its tokens: the engine will refresh
    services.channel_report_error(channel=renewable, error=AuthExpired("Expired."))
    renewable.refresh_from_db()
    assert renewable.status == ChannelStatus.ACTIVE
    assert not network.calls
    manual = make_channel(team.workspace, network="fakemanual", external_id="m")
    services.channel_report_error(channel=manual, error=AuthExpired("Expired."))
    manual.refresh_from_db()
    assert manual.status == ChannelStatus.NEEDS_REAUTH
