"""Read-only admin views of publishing for support work: the engine and the people's actions (through the
services) are the only writers, so nothing here can change a target's state behind the state machine."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from portevoix.publishing.models import Attempt, Notification, Target


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


ATTEMPT_FIELDS = (
    "number",
    "kind",
    "outcome",
    "fence",
    "worker",
    "started_at",
    "finished_at",
    "error_code",
    "message",
)


class AttemptInline(admin.TabularInline):
    model = Attempt
    extra = 0
    can_delete = False
    fields = ATTEMPT_FIELDS
    readonly_fields = ATTEMPT_FIELDS

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    list_display = ["pk", "post", "channel", "state", "due_at", "next_attempt_at", "attempt_count", "fence"]
    list_filter = ["state"]
    search_fields = ["remote_id", "post__title", "channel__name"]
    inlines = [AttemptInline]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["title", "workspace", "kind", "created_at", "read_at", "emailed_at"]
    list_filter = ["kind"]
