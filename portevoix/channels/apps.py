from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "portevoix.channels"
    label = "channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from portevoix.channels import oauth_adapters

        oauth_adapters.register_available()
