"""Admin: read-only views of integrations (never their credentials) and of the imported traffic."""

from __future__ import annotations

from django.contrib import admin

from portevoix.integrations.models import AnalyticsIntegration, TrafficDaily


@admin.register(AnalyticsIntegration)
class AnalyticsIntegrationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "workspace", "status", "active", "last_run_at")
    list_filter = ("kind", "status", "active")
    fields = (
        "workspace",
        "kind",
        "name",
        "config",
        "account_label",
        "active",
        "status",
        "last_run_at",
        "last_success_at",
        "last_error",
        "next_run_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(TrafficDaily)
class TrafficDailyAdmin(admin.ModelAdmin):
    list_display = ("day", "integration", "source", "medium", "campaign", "sessions")
    list_filter = ("integration__kind",)
    raw_id_fields = ("workspace", "integration")
