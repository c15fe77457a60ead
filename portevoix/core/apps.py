from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "portevoix.core"
    label = "core"
    verbose_name = "Portevoix core"
