from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LinksConfig(AppConfig):
    name = "portevoix.links"
    label = "links"
    verbose_name = _("Tracked links")

    def ready(self) -> None:
        # Posts of workspaces that ask for it leave with their links shortened and tagged.
        from portevoix.links.services import published_text
        from portevoix.publishing.outgoing import register_text_transform

        register_text_transform(published_text)
