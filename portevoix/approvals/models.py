"""Approvals of posts before they publish, the client's signed links, and comments on posts.

A workspace's policy says whether posts need approval and through which steps (for instance the copy
editor, then the client). A post's progress is one Decision row per step; content.Post.approval_state
sums it up, and the publishing engine only sends a post whose state allows it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portevoix.content.models import Post
from portevoix.core.models import TimeStampedModel
from portevoix.workspaces.models import Workspace


class ApprovalMode(models.TextChoices):
    NONE = "none", _("No approval")
    OPTIONAL = "optional", _("Optional: writers may ask for approval")
    REQUIRED = "required", _("Required: one approval before publishing")
    MULTI_STEP = "multi_step", _("Multi-step: every step in order")


def default_step_name(*, by_client: bool, role: str) -> str:
    """The name of a step left unnamed, in the reader's language (stored blank, so that it is not frozen in
    the language of whoever set the policy up)."""
    if by_client:
        return gettext("Client")
    if role:
        from portevoix.workspaces.roles import Role

        try:
            return str(Role(role).label)
        except ValueError:
            return role
    return gettext("Approval")


class ApprovalPolicy(models.Model):
    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="approval_policy")
    mode = models.CharField(max_length=12, choices=ApprovalMode.choices, default=ApprovalMode.NONE)
    # A reminder goes to the approvers of a step still undecided after this many hours (0: none).
    remind_after_hours = models.PositiveSmallIntegerField(default=24)
    client_link_days = models.PositiveSmallIntegerField(default=7)  # how long a client link stays valid

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.mode}"


class ApprovalStep(models.Model):
    """One step of the policy: approved by anyone with ``role``, or by ``user``, or by the client
    through a signed link (``by_client``)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="approval_steps")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=80, blank=True)  # blank: see display_name
    role = models.CharField(max_length=20, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_client = models.BooleanField(default=False)
    client_email = models.EmailField(blank=True)  # where the client's link is sent

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        if self.user_id is not None and self.user is not None:
            return self.user.display_name
        return default_step_name(by_client=self.by_client, role=self.role)


class DecisionState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    APPROVED = "approved", _("Approved")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")


class Decision(TimeStampedModel):
    """A post's state at one step of the policy (a step copied at submission time, so that editing the
    policy does not change posts already under review)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approval_decisions")
    round = models.PositiveIntegerField(default=1)  # a new round starts each time the post is resubmitted
    position = models.PositiveSmallIntegerField(default=0)
    step_name = models.CharField(max_length=80, blank=True)  # blank: display_name gives the default
    role = models.CharField(max_length=20, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    by_client = models.BooleanField(default=False)
    client_email = models.EmailField(blank=True)
    state = models.CharField(max_length=20, choices=DecisionState.choices, default=DecisionState.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_name = models.CharField(max_length=150, blank=True)  # the client, who has no account
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    # When the step became the current one and its approvers were told (reminders count from here).
    notified_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["post", "round", "position"]

    def __str__(self) -> str:
        return f"{self.post_id} r{self.round} {self.display_name}: {self.state}"

    @property
    def display_name(self) -> str:
        if self.step_name:
            return self.step_name
        if self.user_id is not None and self.user is not None:
            return self.user.display_name
        return default_step_name(by_client=self.by_client, role=self.role)


class ClientLink(TimeStampedModel):
    """A signed, expiring link for a client to review one post without an account. The token itself is
    shown once (in the e-mail); only its hash is kept, so a leaked database reveals no working link."""

    decision = models.ForeignKey(Decision, on_delete=models.CASCADE, related_name="client_links")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"client link for {self.post_id}"


class Comment(TimeStampedModel):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_name = models.CharField(max_length=150, blank=True)  # a client through a link
    body = models.TextField()
    mentions = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"comment {self.pk} on {self.post_id}"
