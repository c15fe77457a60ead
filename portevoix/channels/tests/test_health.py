"""Channel health: the "needs attention" rule, single-flight token refresh, and the periodic jobs."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from portevoix.channels import selectors, services
from portevoix.channels.models import Channel, ChannelStatus
from portevoix.channels.services import health as health_module
from portevoix.channels.services import refresh as refresh_module
from portevoix.channels.tasks import check_channels, refresh_channel_tokens
from portevoix.channels.tests.fakes import FAKENET_API, FAKEOAUTH_TOKEN, SECRET_TOKEN
from portevoix.channels.tests.helpers import make_channel, stored_credentials
from portevoix.core.scheduling import registry as periodic
from portevoix.workspaces.models import AuditEvent

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def expiring(workspace, *, within: timedelta = timedelta(hours=1), **extra) -> Channel:
    credentials = {"token": SECRET_TOKEN, "refresh_token": "rt-one-use-1", "access_token": "at-old"}
    return make_channel(workspace, credentials=credentials, token_expires_at=timezone.now() + within, **extra)


def token_answer(number: int = 2) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "access_token": f"at-new-{number}",
            "refresh_token": f"rt-one-use-{number}",
            "expires_in": 3600,
        },
    )


# --- Needs attention ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "attention"),
    [
        ({}, False),
        ({"status": ChannelStatus.NEEDS_REAUTH}, True),
        ({"status": ChannelStatus.ERROR, "last_error": "503"}, True),
        ({"last_error": "the last check failed"}, True),
        ({"status": ChannelStatus.DISCONNECTED, "credentials": None}, False),
        # Fakenet renews its tokens: a near expiry is its own business, an elapsed one is not.
        ({"token_expires_at": NOW + timedelta(days=2)}, False),
        ({"token_expires_at": NOW - timedelta(minutes=1)}, True),
        # Fakemanual cannot renew anything: warn a week ahead.
        ({"network": "fakemanual", "token_expires_at": NOW + timedelta(days=6)}, True),
        ({"network": "fakemanual", "token_expires_at": NOW + timedelta(days=8)}, False),
    ],
)
def test_needs_attention(team, values, attention):
    channel = make_channel(team.workspace, **values)
    health = selectors.channel_health(channel)
    assert health.needs_attention is attention
    assert bool(health.reasons) is attention
    in_query = Channel.objects.filter(selectors.attention_filter(), pk=channel.pk).exists()
    assert in_query is attention, "the query and the rule disagree"


def test_attention_reasons_are_plain_words(team):
    channel = make_channel(team.workspace, network="fakemanual", token_expires_at=NOW + timedelta(days=3))
    (reason,) = selectors.channel_health(channel).reasons
    assert reason.startswith("Its access expires on")
    channel = make_channel(team.workspace, external_id="2", status=ChannelStatus.NEEDS_REAUTH)
    assert selectors.channel_health(channel).reasons == ["Needs reconnecting."]


def test_refreshable_networks_follow_the_declarations():
    assert {"fakenet", "fakeoauth"} <= selectors.refreshable_networks()  # connector refresh, OAuth adapter
    assert "fakemanual" not in selectors.refreshable_networks()


# --- Single-flight refresh ------------------------------------------------------------------------


def test_a_second_claim_fails_while_the_first_holds(team):
    channel = expiring(team.workspace)
    first = services.channel_refresh_claim(channel_id=channel.pk)
    second = services.channel_refresh_claim(channel_id=channel.pk)
    assert first is not None
    assert second is None


def test_no_claim_when_the_tokens_are_not_due(team):
    channel = expiring(team.workspace, within=timedelta(days=3))
    assert services.channel_refresh_claim(channel_id=channel.pk) is None
    assert services.channel_refresh_claim(channel_id=channel.pk, force=True) is not None


def test_an_abandoned_claim_lapses_and_its_late_write_is_refused(team):
    channel = expiring(team.workspace)
    now = timezone.now()
    abandoned = services.channel_refresh_claim(channel_id=channel.pk, now=now)
    later = now + services.REFRESH_LEASE + timedelta(seconds=1)
    taken_over = services.channel_refresh_claim(channel_id=channel.pk, now=later)
    assert abandoned
    assert taken_over
    assert abandoned != taken_over
    assert not refresh_module._release(channel.pk, abandoned, last_error="stale worker")  # fencing
    assert Channel.objects.get(pk=channel.pk).last_error == ""


def test_refresh_stores_the_new_tokens(team, network):
    route = network.post(f"{FAKENET_API}/token").mock(return_value=token_answer())
    channel = expiring(team.workspace)
    assert services.channel_refresh(channel=channel)
    assert route.call_count == 1
    assert b"refresh_token=rt-one-use-1" in route.calls.last.request.content
    channel = Channel.objects.get(pk=channel.pk)
    assert channel.credentials.reveal() == {
        "token": SECRET_TOKEN,
        "access_token": "at-new-2",
        "refresh_token": "rt-one-use-2",
    }
    assert channel.token_expires_at > timezone.now() + timedelta(minutes=55)
    assert channel.refresh_claim == ""
    assert channel.refresh_claimed_until is None
    assert "rt-one-use-2" not in stored_credentials(channel)
    # Not due any more: nothing is sent.
    assert not services.channel_refresh(channel=channel)
    assert route.call_count == 1


def test_two_concurrent_refreshes_make_one_network_call(team, network):
    """The second worker tries while the first is talking to the network: it gets no claim and sends
    nothing, so the single-use refresh token is spent once."""
    channel = expiring(team.workspace)
    concurrent: list[bool] = []

    def answer(request: httpx.Request) -> httpx.Response:
        concurrent.append(services.channel_refresh(channel=Channel.objects.get(pk=channel.pk)))
        return token_answer()

    route = network.post(f"{FAKENET_API}/token").mock(side_effect=answer)
    assert services.channel_refresh(channel=channel)
    assert concurrent == [False]
    assert route.call_count == 1


def test_a_refused_refresh_asks_for_reconnection(team, network):
    network.post(f"{FAKENET_API}/token").respond(200, json={"error": "invalid_grant"})
    channel = expiring(team.workspace)
    assert not services.channel_refresh(channel=channel)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.NEEDS_REAUTH
    assert "refused the refresh token" in channel.last_error
    assert channel.refresh_claim == ""
    event = AuditEvent.objects.get(action="channel.refresh")
    assert event.actor is None
    assert event.data["status"] == "needs_reauth"


def test_a_temporary_refresh_failure_keeps_the_channel_active(team, network):
    network.post(f"{FAKENET_API}/token").respond(503)
    channel = expiring(team.workspace)
    assert not services.channel_refresh(channel=channel)
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert "temporary problem" in channel.last_error
    assert channel.refresh_claim == ""
    assert channel.credentials.reveal()["refresh_token"] == "rt-one-use-1"


def test_the_standard_oauth_adapter_refreshes_with_the_app_credentials(team, network):
    route = network.post(FAKEOAUTH_TOKEN).mock(return_value=token_answer(7))
    channel = make_channel(
        team.workspace,
        network="fakeoauth",
        credentials={"access_token": "at-old", "refresh_token": "rt-1"},
        token_expires_at=timezone.now() + timedelta(hours=2),
    )
    assert services.channel_refresh(channel=channel)
    body = route.calls.last.request.content.decode()
    assert "grant_type=refresh_token" in body
    assert "client_id=fake-client-id" in body
    assert "client_secret=fake-client-secret-9c1" in body
    assert Channel.objects.get(pk=channel.pk).credentials.reveal()["access_token"] == "at-new-7"


def test_an_expired_token_is_renewed_when_testing(team, network):
    route = network.post(f"{FAKENET_API}/token").mock(return_value=token_answer())
    channel = expiring(team.workspace)
    channel.credentials = {"token": "expired-abc", "refresh_token": "rt-1"}
    channel.save()
    result = services.channel_test(by=team.member("owner"), channel=channel)
    assert route.call_count == 1
    assert result.ok  # the renewed access token works
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.ACTIVE
    assert channel.credentials.reveal()["access_token"] == "at-new-2"


# --- Periodic jobs --------------------------------------------------------------------------------


def test_the_jobs_are_registered():
    assert periodic.get("channels.check").every == timedelta(days=1)
    assert periodic.get("channels.refresh_tokens").every <= timedelta(hours=1)


def test_the_refresh_job_renews_what_is_due_only(team, network):
    route = network.post(f"{FAKENET_API}/token").mock(return_value=token_answer())
    due = expiring(team.workspace, within=timedelta(hours=3))
    later = expiring(team.workspace, within=timedelta(days=3), external_id="later")
    reauth = expiring(team.workspace, external_id="reauth", status=ChannelStatus.NEEDS_REAUTH)
    manual = expiring(team.workspace, external_id="manual", network="fakemanual")
    refresh_channel_tokens.call()
    assert route.call_count == 1
    assert Channel.objects.get(pk=due.pk).credentials.reveal()["access_token"] == "at-new-2"
    for untouched in (later, reauth, manual):
        assert Channel.objects.get(pk=untouched.pk).credentials.reveal()["access_token"] == "at-old"


def test_the_daily_check_tests_active_channels_not_checked_lately(team):
    stale = make_channel(team.workspace, last_checked_at=timezone.now() - timedelta(days=2), followers=1)
    fresh = make_channel(team.workspace, external_id="fresh", last_checked_at=timezone.now(), followers=1)
    broken = make_channel(
        team.workspace, external_id="broken", credentials={"token": "revoked-x"}, last_checked_at=None
    )
    waiting = make_channel(team.workspace, external_id="waiting", status=ChannelStatus.NEEDS_REAUTH)
    check_channels.call()
    assert Channel.objects.get(pk=stale.pk).followers == 42
    assert Channel.objects.get(pk=fresh.pk).followers == 1
    broken.refresh_from_db()
    assert broken.status == ChannelStatus.NEEDS_REAUTH
    assert Channel.objects.get(pk=waiting.pk).last_checked_at is None
    # Only the change of status is audited, by the system.
    (event,) = AuditEvent.objects.filter(action="channel.test")
    assert event.object_id == str(broken.pk)
    assert event.actor is None
    assert event.via == "task"


def test_one_broken_channel_does_not_stop_the_daily_check(team, monkeypatch):
    first = make_channel(team.workspace, external_id="a")
    make_channel(team.workspace, external_id="b")
    original = health_module.channel_check

    def flaky(*, channel):
        if channel.pk == first.pk:
            raise RuntimeError("boom")
        return original(channel=channel)

    monkeypatch.setattr(health_module, "channel_check", flaky)
    summary = services.channels_check_all()
    assert summary.seen == 2
    assert summary.ok == 1
    assert summary.failed == 1


def test_short_lived_tokens_are_renewed_half_way_long_lived_a_day_ahead():
    now = timezone.now()
    assert services.refresh_due_at(now + timedelta(hours=1), now=now) == now + timedelta(minutes=30)
    assert services.refresh_due_at(now + timedelta(days=60), now=now) == now + timedelta(days=59)
    assert services.refresh_due_at(None) is None


def test_an_hour_long_token_is_due_again_after_half_an_hour(team, network):
    route = network.post(f"{FAKENET_API}/token").mock(return_value=token_answer())
    channel = expiring(team.workspace)
    assert services.channel_refresh(channel=channel)
    now = timezone.now()
    assert services.channel_refresh_claim(channel_id=channel.pk, now=now + timedelta(minutes=20)) is None
    assert services.channel_refresh_claim(channel_id=channel.pk, now=now + timedelta(minutes=31))
    assert route.call_count == 1
