"""ASGI entry point of the OSOZ sandbox: `uvicorn osoz_sandbox.asgi:application --port 8001`."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osoz_sandbox.settings")

application = get_asgi_application()
