"""ASGI entry point: HTTP through Django; websockets (the live calendar, CAL-8) through Channels, for users who passed
both factors, from this site's own pages only."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

django_asgi_app = get_asgi_application()

# These need the app registry loaded.
from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from accounts.websocket import OTPMiddleware  # noqa: E402
from scheduling.routing import websocket_urlpatterns as scheduling_websockets  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(OTPMiddleware(URLRouter([*scheduling_websockets])))
        ),
    }
)
