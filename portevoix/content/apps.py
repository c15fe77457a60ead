from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContentConfig(AppConfig):
    name = "portevoix.content"
    label = "content"
    verbose_name = _("Content")

    def ready(self) -> None:
        # The publishing engine checks a post with every registered validator before it schedules or
        # publishes it: ours measures it against each channel's rules.
        from portevoix.content.validation.posts import post_check
        from portevoix.publishing.validation import register_post_validator

        register_post_validator(post_check)
