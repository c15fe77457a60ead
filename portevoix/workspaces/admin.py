"""Admin views for support work. Secrets (token and invitation digests) are never shown, and the audit log
is read-only: nothing in the application can edit or delete it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from portevoix.workspaces.models import ApiToken, AuditEvent, Invitation, Membership, Workspace


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "language", "require_2fa", "created_at"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "workspace", "role", "status", "expires_at", "created_at"]
    list_filter = ["role"]
    search_fields = ["email", "workspace__name"]
    exclude = ["token_hash"]
    readonly_fields = ["workspace", "email", "role", "invited_by", "expires_at", "accepted_at", "accepted_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # an invitation's link exists only in the e-mail sent by the app


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "user", "workspace", "last_used_at", "expires_at", "revoked_at"]
    search_fields = ["name", "prefix", "user__email"]
    exclude = ["token_hash"]
    readonly_fields = ["user", "workspace", "name", "prefix", "last_used_at", "expires_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are created by their owner, who alone sees the secret


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "workspace", "actor_label", "action", "object_repr", "via", "ip_address"]
    list_filter = ["action", "via"]
    search_fields = ["actor_label", "action", "object_repr"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
