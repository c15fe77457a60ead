"""The channels pages: list, connect (forms generated from the connectors' declarations), test, reconnect,
rename, disconnect; no secret ever in a page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portevoix.channels.models import Channel, ChannelStatus
from portevoix.channels.tests.fakes import SECRET_TOKEN
from portevoix.channels.tests.helpers import make_channel
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def url(name: str, team, *args) -> str:
    return reverse(f"channels:{name}", args=[team.workspace.slug, *args])


def test_the_list_shows_channels_and_their_health(team, client_for):
    make_channel(team.workspace, followers=1234, handle="@fake")
    make_channel(team.workspace, external_id="2", name="Broken one", status=ChannelStatus.NEEDS_REAUTH)
    response = client_for(team.user(Role.ANALYST)).get(url("list", team))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-testid="channel-row"') == 2
    assert "Fakenet" in html
    assert "1,234" in html
    assert html.count('data-attention="true"') == 1
    assert "1 channel needs attention." in html
    assert "Needs reconnecting" in html
    assert SECRET_TOKEN not in html
    assert "Connect a channel" not in html  # analysts see, leads manage
    assert "Test connection" not in html


def test_the_navigation_offers_channels_to_staff_only(team, client_for):
    page = client_for(team.user(Role.DESIGNER)).get(
        reverse("workspaces:dashboard", args=[team.workspace.slug])
    )
    assert url("list", team) in page.content.decode()
    page = client_for(team.user(Role.CLIENT)).get(reverse("workspaces:dashboard", args=[team.workspace.slug]))
    assert url("list", team) not in page.content.decode()


def test_connect_index_lists_every_registered_network_with_its_declared_capabilities(team, client_for):
    html = client_for(team.user(Role.OWNER)).get(url("connect_index", team)).content.decode()
    for key in ("fakenet", "fakeoauth", "fakemanual"):
        assert f'data-testid="network-{key}"' in html
    fakenet = html.split('data-testid="network-fakenet"')[1].split("</article>")[0]
    assert "Bot token" in fakenet
    assert "Publishing" in fakenet
    assert "Follower count" in fakenet
    assert "Images" in fakenet
    assert "Video" not in fakenet  # not declared, not offered
    assert "Post statistics" not in fakenet
    manual = html.split('data-testid="network-fakemanual"')[1].split("</article>")[0]
    assert "publish by hand" in manual


def test_the_connect_form_is_built_from_the_declared_fields(team, client_for):
    response = client_for(team.user(Role.OWNER)).get(url("connect", team, "fakenet"))
    html = response.content.decode()
    assert '<input type="password" name="token"' in html
    assert '<input type="text" name="chat"' in html
    assert 'name="base_url"' in html
    assert "Shown once by the bot maker." in html


def test_connecting_through_the_form(team, client_for):
    client = client_for(team.user(Role.MANAGER))
    response = client.post(url("connect", team, "fakenet"), {"token": SECRET_TOKEN, "chat": "@news"})
    assert response.status_code == 302
    assert response["Location"] == url("list", team)
    channel = Channel.objects.get()
    assert channel.external_id == "@news"
    html = client.get(url("list", team)).content.decode()
    assert "Fake account is connected." in html
    assert SECRET_TOKEN not in html


def test_a_refused_connection_shows_why_and_never_sends_the_secret_back(team, client_for):
    client = client_for(team.user(Role.OWNER))
    response = client.post(url("connect", team, "fakenet"), {"token": "revoked-s3cret-99", "chat": "@news"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Fakenet says the token was revoked." in html
    assert "revoked-s3cret-99" not in html  # the password input is not re-filled
    assert 'value="@news"' in html  # the non-secret one is
    assert not Channel.objects.exists()


def test_a_duplicate_is_explained_on_the_form(team, client_for):
    make_channel(team.workspace)
    response = client_for(team.user(Role.OWNER)).post(url("connect", team, "fakenet"), {"token": "good-2"})
    assert "already connected in this workspace" in response.content.decode()
    assert Channel.objects.count() == 1


def test_a_manual_channel_is_connected_with_a_name(team, client_for):
    client = client_for(team.user(Role.OWNER))
    assert 'name="name"' in client.get(url("connect", team, "fakemanual")).content.decode()
    response = client.post(url("connect", team, "fakemanual"), {"name": "Our page", "url": ""})
    assert response.status_code == 302
    assert Channel.objects.get().name == "Our page"


@pytest.mark.parametrize(
    "data",
    [{}, {"token": ""}, {"token": "x" * 5000}, {"token": SECRET_TOKEN, "base_url": "javascript:alert(1)"}],
)
def test_garbage_in_the_connect_form_is_a_form_error(team, client_for, data, settings):
    settings.PORTEVOIX_HTTP_ALLOW_PRIVATE = False
    response = client_for(team.user(Role.OWNER)).post(url("connect", team, "fakenet"), data)
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert not Channel.objects.exists()


def test_unknown_networks_and_foreign_channels_are_not_found(team, other_team, client_for):
    client = client_for(team.user(Role.OWNER))
    assert client.get(url("connect", team, "nope")).status_code == 404
    assert client.post(url("oauth_start", team, "fakenet")).status_code == 404  # no sign-in adapter
    foreign = make_channel(other_team.workspace)
    for name in ("detail", "reconnect"):
        assert client.get(url(name, team, foreign.pk)).status_code == 404
    for name in ("test", "disconnect", "rename"):
        assert client.post(url(name, team, foreign.pk), {"name": "x"}).status_code == 404
    assert Channel.objects.get(pk=foreign.pk).status == ChannelStatus.ACTIVE


def test_detail_page(team, client_for):
    channel = make_channel(team.workspace, status=ChannelStatus.ERROR, last_error="Fakenet had a problem.")
    html = client_for(team.user(Role.OWNER)).get(url("detail", team, channel.pk)).content.decode()
    assert "The last check failed." in html
    assert "Fakenet had a problem." in html
    assert 'data-testid="test-channel"' in html
    assert 'data-testid="disconnect-channel"' in html
    assert SECRET_TOKEN not in html
    html = client_for(team.user(Role.COPYWRITER)).get(url("detail", team, channel.pk)).content.decode()
    assert 'data-testid="test-channel"' not in html


def test_test_button(team, client_for):
    channel = make_channel(team.workspace, credentials={"token": "revoked-1"})
    client = client_for(team.user(Role.OWNER))
    response = client.post(url("test", team, channel.pk), {"next": "detail"}, follow=True)
    assert response.redirect_chain[-1][0] == url("detail", team, channel.pk)
    assert "The connection failed: Fakenet says the token was revoked." in response.content.decode()
    assert Channel.objects.get(pk=channel.pk).status == ChannelStatus.NEEDS_REAUTH
    good = make_channel(team.workspace, external_id="2")
    response = client.post(url("test", team, good.pk), follow=True)
    assert "The connection works." in response.content.decode()


def test_reconnect_page_refills_only_the_non_secret_fields(team, client_for):
    channel = make_channel(team.workspace, options={"chat": "@news"}, external_id="@news")
    client = client_for(team.user(Role.OWNER))
    html = client.get(url("reconnect", team, channel.pk)).content.decode()
    assert 'value="@news"' in html
    assert SECRET_TOKEN not in html
    response = client.post(url("reconnect", team, channel.pk), {"token": "good-fresh", "chat": "@news"})
    assert response.status_code == 302
    assert Channel.objects.get(pk=channel.pk).credentials.reveal()["token"] == "good-fresh"


def test_rename_and_disconnect(team, client_for):
    channel = make_channel(team.workspace)
    client = client_for(team.user(Role.MANAGER))
    client.post(url("rename", team, channel.pk), {"name": "Newsroom"})
    assert Channel.objects.get(pk=channel.pk).name == "Newsroom"
    response = client.post(url("rename", team, channel.pk), {"name": ""}, follow=True)
    assert "Give the channel a name" in response.content.decode()
    response = client.post(url("disconnect", team, channel.pk), follow=True)
    assert "Newsroom is disconnected" in response.content.decode()
    channel.refresh_from_db()
    assert channel.status == ChannelStatus.DISCONNECTED
    assert channel.credentials is None


def test_actions_are_post_only(team, client_for):
    channel = make_channel(team.workspace)
    client = client_for(team.user(Role.OWNER))
    for name in ("test", "disconnect", "rename"):
        assert client.get(url(name, team, channel.pk)).status_code == 405
    assert client.get(url("oauth_start", team, "fakeoauth")).status_code == 405


def test_the_admin_shows_channels_without_credentials(team, make_user, client_for, lose_vault_key):
    from portevoix.channels.tests.helpers import stored_credentials

    channel = make_channel(team.workspace)
    admin = client_for(make_user("root@example.com", is_staff=True, is_superuser=True))
    listing = admin.get("/admin/channels/channel/")
    assert listing.status_code == 200
    page = admin.get(f"/admin/channels/channel/{channel.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Fake account" in html
    assert SECRET_TOKEN not in html
    assert stored_credentials(channel) not in html
    assert admin.post(f"/admin/channels/channel/{channel.pk}/change/", {"name": "x"}).status_code == 403
    lose_vault_key()  # the admin never decrypts: it still works without the key
    assert admin.get(f"/admin/channels/channel/{channel.pk}/change/").status_code == 200
