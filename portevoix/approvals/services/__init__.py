"""Writes for approvals: the policy and its steps, submitting a post, each step's decision (by a member or
by the client through a signed link), comments with mentions, and reminders.

Every function that a person calls takes the acting member as ``by``, checks the role, scopes to the
member's workspace, validates, then writes in one transaction and audits. Targets move only through
publishing's services (``targets_hold_for_approval``, ``targets_release_approved``). E-mails and notices
go out after the transaction commits.
"""

from portevoix.approvals.services._common import (
    MAX_CLIENT_NAME,
    MAX_COMMENT,
    MAX_LINK_DAYS,
    MAX_NAME,
    MAX_NOTE,
    MAX_REMIND_HOURS,
    MAX_STEPS,
    TOKEN_BYTES,
)
from portevoix.approvals.services.comments import (
    MENTION,
    client_comment_add,
    comment_add,
    mentioned_users,
)
from portevoix.approvals.services.flow import (
    _issue_link,
    client_decide,
    decision_approve,
    decision_request_changes,
    post_content_changed,
    post_submit,
    post_title,
    reminders_send,
    review_url,
)
from portevoix.approvals.services.policy import StepIn, policy_set, step_add, step_delete, step_move

__all__ = [
    "MAX_CLIENT_NAME",
    "MAX_COMMENT",
    "MAX_LINK_DAYS",
    "MAX_NAME",
    "MAX_NOTE",
    "MAX_REMIND_HOURS",
    "MAX_STEPS",
    "MENTION",
    "TOKEN_BYTES",
    "StepIn",
    "_issue_link",
    "client_comment_add",
    "client_decide",
    "comment_add",
    "decision_approve",
    "decision_request_changes",
    "mentioned_users",
    "policy_set",
    "post_content_changed",
    "post_submit",
    "post_title",
    "reminders_send",
    "review_url",
    "step_add",
    "step_delete",
    "step_move",
]
