"""Team tasks' services: who may create, change and close tasks; who is told, in which language, by e-mail
once; the overdue reminder once; the sidebar's badge count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from portevoix.content.models import Post
from portevoix.core.errors import NotFound, PermissionDenied, ValidationFailed
from portevoix.core.scheduling import load_periodic_jobs
from portevoix.teamtasks import selectors, services
from portevoix.teamtasks.models import Notice, PostTask, TaskKind
from portevoix.teamtasks.notices import notice_send, send_notice_email
from portevoix.teamtasks.tasks import remind_overdue_tasks, send_notice_email_task
from portevoix.teamtasks.tests.conftest import run_enqueued
from portevoix.workspaces.models import AuditEvent
from portevoix.workspaces.roles import Role

pytestmark = pytest.mark.django_db


def _create(team, post, *, by=Role.MANAGER, assignee=Role.COPYWRITER, **extra):
    return services.task_create(
        by=team.member(by),
        post=post,
        kind=extra.pop("kind", TaskKind.COPY),
        title=extra.pop("title", "Write the caption"),
        assignee_id=extra.pop("assignee_id", team.user(assignee).pk if assignee else None),
        due_at=extra.pop("due_at", timezone.now() + timedelta(days=2)),
        **extra,
    )


# --- Creating and assigning ---------------------------------------------------------------------------


def test_assigning_a_task_tells_the_assignee_and_is_audited(team, post):
    task = _create(team, post)
    notice = Notice.objects.get()
    assert notice.user == team.user(Role.COPYWRITER)
    assert notice.workspace == team.workspace
    assert notice.kind == "task_assigned"
    assert notice.url == f"/w/{team.workspace.slug}/posts/{post.pk}/"
    assert "Write the caption" in notice.title
    assert "Spring launch" in notice.title
    assert team.user(Role.MANAGER).display_name in notice.title
    event = AuditEvent.objects.get(action="task.create")
    assert event.object_id == str(task.pk)
    assert event.actor == team.user(Role.MANAGER)
    assert event.data["assignee"] == team.user(Role.COPYWRITER).email


def test_giving_oneself_a_task_sends_no_notice(team, post):
    _create(team, post, by=Role.COPYWRITER, assignee=Role.COPYWRITER)
    assert not Notice.objects.exists()


def test_reassigning_tells_the_new_person_only_and_rearms_the_reminder(team, post):
    task = _create(team, post)
    PostTask.objects.filter(pk=task.pk).update(reminded_at=timezone.now())
    task.refresh_from_db()
    services.task_update(by=team.member(Role.OWNER), task=task, assignee_id=team.user(Role.DESIGNER).pk)
    task.refresh_from_db()
    assert task.assignee == team.user(Role.DESIGNER)
    assert task.reminded_at is None
    notices = Notice.objects.order_by("pk")
    assert [n.user for n in notices] == [team.user(Role.COPYWRITER), team.user(Role.DESIGNER)]
    assert AuditEvent.objects.filter(action="task.assign", object_id=str(task.pk)).count() == 1
    # The same assignee again: nothing new.
    services.task_update(by=team.member(Role.OWNER), task=task, assignee_id=team.user(Role.DESIGNER).pk)
    assert Notice.objects.count() == 2


def test_changing_title_and_due_date_is_audited_without_a_notice(team, post):
    task = _create(team, post)
    later = timezone.now() + timedelta(days=5)
    services.task_update(by=team.member(Role.MANAGER), task=task, title="New title", due_at=later)
    task.refresh_from_db()
    assert task.title == "New title"
    assert task.due_at == later
    assert Notice.objects.count() == 1
    assert AuditEvent.objects.filter(action="task.update").exists()


@pytest.mark.parametrize("role", [Role.TARGETOLOGIST, Role.ANALYST, Role.CLIENT])
def test_roles_without_task_manage_cannot_create(team, post, role):
    with pytest.raises(PermissionDenied):
        _create(team, post, by=role)
    assert not PostTask.objects.exists()


def test_the_assignee_must_be_a_member_whose_role_sees_tasks(team, other_team, post):
    with pytest.raises(ValidationFailed) as foreign:
        _create(team, post, assignee=None, assignee_id=other_team.user(Role.COPYWRITER).pk)
    assert "assignee_id" in foreign.value.fields
    with pytest.raises(ValidationFailed) as client:
        _create(team, post, assignee=Role.CLIENT)
    assert "assignee_id" in client.value.fields
    assert not PostTask.objects.exists()
    assert not Notice.objects.exists()


def test_bad_input_is_refused_with_the_field(team, post):
    with pytest.raises(ValidationFailed) as kind:
        _create(team, post, kind="poetry")
    assert "kind" in kind.value.fields
    with pytest.raises(ValidationFailed) as title:
        _create(team, post, title="x" * 201)
    assert "title" in title.value.fields
    with pytest.raises(ValidationFailed) as nul:
        _create(team, post, title="a\x00b")
    assert "title" in nul.value.fields
    with pytest.raises(ValidationFailed) as naive:
        _create(team, post, due_at=timezone.now().replace(tzinfo=None))
    assert "due_at" in naive.value.fields


def test_a_post_of_another_workspace_is_not_found(team, other_team):
    foreign = Post.objects.create(workspace=other_team.workspace, text="Theirs")
    with pytest.raises(NotFound):
        _create(team, foreign)


# --- Done and reopen ------------------------------------------------------------------------------------


def test_the_assignee_may_close_their_task_without_task_manage(team, make_task):
    task = make_task(assignee_role=Role.ANALYST)  # analyst: task.view, not task.manage
    services.task_done(by=team.member(Role.ANALYST), task=task)
    task.refresh_from_db()
    assert task.done_at is not None
    assert AuditEvent.objects.filter(action="task.done", actor=team.user(Role.ANALYST)).exists()
    services.task_reopen(by=team.member(Role.ANALYST), task=task)
    task.refresh_from_db()
    assert task.done_at is None


@pytest.mark.parametrize("role", [Role.TARGETOLOGIST, Role.CLIENT])
def test_others_without_task_manage_cannot_close_it(team, make_task, role):
    task = make_task(assignee_role=Role.ANALYST)
    with pytest.raises(PermissionDenied):
        services.task_done(by=team.member(role), task=task)
    task.refresh_from_db()
    assert task.done_at is None


def test_those_who_manage_tasks_may_close_anyones(team, make_task):
    task = make_task(assignee_role=Role.ANALYST)
    services.task_done(by=team.member(Role.DESIGNER), task=task)
    task.refresh_from_db()
    assert task.done_at is not None


def test_delete_needs_task_manage_and_is_audited(team, make_task):
    task = make_task()
    task_id = task.pk
    with pytest.raises(PermissionDenied):
        services.task_delete(by=team.member(Role.ANALYST), task=task)
    services.task_delete(by=team.member(Role.COPYWRITER), task=task)
    assert not PostTask.objects.exists()
    assert AuditEvent.objects.filter(action="task.delete", object_id=str(task_id)).exists()


# --- Notices: language and e-mail -------------------------------------------------------------------


def test_a_notice_is_written_in_the_persons_language(team):
    person = team.user(Role.COPYWRITER)
    person.language = "fr"
    person.save()
    seen = []

    def title() -> str:
        seen.append(translation.get_language())
        return "Bonjour"

    with translation.override("en"):
        notice = notice_send(workspace=team.workspace, user=person, kind="test", title=title, email=False)
        assert translation.get_language() == "en"  # restored afterwards
    assert seen == ["fr"]
    assert notice.title == "Bonjour"


def test_a_notice_follows_the_workspace_language_when_the_person_has_none(team):
    team.workspace.language = "ru"
    team.workspace.save()
    seen = []
    notice_send(
        workspace=team.workspace,
        user=team.user(Role.DESIGNER),
        kind="test",
        title=lambda: seen.append(translation.get_language()) or "x",
        email=False,
    )
    assert seen == ["ru"]


def test_the_assignment_title_is_rendered_in_the_assignees_language(team, post, monkeypatch):
    """The task's notice title is built under the assignee's language (French catalogs come later: the
    language active while the title is made is what this checks)."""
    person = team.user(Role.COPYWRITER)
    person.language = "fr"
    person.save()
    seen = []
    real = services.post_label

    def spying_label(post):
        seen.append(translation.get_language())
        return real(post)

    monkeypatch.setattr(services, "post_label", spying_label)
    _create(team, post)
    assert seen == ["fr"]


def test_the_notice_is_emailed_once_through_the_task(team, post, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _create(team, post)
    assert run_enqueued(send_notice_email_task) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    notice = Notice.objects.get()
    assert message.to == [team.user(Role.COPYWRITER).email]
    assert notice.title in message.subject
    assert team.workspace.name in message.subject
    assert f"https://portevoix.example/w/{team.workspace.slug}/posts/{post.pk}/" in message.body
    notice.refresh_from_db()
    assert notice.emailed_at is not None
    assert send_notice_email(notice.pk) is False  # once
    assert len(mail.outbox) == 1


def test_no_email_while_the_transaction_has_not_committed(team, post, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _create(team, post)
    assert run_enqueued(send_notice_email_task) == 0
    assert len(callbacks) == 1


# --- The overdue reminder -------------------------------------------------------------------------------


def test_an_overdue_task_is_reminded_once(team, make_task, django_capture_on_commit_callbacks):
    overdue = make_task(assignee_role=Role.DESIGNER, due_in=timedelta(hours=-1))
    make_task(assignee_role=Role.DESIGNER, due_in=timedelta(hours=1))  # not yet due
    make_task(assignee_role=Role.DESIGNER, due_in=timedelta(hours=-1), done=True)  # done
    make_task(assignee_role=None, due_in=timedelta(hours=-1))  # nobody to tell
    make_task(assignee_role=Role.DESIGNER, due_in=None)  # no date
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_overdue_tasks.call() == 1
    assert remind_overdue_tasks.call() == 0  # once
    notice = Notice.objects.get()
    assert notice.kind == "task_overdue"
    assert notice.user == team.user(Role.DESIGNER)
    assert "Write the caption" in notice.title
    overdue.refresh_from_db()
    assert overdue.reminded_at is not None
    assert run_enqueued(send_notice_email_task) == 1
    assert len(mail.outbox) == 1


def test_a_new_due_date_arms_the_reminder_again(team, make_task):
    task = make_task(assignee_role=Role.DESIGNER, due_in=timedelta(hours=-1))
    assert services.overdue_remind() == 1
    services.task_update(
        by=team.member(Role.MANAGER), task=task, due_at=timezone.now() + timedelta(minutes=10)
    )
    assert services.overdue_remind() == 0
    assert services.overdue_remind(now=timezone.now() + timedelta(minutes=11)) == 1
    assert Notice.objects.filter(kind="task_overdue").count() == 2


def test_a_former_member_is_not_reminded(team, make_task):
    task = make_task(assignee_role=Role.DESIGNER, due_in=timedelta(hours=-1))
    team.member(Role.DESIGNER).delete()
    assert services.overdue_remind() == 0
    task.refresh_from_db()
    assert task.reminded_at is not None  # claimed, so not looked at again
    assert not Notice.objects.exists()


def test_the_reminder_is_a_periodic_job():
    jobs = {job.name: job for job in load_periodic_jobs()}
    assert jobs["teamtasks.overdue"].task == remind_overdue_tasks
    assert jobs["teamtasks.overdue"].every == timedelta(minutes=5)


# --- Notices read, badge ------------------------------------------------------------------------------


def test_mark_read_touches_only_ones_own_notices(team):
    mine = notice_send(
        workspace=team.workspace, user=team.user(Role.ANALYST), kind="t", title=lambda: "a", email=False
    )
    theirs = notice_send(
        workspace=team.workspace, user=team.user(Role.DESIGNER), kind="t", title=lambda: "b", email=False
    )
    assert services.notices_mark_read(by=team.member(Role.ANALYST), ids=[mine.pk, theirs.pk]) == 1
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert services.notices_mark_read(by=team.member(Role.DESIGNER)) == 1


def test_badge_counts_open_overdue_tasks_and_unread_notices(team, make_task, django_assert_max_num_queries):
    make_task(assignee_role=Role.ANALYST, due_in=timedelta(hours=-2))
    make_task(assignee_role=Role.ANALYST, due_in=timedelta(hours=-2), done=True)
    make_task(assignee_role=Role.ANALYST, due_in=timedelta(hours=2))
    make_task(assignee_role=Role.DESIGNER, due_in=timedelta(hours=-2))
    notice_send(
        workspace=team.workspace, user=team.user(Role.ANALYST), kind="t", title=lambda: "a", email=False
    )
    notice_send(
        workspace=team.workspace, user=team.user(Role.CLIENT), kind="t", title=lambda: "c", email=False
    )
    analyst = team.member(Role.ANALYST)
    with django_assert_max_num_queries(2):
        assert selectors.my_badge_count(analyst) == 2
    with django_assert_max_num_queries(1):
        assert selectors.my_badge_count(team.member(Role.CLIENT)) == 1  # clients: notices only
