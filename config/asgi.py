"""ASGI entry point: HTTP through Django; websockets through Channels, from this site's own pages only: the live
calendar (CAL-8), for users who passed both factors, and a televisit's signalling (TV-5), whose consumer admits the
doctor by the same session and factors and the patient, who has no account, by the token of his link."""

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
from televisit.routing import websocket_urlpatterns as televisit_websockets  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # The stack only tells who the session's user is (AnonymousUser without one); each consumer decides whom it
        # admits, so the patient's socket passes it as well.
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(OTPMiddleware(URLRouter([*scheduling_websockets, *televisit_websockets])))
        ),
    }
)
