"""Team tasks' background work: e-mailing notices (a slow mail server never holds up a request)."""

from __future__ import annotations

from django_tasks import task

from portevoix.teamtasks import notices


@task()
def send_notice_email_task(notice_id: int) -> bool:
    return notices.send_notice_email(notice_id)
