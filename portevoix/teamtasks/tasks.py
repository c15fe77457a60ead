"""Team tasks' background work: e-mailing notices (a slow mail server never holds up a request), and the
overdue reminder, which tells each assignee once that their task is past its due date."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from portevoix.core.scheduling import register_periodic
from portevoix.teamtasks import notices, services


@task()
def send_notice_email_task(notice_id: int) -> bool:
    return notices.send_notice_email(notice_id)


@task()
def remind_overdue_tasks() -> int:
    """Notify the assignees of tasks that became overdue since the last run (once per task)."""
    return services.overdue_remind()


register_periodic("teamtasks.overdue", every=timedelta(minutes=5), task=remind_overdue_tasks)
