from django.contrib import admin

from portevoix.analytics.models import Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "workspace", "public_key", "created_at", "last_event_at")
    search_fields = ("name", "public_key")
    # The server-side key's hash is left out: it is of no use to a person.
    fields = ("workspace", "name", "public_key", "domains", "created_at", "last_event_at")
    readonly_fields = ("workspace", "public_key", "created_at", "last_event_at")
