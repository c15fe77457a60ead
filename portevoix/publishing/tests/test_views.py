"""The "needs attention" page, its actions on a target, and the notifications page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from portevoix.channels.models import ChannelStatus
from portevoix.publishing.messages import Code
from portevoix.publishing.models import Attempt, Notification, NotificationKind, Target, TargetState
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(team, client_for):
    return client_for(team.user(Role.MANAGER))


def _url(name: str, slug: str, *args) -> str:
    return reverse(f"publishing:{name}", args=[slug, *args])


def test_attention_lists_failed_and_unconfirmed_with_advice_and_actions(team, manager, make_target):
    failed = make_target(
        state=TargetState.FAILED,
        due_in=-timedelta(hours=2),
        error_code=Code.REJECTED,
        error_message="The token was refused.",
    )
    unconfirmed = make_target(state=TargetState.UNCONFIRMED, due_in=-timedelta(hours=1))
    make_target(state=TargetState.PUBLISHED)
    response = manager.get(_url("attention", team.workspace.slug))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-target="{failed.pk}" data-state="failed"' in html
    assert f'data-target="{unconfirmed.pk}" data-state="unconfirmed"' in html
    assert html.count('data-testid="attention-target"') == 2
    assert "The token was refused." in html
    assert 'data-testid="target-advice"' in html
    assert reverse("content:detail", args=[team.workspace.slug, failed.post_id]) in html
    assert _url("retry", team.workspace.slug, failed.pk) in html
    assert _url("mark_not_published", team.workspace.slug, unconfirmed.pk) in html
    assert _url("mark_not_published", team.workspace.slug, failed.pk) not in html
    assert _url("mark_published", team.workspace.slug, unconfirmed.pk) in html
    assert 'data-testid="nav-badge">2<' in html


def test_attention_empty_and_channel_needing_reconnection(team, manager, channel):
    response = manager.get(_url("attention", team.workspace.slug))
    assert 'data-testid="attention-empty"' in response.content.decode()
    channel.status = ChannelStatus.NEEDS_REAUTH
    channel.save(update_fields=["status"])
    html = manager.get(_url("attention", team.workspace.slug)).content.decode()
    assert 'data-testid="attention-channel"' in html
    assert channel.name in html


@pytest.mark.parametrize(
    "role", [Role.COPYWRITER, Role.DESIGNER, Role.ANALYST, Role.CLIENT, Role.TARGETOLOGIST]
)
def test_attention_forbidden_for_other_roles(team, client_for, make_target, role):
    target = make_target(state=TargetState.FAILED)
    client = client_for(team.user(role))
    assert client.get(_url("attention", team.workspace.slug)).status_code == 403
    assert client.post(_url("retry", team.workspace.slug, target.pk)).status_code == 403
    target.refresh_from_db()
    assert target.state == TargetState.FAILED


def test_retry_a_failed_target(team, manager, make_target):
    target = make_target(state=TargetState.FAILED, error_code=Code.REJECTED, error_message="nope")
    response = manager.post(_url("retry", team.workspace.slug, target.pk), follow=True)
    assert response.redirect_chain[-1][0] == _url("attention", team.workspace.slug)
    target.refresh_from_db()
    assert target.state == TargetState.SCHEDULED
    assert target.error_message == ""
    assert AuditEvent.objects.filter(action="target.retry", actor=team.user(Role.MANAGER)).exists()
    assert "Sent again" in response.content.decode()


def test_retry_of_a_published_target_is_a_clear_message(team, manager, make_target):
    target = make_target(state=TargetState.PUBLISHED)
    response = manager.post(_url("retry", team.workspace.slug, target.pk), follow=True)
    assert response.status_code == 200
    assert "Only a failed or unconfirmed post can be retried." in response.content.decode()
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED


def test_mark_published_with_the_post_address(team, manager, make_target):
    target = make_target(state=TargetState.UNCONFIRMED)
    url = "https://social.example/@acme/1"
    manager.post(_url("mark_published", team.workspace.slug, target.pk), {"url": url})
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHED
    assert target.remote_url == url
    assert Attempt.objects.get(target=target, kind="manual").remote_url == url
    assert AuditEvent.objects.filter(action="target.mark_published").exists()


@pytest.mark.parametrize(
    "data",
    [{}, {"url": ""}, {"url": "javascript:alert(1)"}, {"url": "ftp://x.example/a"}, {"url": "a" * 900}],
)
def test_mark_published_refuses_a_bad_address(team, manager, make_target, data):
    target = make_target(state=TargetState.FAILED)
    response = manager.post(_url("mark_published", team.workspace.slug, target.pk), data, follow=True)
    assert response.status_code == 200
    errors = [str(m) for m in response.context["messages"] if m.level_tag == "error"]
    assert errors
    assert "address" in errors[0]
    target.refresh_from_db()
    assert target.state == TargetState.FAILED
    assert target.remote_url == ""


def test_mark_not_published_then_retry(team, manager, make_target):
    target = make_target(state=TargetState.UNCONFIRMED)
    manager.post(_url("mark_not_published", team.workspace.slug, target.pk))
    target.refresh_from_db()
    assert target.state == TargetState.FAILED
    assert target.error_code == Code.CHECKED_NOT_PUBLISHED
    assert AuditEvent.objects.filter(action="target.mark_not_published").exists()
    html = manager.get(_url("attention", team.workspace.slug)).content.decode()
    assert _url("retry", team.workspace.slug, target.pk) in html
    manager.post(_url("retry", team.workspace.slug, target.pk))
    target.refresh_from_db()
    assert target.state == TargetState.SCHEDULED


def test_cancel_a_retrying_target(team, manager, make_target):
    target = make_target(state=TargetState.RETRY_WAIT, attempt_count=4)
    html = manager.get(_url("attention", team.workspace.slug)).content.decode()
    assert _url("cancel", team.workspace.slug, target.pk) in html
    manager.post(_url("cancel", team.workspace.slug, target.pk))
    target.refresh_from_db()
    assert target.state == TargetState.CANCELLED
    assert AuditEvent.objects.filter(action="target.cancel").exists()


def test_actions_are_post_only_and_foreign_targets_404(
    team, other_team, manager, make_target, make_post, make_channel
):
    target = make_target(state=TargetState.FAILED)
    assert manager.get(_url("retry", team.workspace.slug, target.pk)).status_code == 405
    foreign_post = make_post(workspace=other_team.workspace)
    foreign_channel = make_channel(workspace=other_team.workspace)
    foreign = make_target(state=TargetState.FAILED, post=foreign_post, channel=foreign_channel)
    for name in ("retry", "mark_not_published", "cancel", "mark_published"):
        assert (
            manager.post(
                _url(name, team.workspace.slug, foreign.pk), {"url": "https://x.example"}
            ).status_code
            == 404
        )
    assert manager.post(_url("retry", team.workspace.slug, 999999)).status_code == 404
    foreign.refresh_from_db()
    assert foreign.state == TargetState.FAILED
    assert Target.objects.get(pk=foreign.pk).remote_url == ""


def test_notifications_list_and_mark_read(team, other_team, client_for):
    mine = Notification.objects.create(
        workspace=team.workspace, kind=NotificationKind.FAILED, title="Failed on X"
    )
    other = Notification.objects.create(
        workspace=team.workspace, kind=NotificationKind.LATE, title="Too late on Y"
    )
    foreign = Notification.objects.create(
        workspace=other_team.workspace, kind=NotificationKind.FAILED, title="Globex secret"
    )
    client = client_for(team.user(Role.CLIENT))
    html = client.get(_url("notifications", team.workspace.slug)).content.decode()
    assert "Failed on X" in html
    assert "Too late on Y" in html
    assert "Globex secret" not in html
    client.post(_url("notifications_read", team.workspace.slug), {"notification": mine.pk})
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.read_at is not None
    assert other.read_at is None
    client.post(_url("notifications_read", team.workspace.slug), {"notification": foreign.pk})
    foreign.refresh_from_db()
    assert foreign.read_at is None
    response = client.post(
        _url("notifications_read", team.workspace.slug), {"notification": "garbage"}, follow=True
    )
    assert response.status_code == 200
    client.post(_url("notifications_read", team.workspace.slug))
    other.refresh_from_db()
    assert other.read_at is not None
    foreign.refresh_from_db()
    assert foreign.read_at is None


def test_attention_page_shows_unread_notifications(team, manager):
    Notification.objects.create(workspace=team.workspace, kind=NotificationKind.FAILED, title="Failed on X")
    html = manager.get(_url("attention", team.workspace.slug)).content.decode()
    assert 'data-testid="unread-notifications"' in html
    assert "Failed on X" in html
