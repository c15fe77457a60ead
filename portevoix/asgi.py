"""ASGI entry point served by ``portevoix web`` (uvicorn).

The short-link redirect (``/l/<code>``) is answered by a small ASGI handler in front of Django, which also
handles the lifespan protocol (it flushes buffered clicks on shutdown): portevoix/links/fastpath.py.
The site tracker (``/t/pv.js``, ``/t/e``) is answered by another one outside it, which hooks the lifespan
messages on their way in to flush its buffered events too: portevoix/analytics/fastpath.py.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portevoix.settings")
django_application = get_asgi_application()

from portevoix.analytics.fastpath import tracker_wrap  # noqa: E402  (the site tracker, /t/...)
from portevoix.links.fastpath import wrap  # noqa: E402  (after Django is set up)

application = tracker_wrap(wrap(django_application))
