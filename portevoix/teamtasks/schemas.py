"""Request and response bodies of /api/v1/tasks and /api/v1/notices."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator, StringConstraints

from portevoix.core.api import MAX_ID, InputSchema, Instant, ObjectId, Page, PageParams, no_nul
from portevoix.teamtasks.models import TaskKind
from portevoix.teamtasks.services import MAX_NOTICE_IDS, MAX_TITLE_LENGTH

Title = Annotated[str, StringConstraints(max_length=MAX_TITLE_LENGTH), AfterValidator(no_nul)]


class PersonOut(Schema):
    id: int = Field(description="The user's id (`user_id` in GET /api/v1/members).")
    email: str
    full_name: str


class TaskOut(Schema):
    id: int
    post_id: int
    kind: TaskKind
    kind_label: str
    title: str
    assignee: PersonOut | None
    due_at: datetime | None = Field(description="UTC.")
    done: bool
    done_at: datetime | None
    overdue: bool = Field(description="Open and past its due date.")
    created_at: datetime


class TaskPage(Page):
    items: list[TaskOut]


class TaskListParams(PageParams):
    mine: bool = Field(False, description="Only the caller's own tasks.")
    open: bool = Field(False, description="Only tasks not done yet.")
    overdue: bool = Field(False, description="Only open tasks past their due date.")
    post_id: ObjectId | None = Field(None, description="Only the tasks of this post.")
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only the tasks of this user.")


class TaskCreateIn(InputSchema):
    kind: TaskKind = TaskKind.OTHER
    title: Title = ""
    assignee_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="A member's user id; the role must see tasks (not a client)."
    )
    due_at: Instant | None = Field(
        None, description="ISO 8601; a value without an offset is read as UTC. Stored in UTC."
    )


class TaskUpdateIn(InputSchema):
    kind: TaskKind | None = None
    title: Title | None = None
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID, description="null unassigns.")
    due_at: Instant | None = Field(None, description="null clears the due date.")


class NoticeOut(Schema):
    id: int
    kind: str
    title: str = Field(description="Written in the person's language when it was sent.")
    url: str = Field(description="A path inside the app.")
    read: bool
    read_at: datetime | None
    created_at: datetime


class NoticePage(Page):
    items: list[NoticeOut]
    unread: int = Field(description="The caller's unread notices in this workspace.")


class NoticeListParams(PageParams):
    unread: bool = Field(False, description="Only unread notices.")


class NoticesReadIn(InputSchema):
    ids: list[ObjectId] | None = Field(
        None, max_length=MAX_NOTICE_IDS, description="Without ids, every unread notice is marked read."
    )


class NoticesReadOut(Schema):
    marked: int
