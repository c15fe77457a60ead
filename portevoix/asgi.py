"""ASGI entry point served by ``portevoix web`` (uvicorn)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portevoix.settings")
application = get_asgi_application()
