"""Approvals' background work: reminding the approvers of steps left undecided (the client gets a fresh
link by e-mail)."""

from __future__ import annotations

from datetime import timedelta

from django_tasks import task

from portevoix.approvals import services
from portevoix.core.scheduling import register_periodic


@task()
def send_approval_reminders() -> int:
    return services.reminders_send()


register_periodic("approvals.reminders", every=timedelta(minutes=15), task=send_approval_reminders)
