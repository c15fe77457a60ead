"""Request and response bodies of the approvals API: the policy, a post's approval, decisions, comments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.approvals.services import MAX_COMMENT, MAX_NAME, MAX_NOTE, MAX_STEPS
from portevoix.core.api import InputSchema, ObjectId, Page, no_nul

StepName = Annotated[str, StringConstraints(max_length=MAX_NAME), AfterValidator(no_nul)]
Note = Annotated[str, StringConstraints(max_length=MAX_NOTE), AfterValidator(no_nul)]
Body = Annotated[str, StringConstraints(max_length=MAX_COMMENT), AfterValidator(no_nul)]
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(no_nul)]
RoleKey = Annotated[str, StringConstraints(max_length=20), AfterValidator(no_nul)]
Mode = Literal["none", "optional", "required", "multi_step"]


class StepIn(InputSchema):
    name: StepName = Field("", description="Shown to the team; a default is derived from who approves.")
    role: RoleKey = Field(
        "",
        description="A role key (e.g. copywriter); empty with no user nor client: any owner or SMM manager.",
    )
    user_id: ObjectId | None = Field(None, description="One member approves this step.")
    by_client: bool = Field(False, description="The client approves through a signed link sent by e-mail.")
    client_email: Email = Field("", description="Where the client's link is sent (by_client only).")


class PolicyIn(InputSchema):
    mode: Mode
    remind_after_hours: int = Field(24, ge=0, le=24 * 30, description="0: no reminders.")
    client_link_days: int = Field(7, ge=1, le=90)
    steps: list[StepIn] | None = Field(
        None, max_length=MAX_STEPS, description="The steps in order; omitted: the current steps are kept."
    )


class StepOut(Schema):
    id: int
    position: int
    name: str
    role: str
    user_id: int | None
    by_client: bool
    client_email: str
    label: str = Field(description="Who approves, in words.")


class PolicyOut(Schema):
    mode: Mode
    remind_after_hours: int
    client_link_days: int
    steps: list[StepOut]


class NoteIn(InputSchema):
    note: Note = Field("", description="Required to request changes.")


class DecisionOut(Schema):
    id: int
    round: int
    position: int
    step_name: str
    role: str
    user_id: int | None
    by_client: bool
    client_email: str
    state: Literal["pending", "approved", "changes_requested"]
    decided_by_id: int | None
    decided_by_name: str
    decided_at: datetime | None
    note: str
    label: str


class ApprovalOut(Schema):
    post_id: int
    mode: Mode
    state: Literal["not_required", "draft", "pending", "changes_requested", "approved"]
    round: int = Field(description="The latest round (0: never submitted).")
    decisions: list[DecisionOut] = Field(description="The steps of the latest round, in order.")
    current_step: DecisionOut | None = Field(description="The step awaiting a decision.")


class CommentIn(InputSchema):
    body: Body = Field(
        description="@ and a member's e-mail address (or its part before the @) mentions them."
    )


class CommentOut(Schema):
    id: int
    post_id: int
    author_id: int | None
    author_name: str = Field(description="The member's name, or the name the client gave.")
    body: str
    mentions: list[int] = Field(description="Ids of the mentioned members (each got a notice).")
    created_at: datetime


class CommentPage(Page):
    items: list[CommentOut]


class PendingOut(Schema):
    post_id: int
    title: str
    scheduled_at: datetime | None
    step: DecisionOut


class PendingList(Schema):
    items: list[PendingOut]
