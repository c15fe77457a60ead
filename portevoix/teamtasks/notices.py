"""Personal notices: tell one person something (a task assigned, a mention, an approval to give, a
reminder) in the app and by e-mail.

The title is written in the person's own language (or the workspace's): pass a function that returns it,
called with that language active, so the stored notice and the e-mail read naturally to them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portevoix.accounts.models import User
from portevoix.teamtasks.models import Notice
from portevoix.workspaces.emails import absolute_url
from portevoix.workspaces.models import Workspace

logger = logging.getLogger(__name__)


def language_of(user: User, workspace: Workspace) -> str:
    return getattr(user, "language", "") or workspace.language


def notice_send(
    *,
    workspace: Workspace,
    user: User,
    kind: str,
    title: Callable[[], str],
    url: str = "",
    email: bool = True,
) -> Notice:
    """Store a notice for ``user`` and, after the transaction commits, e-mail it (through a task)."""
    with translation.override(language_of(user, workspace)):
        text = str(title())[:300]
    notice = Notice.objects.create(workspace=workspace, user=user, kind=kind[:30], title=text, url=url[:500])
    if email and user.email and user.is_active:
        notice_id = notice.pk
        transaction.on_commit(lambda: _enqueue(notice_id), robust=True)
    return notice


def _enqueue(notice_id: int) -> None:
    from portevoix.teamtasks.tasks import send_notice_email_task

    send_notice_email_task.enqueue(notice_id)


def send_notice_email(notice_id: int) -> bool:
    """E-mail one notice (once). False when there is nothing to send or the mail server refused it."""
    notice = Notice.objects.select_related("user", "workspace").filter(pk=notice_id).first()
    if notice is None or notice.emailed_at is not None or not notice.user.email:
        return False
    workspace, user = notice.workspace, notice.user
    with translation.override(language_of(user, workspace)):
        body = render_to_string(
            "teamtasks/email/notice.txt",
            {
                "workspace": workspace,
                "title": notice.title,
                "url": absolute_url(notice.url) if notice.url else "",
            },
        )
        subject = _("[%(workspace)s] %(title)s") % {"workspace": workspace.name, "title": notice.title}
    try:
        send_mail(subject[:200], body, None, [user.email])
    except Exception:
        logger.exception("Could not e-mail notice %s", notice_id)
        return False
    Notice.objects.filter(pk=notice.pk, emailed_at__isnull=True).update(emailed_at=timezone.now())
    return True
