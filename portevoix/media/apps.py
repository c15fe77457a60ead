from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediaConfig(AppConfig):
    name = "portevoix.media"
    label = "media"
    verbose_name = _("Media library")

    def ready(self) -> None:
        from PIL import Image

        from portevoix.media import conf

        # Pillow refuses to open images above twice this many pixels (DecompressionBombError) and warns
        # above it; the upload service checks width x height against the same limit before decoding.
        Image.MAX_IMAGE_PIXELS = conf.limits().image_pixels
