"""People's actions: channels of a post, schedule, publish now, cancel, retry, mark (not) published."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from portevoix.channels.models import ChannelStatus
from portevoix.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from portevoix.publishing import claims, selectors, services, validation
from portevoix.publishing.engine import Engine, execute
from portevoix.publishing.messages import Code
from portevoix.publishing.models import (
    Attempt,
    AttemptOutcome,
    Notification,
    NotificationKind,
    Target,
    TargetState,
)
from portevoix.publishing.tasks import publish_due
from portevoix.publishing.tests.conftest import claim_one
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(team):
    return team.member(Role.MANAGER)


@pytest.fixture
def draft(make_post, channel, make_channel, lead):
    post = make_post("Launch day")
    services.targets_create(post=post, channels=[channel, make_channel()], by=lead)
    return post


# --- Channels of a post ------------------------------------------------------------------------------


def test_targets_are_created_as_drafts_with_their_own_random_keys(make_post, channel, make_channel, lead):
    post = make_post()
    other = make_channel()
    targets = services.targets_create(post=post, channels=[channel, other, channel], by=lead)
    assert [t.channel_id for t in targets] == [channel.pk, other.pk]
    assert {t.state for t in targets} == {TargetState.DRAFT}
    keys = [t.idempotency_key for t in targets]
    assert all(re.fullmatch(r"[0-9a-f]{32}", key) for key in keys)
    assert len(set(keys)) == 2
    again = services.targets_create(post=post, channels=[channel], by=lead)
    assert again[0].idempotency_key == keys[0]  # kept, not recreated
    assert Target.objects.filter(post=post).count() == 2


def test_targets_need_the_edit_role_and_the_same_workspace(make_post, channel, team, other_team, lead):
    post = make_post()
    with pytest.raises(PermissionDenied):
        services.targets_create(post=post, channels=[channel], by=team.member(Role.ANALYST))
    with pytest.raises(NotFound):
        services.targets_create(post=post, channels=[channel], by=other_team.member(Role.OWNER))
    foreign_post = make_post(workspace=other_team.workspace)
    with pytest.raises(NotFound):
        services.targets_create(post=foreign_post, channels=[channel], by=other_team.member(Role.OWNER))
    with pytest.raises(ValidationFailed):
        services.targets_create(post=post, channels=[], by=lead)


# --- Schedule and publish now ------------------------------------------------------------------------


def test_schedule_plans_every_channel_and_audits(draft, lead):
    at = timezone.now() + timedelta(hours=3)
    targets = services.post_schedule(post=draft, at=at, by=lead)
    assert len(targets) == 2
    assert {(t.state, t.due_at, t.next_attempt_at) for t in targets} == {(TargetState.SCHEDULED, at, at)}
    draft.refresh_from_db()
    assert draft.scheduled_at == at
    event = AuditEvent.objects.get(action="post.schedule")
    assert event.actor == lead.user
    assert event.data["at"] == at.isoformat()


def test_schedule_refuses_bad_times_and_roles(draft, lead, team):
    with pytest.raises(ValidationFailed):
        services.post_schedule(post=draft, at=timezone.now() - timedelta(hours=1), by=lead)
    with pytest.raises(ValidationFailed):
        services.post_schedule(post=draft, at=timezone.now().replace(tzinfo=None), by=lead)
    with pytest.raises(ValidationFailed):
        services.post_schedule(post=draft, at=timezone.now() + timedelta(days=3650), by=lead)
    with pytest.raises(PermissionDenied):
        services.post_schedule(
            post=draft, at=timezone.now() + timedelta(hours=1), by=team.member(Role.COPYWRITER)
        )
    assert set(Target.objects.values_list("state", flat=True)) == {TargetState.DRAFT}


def test_schedule_runs_the_composers_validation(draft, lead):
    def too_long(post, channels):
        return {"text": [f"Too long for {len(channels)} channels."]}

    validation.register_post_validator(too_long)
    try:
        with pytest.raises(ValidationFailed) as refused:
            services.post_schedule(post=draft, at=timezone.now() + timedelta(hours=1), by=lead)
    finally:
        validation.unregister_post_validator(too_long)
    assert refused.value.fields == {"text": ["Too long for 2 channels."]}


def test_publish_now_asks_a_worker_at_once(draft, lead, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        targets = services.post_publish_now(post=draft, by=lead)
    assert {t.state for t in targets} == {TargetState.SCHEDULED}
    assert all(t.next_attempt_at <= timezone.now() for t in targets)
    assert DBTaskResult.objects.filter(task_path=publish_due.module_path).count() == 1


def test_a_published_post_cannot_be_scheduled_again(draft, lead):
    Target.objects.filter(post=draft).update(state=TargetState.PUBLISHED)
    with pytest.raises(Conflict):
        services.post_schedule(post=draft, at=timezone.now() + timedelta(hours=1), by=lead)


def test_a_target_claimed_early_but_not_started_can_be_rescheduled(draft, lead, network):
    at = timezone.now() + timedelta(seconds=5)
    services.post_schedule(post=draft, at=at, by=lead)
    got = claims.claim_due("w", 10, timezone.now(), prefetch=timedelta(seconds=10))
    assert len(got) == 2
    later = timezone.now() + timedelta(hours=2)
    targets = services.post_schedule(post=draft, at=later, by=lead)
    assert {(t.state, t.due_at) for t in targets} == {(TargetState.SCHEDULED, later)}
    for target_id, fence in got:  # the worker's claims are stale now
        assert execute(target_id, fence, "w") == TargetState.SCHEDULED
    assert network.sent == []


# --- Cancel ------------------------------------------------------------------------------------------


def test_cancel_a_scheduled_target(draft, lead):
    services.post_schedule(post=draft, at=timezone.now() + timedelta(hours=1), by=lead)
    target = Target.objects.filter(post=draft).first()
    target = services.target_cancel(target=target, by=lead)
    assert target.state == TargetState.CANCELLED
    assert AuditEvent.objects.filter(action="target.cancel").exists()
    assert claims.claim_due("w", 10, timezone.now() + timedelta(days=1)) != [(target.pk, target.fence + 1)]


def test_a_claimed_target_can_be_cancelled_until_its_attempt_starts(make_target, lead, network):
    target = make_target(due_in=timedelta(seconds=5))
    fence = claim_one(target, "w", prefetch=timedelta(seconds=10))
    services.target_cancel(target=target, by=lead)
    assert execute(target.pk, fence, "w") == TargetState.CANCELLED
    assert network.sent == []


def test_a_target_being_sent_cannot_be_cancelled(make_target, lead):
    target = make_target()
    fence = claim_one(target, "w")
    engine = Engine("w")
    started, _held = engine.begin(engine.prepare([(target.pk, fence)]))
    assert started
    with pytest.raises(Conflict):
        services.target_cancel(target=target, by=lead)
    target.refresh_from_db()
    assert target.state == TargetState.PUBLISHING


def test_a_target_whose_outcome_is_being_checked_cannot_be_cancelled(make_target, lead):
    target = make_target(state=TargetState.RETRY_WAIT, due_in=timedelta(minutes=1))
    Target.objects.filter(pk=target.pk).update(reconcile_since=timezone.now())
    with pytest.raises(Conflict):
        services.target_cancel(target=target, by=lead)


def test_cancel_needs_the_publish_role(make_target, team):
    target = make_target()
    with pytest.raises(PermissionDenied):
        services.target_cancel(target=target, by=team.member(Role.DESIGNER))


# --- Needs attention: retry, mark (not) published ----------------------------------------------------


def test_retry_of_a_failed_target_sends_it_again_with_a_fresh_budget(make_target, lead, network, settings):
    settings.PORTEVOIX_PUBLISH_MAX_ATTEMPTS = 1
    target = make_target(state=TargetState.FAILED, attempt_count=4, due_in=-timedelta(hours=5))
    target = services.target_retry(target=target, by=lead)
    assert target.state == TargetState.SCHEDULED
    assert target.retry_base == 4
    assert target.due_at >= timezone.now() - timedelta(seconds=5)  # the lateness clock restarts
    fence = claim_one(target)
    assert execute(target.pk, fence, "w1") == TargetState.PUBLISHED
    assert Attempt.objects.get(target=target).number == 5


def test_retry_is_refused_when_the_channel_needs_reconnecting(make_target, lead, channel):
    target = make_target(state=TargetState.FAILED)
    channel.status = ChannelStatus.NEEDS_REAUTH
    channel.save()
    with pytest.raises(ValidationFailed):
        services.target_retry(target=target, by=lead)


def test_only_failed_or_unconfirmed_targets_are_retried_by_an_allowed_role(make_target, lead, team):
    with pytest.raises(Conflict):
        services.target_retry(target=make_target(state=TargetState.PUBLISHED), by=lead)
    with pytest.raises(PermissionDenied):
        services.target_retry(target=make_target(state=TargetState.FAILED), by=team.member(Role.COPYWRITER))


def test_mark_published_by_hand_records_the_address(make_target, lead):
    target = make_target(state=TargetState.UNCONFIRMED, attempt_count=1)
    target = services.target_mark_published_manually(
        target=target, url=" https://social.example/p/1 ", by=lead
    )
    assert target.state == TargetState.PUBLISHED
    assert target.remote_url == "https://social.example/p/1"
    attempt = Attempt.objects.get(target=target)
    assert (attempt.kind, attempt.outcome, attempt.number) == ("manual", AttemptOutcome.PUBLISHED, 2)
    assert AuditEvent.objects.filter(action="target.mark_published").exists()


@pytest.mark.parametrize("url", ["", "javascript:alert(1)", "not a url", "https://x.example/" + "a" * 600])
def test_mark_published_refuses_a_bad_address(make_target, lead, url):
    target = make_target(state=TargetState.UNCONFIRMED)
    with pytest.raises(ValidationFailed):
        services.target_mark_published_manually(target=target, url=url, by=lead)


def test_mark_not_published_then_retry(make_target, lead):
    target = make_target(state=TargetState.UNCONFIRMED)
    target = services.target_mark_not_published(target=target, by=lead)
    assert target.state == TargetState.FAILED
    assert target.error_code == Code.CHECKED_NOT_PUBLISHED
    assert services.target_retry(target=target, by=lead).state == TargetState.SCHEDULED
    with pytest.raises(Conflict):
        services.target_mark_not_published(target=target, by=lead)


def test_people_of_another_workspace_cannot_touch_a_target(make_target, other_team):
    target = make_target(state=TargetState.FAILED)
    with pytest.raises(NotFound):
        services.target_retry(target=target, by=other_team.member(Role.OWNER))


# --- Selectors ------------------------------------------------------------------------------------------


def test_needs_attention_lists_what_someone_should_look_at(
    make_target, make_post, make_channel, team, other_team
):
    failed = make_target(post=make_post("f"), state=TargetState.FAILED)
    unconfirmed = make_target(post=make_post("u"), state=TargetState.UNCONFIRMED)
    struggling = make_target(post=make_post("s"), state=TargetState.RETRY_WAIT, attempt_count=5, retry_base=1)
    make_target(post=make_post("r"), state=TargetState.RETRY_WAIT, attempt_count=1)
    make_target(post=make_post("ok"), state=TargetState.PUBLISHED)
    pending = make_target(post=make_post("p"), state=TargetState.PENDING_REMOTE, due_in=-timedelta(hours=2))
    make_target(post=make_post("p2"), state=TargetState.PENDING_REMOTE, due_in=-timedelta(minutes=5))
    broken = make_channel(status=ChannelStatus.NEEDS_REAUTH)
    expiring = make_channel(token_expires_at=timezone.now() + timedelta(days=2))
    make_channel(status=ChannelStatus.DISCONNECTED)
    foreign = make_channel(workspace=other_team.workspace, status=ChannelStatus.NEEDS_REAUTH)
    found = selectors.needs_attention(workspace=team.workspace)
    assert found.failed == [failed]
    assert found.unconfirmed == [unconfirmed]
    assert found.struggling == [struggling]
    assert found.pending == [pending]
    assert {c.pk for c in found.channels} == {broken.pk, expiring.pk}
    assert foreign.pk not in {c.pk for c in found.channels}
    assert found.count == 6
    assert selectors.attention_count(workspace=team.workspace) == 2
    assert not selectors.needs_attention(workspace=other_team.workspace).failed


def test_target_history_and_advice(make_target, network):
    target = make_target()
    fence = claim_one(target)
    execute(target.pk, fence, "w1")
    assert [a.outcome for a in selectors.target_attempts(target=target)] == [AttemptOutcome.PUBLISHED]
    target.error_code = Code.REAUTH_REQUIRED
    assert "Reconnect" in selectors.target_advice(target)


def test_notifications_are_listed_and_marked_read(make_target, lead, team, network):
    from portevoix.connectors.errors import ContentRejected

    network.then(ContentRejected("No."))
    target = make_target()
    execute(target.pk, claim_one(target), "w1")
    unread = list(selectors.notifications(workspace=team.workspace, unread_only=True))
    assert [n.kind for n in unread] == [NotificationKind.FAILED]
    assert services.notifications_mark_read(by=lead) == 1
    assert not selectors.notifications(workspace=team.workspace, unread_only=True)
    assert Notification.objects.get().read_at is not None


def test_channels_whose_access_expires_and_cannot_be_renewed_raise_one_alert_a_day(
    make_channel, team, django_capture_on_commit_callbacks
):
    from portevoix.publishing.notifications import alert_expiring_channels
    from portevoix.publishing.tasks import send_alert_email_task
    from portevoix.publishing.tests.conftest import run_enqueued

    soon = timezone.now() + timedelta(days=2)
    manual = make_channel("scripted-norefresh", token_expires_at=soon)  # cannot renew
    make_channel("scripted", token_expires_at=soon)  # renewed by the channels app's job
    failing = make_channel("scripted", token_expires_at=soon, last_error="Renewal refused.")
    make_channel("scripted-norefresh", token_expires_at=timezone.now() + timedelta(days=30))
    with django_capture_on_commit_callbacks(execute=True):
        assert alert_expiring_channels() == 2
    assert alert_expiring_channels() == 0  # not again the same day
    alerts = Notification.objects.filter(kind=NotificationKind.TOKEN_EXPIRING)
    assert {n.channel_id for n in alerts} == {manual.pk, failing.pk}
    assert "expires soon" in alerts.first().title
    assert run_enqueued(send_alert_email_task) == 2
