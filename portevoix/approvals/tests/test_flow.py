"""The approval flow: policy modes, gating of scheduling, steps in order, the client's link, changes
requested, edits after approval, reminders, mentions, and the audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from portevoix.approvals import selectors, services
from portevoix.approvals.models import ApprovalStep, ClientLink, Decision, DecisionState
from portevoix.approvals.services import StepIn
from portevoix.approvals.tests.helpers import make_post, review_tokens, set_policy
from portevoix.content import services as content_services
from portevoix.content.models import ApprovalState
from portevoix.core.errors import Conflict, PermissionDenied, ValidationFailed
from portevoix.publishing.claims import claim_due
from portevoix.publishing.models import Target, TargetState
from portevoix.teamtasks.models import Notice
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db

SOON = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT10:00")


def schedule(team, post):
    return content_services.post_schedule(by=team.member(Role.MANAGER), post=post, at=SOON)


def states(post):
    return sorted(Target.objects.filter(post=post).values_list("state", flat=True))


def nothing_claimable(post):
    """Even at (and well past) the due time, the engine's claim takes none of the post's targets."""
    due = Target.objects.filter(post=post).first().due_at
    claims = claim_due("test-worker", 100, due + timedelta(minutes=5))
    return not {target_id for target_id, _fence in claims} & set(
        Target.objects.filter(post=post).values_list("pk", flat=True)
    )


# --- Policy ---------------------------------------------------------------------------------------


def test_required_mode_gets_one_default_step_and_is_audited(team):
    set_policy(team, "required")
    steps = list(ApprovalStep.objects.filter(workspace=team.workspace))
    assert [(s.role, s.user_id, s.by_client) for s in steps] == [("", None, False)]
    event = AuditEvent.objects.filter(workspace=team.workspace, action="approval.policy_update").get()
    assert event.data["mode"] == "required"
    assert event.data["previous_mode"] == "none"


def test_required_mode_refuses_two_steps_and_multi_step_refuses_one(team):
    with pytest.raises(ValidationFailed):
        set_policy(team, "required", [StepIn(role="copywriter"), StepIn(role="manager")])
    with pytest.raises(ValidationFailed):
        set_policy(team, "multi_step", [StepIn(role="copywriter")])
    assert not ApprovalStep.objects.filter(workspace=team.workspace).exists()


def test_step_validation(team):
    with pytest.raises(ValidationFailed) as error:
        set_policy(team, "multi_step", [StepIn(role="nobody"), StepIn(by_client=True, client_email="x")])
    assert "steps.0.role" in error.value.fields
    with pytest.raises(ValidationFailed):
        set_policy(team, "multi_step", [StepIn(role="copywriter", by_client=True), StepIn()])
    with pytest.raises(PermissionDenied):
        services.policy_set(by=team.member(Role.COPYWRITER), mode="none")


# --- Gating ---------------------------------------------------------------------------------------


def test_in_required_mode_scheduling_waits_for_approval_and_nothing_is_claimed(team):
    set_policy(team, "required")
    post = make_post(team)
    schedule(team, post)
    assert states(post) == [TargetState.AWAITING_APPROVAL]
    assert Target.objects.get(post=post).due_at is not None
    assert nothing_claimable(post)
    with pytest.raises(Conflict):
        content_services.post_publish(by=team.member(Role.MANAGER), post=post)
    assert states(post) == [TargetState.AWAITING_APPROVAL]
    # Rescheduling while waiting keeps it waiting, at the new time.
    later = (timezone.now() + timedelta(days=4)).strftime("%Y-%m-%dT11:00")
    content_services.post_schedule(by=team.member(Role.MANAGER), post=post, at=later)
    assert states(post) == [TargetState.AWAITING_APPROVAL]


def test_no_approval_mode_schedules_directly(team):
    post = make_post(team)
    schedule(team, post)
    assert states(post) == [TargetState.SCHEDULED]


def test_optional_mode_gates_only_posts_under_review(team):
    set_policy(team, "optional")
    plain = make_post(team, text="Not submitted")
    schedule(team, plain)
    assert states(plain) == [TargetState.SCHEDULED]
    services.post_submit(by=team.member(Role.COPYWRITER), post=plain)
    assert states(plain) == [TargetState.AWAITING_APPROVAL]  # submitted: it waits for the outcome
    assert nothing_claimable(plain)


def test_submit_then_approve_releases_the_targets(team, django_capture_on_commit_callbacks):
    set_policy(team, "required")
    post = make_post(team)
    schedule(team, post)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.PENDING
    told = set(Notice.objects.filter(kind="approval_needed").values_list("user_id", flat=True))
    assert told == {team.user(Role.OWNER).pk, team.user(Role.MANAGER).pk}
    with pytest.raises(PermissionDenied):
        services.decision_approve(by=team.member(Role.COPYWRITER), post=post)
    with pytest.raises(Conflict):
        services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    services.decision_approve(by=team.member(Role.MANAGER), post=post, note="Good to go")
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.APPROVED
    assert states(post) == [TargetState.SCHEDULED]
    target = Target.objects.get(post=post)
    claims = claim_due("test-worker", 10, target.due_at + timedelta(seconds=1))
    assert (target.pk, target.fence + 1) in claims
    with pytest.raises(Conflict):
        services.decision_approve(by=team.member(Role.MANAGER), post=post)
    actions = list(
        AuditEvent.objects.filter(workspace=team.workspace, action__startswith="approval.").values_list(
            "action", flat=True
        )
    )
    assert {"approval.submit", "approval.approve", "approval.approved"} <= set(actions)
    assert Notice.objects.filter(user=team.user(Role.COPYWRITER), kind="approval_approved").exists()


def test_approving_after_the_planned_time_hands_over_to_the_engine(team):
    set_policy(team, "required")
    post = make_post(team)
    schedule(team, post)
    services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    past = timezone.now() - timedelta(hours=2)
    Target.objects.filter(post=post).update(due_at=past)
    services.decision_approve(by=team.member(Role.OWNER), post=post)
    target = Target.objects.get(post=post)
    assert target.state == TargetState.SCHEDULED
    assert target.due_at == past  # the engine's lateness cutoff decides (docs/approvals.md)
    assert target.next_attempt_at == past


def test_multi_step_in_order_with_the_client_last(team, django_capture_on_commit_callbacks):
    set_policy(
        team,
        "multi_step",
        [
            StepIn(name="Copy editor", role="designer"),
            StepIn(name="Client", by_client=True, client_email="Client@Example.com"),
        ],
    )
    post = make_post(team)
    schedule(team, post)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    assert mail.outbox == [] or all("review/" not in m.body for m in mail.outbox)
    assert not ClientLink.objects.exists()  # the client's link waits for its step
    with pytest.raises(PermissionDenied):
        services.decision_approve(by=team.member(Role.MANAGER), post=post)  # the designer's step
    with django_capture_on_commit_callbacks(execute=True):
        services.decision_approve(by=team.member(Role.DESIGNER), post=post)
    link = ClientLink.objects.get()
    tokens = review_tokens()
    assert len(tokens) == 1
    assert mail.outbox[-1].to == ["client@example.com"]
    assert link.token_hash != tokens[0]
    assert len(tokens[0]) >= 32
    with pytest.raises(PermissionDenied):
        services.decision_approve(by=team.member(Role.OWNER), post=post)  # the client's own step
    assert states(post) == [TargetState.AWAITING_APPROVAL]
    services.client_decide(token=tokens[0], approve=True, name="Clara Client")
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.APPROVED
    assert states(post) == [TargetState.SCHEDULED]
    decision = Decision.objects.get(post=post, position=1)
    assert (decision.state, decision.decided_by_name) == (DecisionState.APPROVED, "Clara Client")
    event = AuditEvent.objects.get(action="approval.client_approve")
    assert event.data["client_name"] == "Clara Client"
    assert AuditEvent.objects.filter(action="approval.link_issue").count() == 1


def test_changes_requested_then_resubmitted_revokes_the_old_link(team, django_capture_on_commit_callbacks):
    set_policy(team, "required", [StepIn(by_client=True, client_email="client@example.com")])
    post = make_post(team)
    schedule(team, post)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    first = review_tokens()[-1]
    with pytest.raises(ValidationFailed):
        services.client_decide(token=first, approve=False, name="Clara", note="")
    services.client_decide(token=first, approve=False, name="Clara", note="Use the new logo")
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.CHANGES_REQUESTED
    assert states(post) == [TargetState.AWAITING_APPROVAL]  # kept waiting, with its planned time
    assert Notice.objects.filter(user=team.user(Role.COPYWRITER), kind="approval_changes").exists()
    with pytest.raises(selectors.LinkProblem) as used:
        services.client_decide(token=first, approve=True, name="Clara")
    assert (used.value.reason, used.value.status) == ("decided", 410)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    second = review_tokens()[-1]
    assert second != first
    assert Decision.objects.filter(post=post, round=2).count() == 1
    services.client_decide(token=second, approve=True, name="Clara")
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.APPROVED


def test_resubmission_revokes_an_unused_link(team, django_capture_on_commit_callbacks):
    set_policy(team, "multi_step", [StepIn(by_client=True, client_email="c@example.com"), StepIn()])
    post = make_post(team)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    first = review_tokens()[-1]
    content_services.post_update(by=team.member(Role.COPYWRITER), post=post, text="Changed text")
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.DRAFT
    with pytest.raises(selectors.LinkProblem) as revoked:
        selectors.client_link_get(first)
    assert (revoked.value.reason, revoked.value.status) == ("revoked", 410)


def test_forged_and_expired_links(team, django_capture_on_commit_callbacks):
    set_policy(team, "required", [StepIn(by_client=True, client_email="c@example.com")])
    post = make_post(team)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    token = review_tokens()[-1]
    for forged in ["", "x", token[:-1] + ("A" if token[-1] != "A" else "B"), "a" * 500]:
        with pytest.raises(selectors.LinkProblem) as problem:
            selectors.client_link_get(forged)
        assert (problem.value.reason, problem.value.status) == ("invalid", 404)
    ClientLink.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(selectors.LinkProblem) as expired:
        services.client_decide(token=token, approve=True, name="Clara")
    assert (expired.value.reason, expired.value.status) == ("expired", 410)
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.PENDING


def test_editing_an_approved_post_sends_it_back(team):
    set_policy(team, "required")
    post = make_post(team)
    services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    services.decision_approve(by=team.member(Role.MANAGER), post=post)
    schedule(team, post)
    assert states(post) == [TargetState.SCHEDULED]
    content_services.post_update(by=team.member(Role.COPYWRITER), post=post, title="Only the title")
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.APPROVED  # the internal title is not what was approved
    content_services.post_update(by=team.member(Role.COPYWRITER), post=post, text="New text")
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.DRAFT
    assert states(post) == [TargetState.AWAITING_APPROVAL]
    assert nothing_claimable(post)
    assert AuditEvent.objects.filter(action="approval.reset", object_id=str(post.pk)).exists()


def test_leaving_required_mode_releases_waiting_posts(team):
    set_policy(team, "required")
    post = make_post(team)
    schedule(team, post)
    assert states(post) == [TargetState.AWAITING_APPROVAL]
    set_policy(team, "none")
    assert states(post) == [TargetState.SCHEDULED]
    set_policy(team, "required")
    assert states(post) == [TargetState.AWAITING_APPROVAL]


def test_submit_needs_a_mode_and_the_role(team):
    post = make_post(team)
    with pytest.raises(Conflict):
        services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    set_policy(team, "optional")
    with pytest.raises(PermissionDenied):
        services.post_submit(by=team.member(Role.ANALYST), post=post)


def test_a_named_person_approves_their_step(team):
    person = team.member(Role.ANALYST)
    set_policy(team, "required", [StepIn(user_id=person.user_id)])
    post = make_post(team)
    services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    assert [a.post.pk for a in selectors.awaiting_decision(by=person)] == [post.pk]
    assert selectors.awaiting_decision(by=team.member(Role.OWNER)) == []
    with pytest.raises(PermissionDenied):
        services.decision_approve(by=team.member(Role.OWNER), post=post)
    services.decision_approve(by=person, post=post)
    post.refresh_from_db()
    assert post.approval_state == ApprovalState.APPROVED


# --- Reminders ------------------------------------------------------------------------------------


def test_reminders_go_once_per_step(team, django_capture_on_commit_callbacks):
    set_policy(team, "required", remind_after_hours=24)
    post = make_post(team)
    services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    assert services.reminders_send() == 0  # too early
    Decision.objects.update(notified_at=timezone.now() - timedelta(hours=25))
    assert services.reminders_send() == 1
    assert Notice.objects.filter(kind="approval_reminder").count() == 2  # owner and manager
    assert services.reminders_send() == 0
    assert Notice.objects.filter(kind="approval_reminder").count() == 2
    assert AuditEvent.objects.filter(action="approval.remind").count() == 1


def test_client_reminder_sends_a_fresh_link_with_the_same_expiry(team, django_capture_on_commit_callbacks):
    set_policy(team, "required", [StepIn(by_client=True, client_email="c@example.com")], remind_after_hours=2)
    post = make_post(team)
    with django_capture_on_commit_callbacks(execute=True):
        services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    Decision.objects.update(notified_at=timezone.now() - timedelta(hours=3))
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send() == 1
    first, second = review_tokens()
    assert first != second
    assert "Reminder" in mail.outbox[-1].subject
    links = list(ClientLink.objects.order_by("pk"))
    assert links[0].expires_at == links[1].expires_at
    assert selectors.client_link_get(first)
    assert selectors.client_link_get(second)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send() == 0


def test_no_reminder_for_an_expired_client_link(team, django_capture_on_commit_callbacks):
    set_policy(team, "required", [StepIn(by_client=True, client_email="c@example.com")])
    post = make_post(team)
    services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    Decision.objects.update(notified_at=timezone.now() - timedelta(days=30))
    ClientLink.objects.update(expires_at=timezone.now() - timedelta(days=1))
    assert services.reminders_send() == 0


# --- Comments and mentions ------------------------------------------------------------------------


def test_mentions_notify_each_member_once(team, make_user):
    post = make_post(team)
    designer = team.user(Role.DESIGNER)
    analyst = team.user(Role.ANALYST)
    local = designer.email.split("@")[0]
    body = (
        f"@{local} please check, and @{analyst.email}. Also @nobody and @{team.user(Role.COPYWRITER).email}."
    )
    comment = services.comment_add(by=team.member(Role.COPYWRITER), post=post, body=body)
    assert set(comment.mentions.values_list("pk", flat=True)) == {designer.pk, analyst.pk}
    assert set(Notice.objects.filter(kind="mention").values_list("user_id", flat=True)) == {
        designer.pk,
        analyst.pk,
    }
    assert set(AuditEvent.objects.get(action="comment.create").data["mentions"]) == {designer.pk, analyst.pk}


def test_an_ambiguous_local_part_mentions_nobody(team, make_user):
    from portevoix.workspaces.models import Membership

    for domain in ("one.test", "two.test"):
        Membership.objects.create(
            workspace=team.workspace, user=make_user(email=f"sam@{domain}"), role=Role.ANALYST
        )
    assert services.mentioned_users(team.workspace, "hi @sam") == []
    assert [u.email for u in services.mentioned_users(team.workspace, "hi @sam@two.test")] == ["sam@two.test"]


def test_comments_are_validated(team):
    post = make_post(team)
    for body in ["", "   ", "x" * 5001, "nul\x00"]:
        with pytest.raises(ValidationFailed):
            services.comment_add(by=team.member(Role.CLIENT), post=post, body=body)


def test_the_reminder_job_is_registered_and_runs(team):
    from portevoix.approvals.tasks import send_approval_reminders
    from portevoix.core.scheduling import load_periodic_jobs

    assert "approvals.reminders" in [job.name for job in load_periodic_jobs()]
    set_policy(team, "required")
    post = make_post(team)
    services.post_submit(by=team.member(Role.COPYWRITER), post=post)
    Decision.objects.update(notified_at=timezone.now() - timedelta(days=2))
    assert send_approval_reminders.call() == 1
