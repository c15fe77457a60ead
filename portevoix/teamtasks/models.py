"""Work on posts split by role (write copy, design visuals, approve), and personal notices: what one
person is told (a task assigned, a mention, a reminder), in the app and by e-mail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portevoix.content.models import Post
from portevoix.core.models import TimeStampedModel
from portevoix.workspaces.models import Workspace


class TaskKind(models.TextChoices):
    COPY = "copy", _("Write copy")
    DESIGN = "design", _("Design visuals")
    APPROVE = "approve", _("Approve")
    OTHER = "other", _("Other")


class PostTask(TimeStampedModel):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(max_length=10, choices=TaskKind.choices, default=TaskKind.OTHER)
    title = models.CharField(_("title"), max_length=200, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminded_at = models.DateTimeField(null=True, blank=True)  # the overdue reminder, sent once

    class Meta:
        ordering = ["due_at", "pk"]
        indexes = [models.Index(fields=["workspace", "assignee", "done_at"], name="task_ws_assignee")]

    def __str__(self) -> str:
        return self.title or self.get_kind_display()


class Notice(TimeStampedModel):
    """A personal notification: shown on the person's tasks page and e-mailed."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=30)  # task_assigned, task_overdue, mention, approval_needed, ...
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500, blank=True)  # a path inside the app
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"], name="notice_user_unread")]

    def __str__(self) -> str:
        return self.title
