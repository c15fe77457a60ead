from django.contrib import admin

from portevoix.links.models import LinkSettings, ShortLink


@admin.register(ShortLink)
class ShortLinkAdmin(admin.ModelAdmin):
    list_display = ("code", "workspace", "target_url", "disabled", "created_at")
    list_filter = ("disabled",)
    search_fields = ("code", "target_url")
    readonly_fields = ("code", "final_url", "created_at")
    raw_id_fields = ("workspace", "post", "channel", "created_by")


@admin.register(LinkSettings)
class LinkSettingsAdmin(admin.ModelAdmin):
    list_display = ("workspace", "custom_domain", "override")
    raw_id_fields = ("workspace",)
