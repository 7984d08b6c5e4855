"""The second factor for websockets: django_otp's middleware works on HTTP requests only, so a socket's user gets
`otp_device` and `is_verified()` here, from the same session key, and consumers check it as views do."""

import functools

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import is_verified
from django_otp.models import Device


class OTPMiddleware(BaseMiddleware):
    """Goes inside channels' AuthMiddlewareStack, which has already put the session and the user in the scope."""

    async def __call__(self, scope, receive, send):
        await database_sync_to_async(_verify_user)(scope)
        return await super().__call__(scope, receive, send)


def _verify_user(scope) -> None:
    user = scope["user"]
    user.otp_device = None
    user.is_verified = functools.partial(is_verified, user)
    if not user.is_authenticated:
        return
    persistent_id = scope["session"].get(DEVICE_ID_SESSION_KEY)
    device = Device.from_persistent_id(persistent_id) if persistent_id else None
    # The same binding django_otp enforces: a device of this user, and a confirmed one.
    if device is not None and device.user_id == user.pk and device.confirmed:
        user.otp_device = device
