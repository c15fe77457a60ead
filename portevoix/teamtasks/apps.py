from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TeamTasksConfig(AppConfig):
    name = "portevoix.teamtasks"
    label = "teamtasks"
    verbose_name = _("Team tasks")
