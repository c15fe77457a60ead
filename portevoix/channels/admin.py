"""Channels in the admin, for support work: read-only, and without credentials (the encrypted field is
never editable, and is left out here too)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from portevoix.channels.models import Channel


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "network", "workspace", "status", "last_checked_at", "token_expires_at"]
    list_filter = ["network", "status"]
    search_fields = ["name", "handle", "external_id", "workspace__name"]
    exclude = ["credentials"]
    readonly_fields = [
        "workspace",
        "network",
        "name",
        "external_id",
        "handle",
        "url",
        "base_url",
        "options",
        "status",
        "token_expires_at",
        "last_error",
        "last_checked_at",
        "followers",
        "created_by",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # channels are connected in the app, which checks the credentials with the network

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
