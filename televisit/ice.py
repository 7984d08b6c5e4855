"""The ICE servers a televisit's browsers use (TV-5): STUN as configured, and TURN with short-lived credentials by
coturn's shared-secret scheme (`use-auth-secret`): the username is "<expiry unix time>:<televisit id>", the password
base64(HMAC-SHA1(secret, username)), so coturn checks them without asking the product and they expire by themselves."""

import base64
import hashlib
import hmac
import time

from django.conf import settings


def turn_credentials(*, televisit_id: int, now: float | None = None) -> tuple[str, str]:
    expiry = int(now if now is not None else time.time()) + settings.TELEVISIT_TURN_TTL
    username = f"{expiry}:{televisit_id}"
    digest = hmac.new(settings.TELEVISIT_TURN_SECRET.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode("ascii")


def ice_servers(*, televisit_id: int, now: float | None = None) -> list[dict]:
    """RTCPeerConnection's iceServers; empty on loopback, where host candidates suffice."""
    servers = []
    if settings.TELEVISIT_STUN_URLS:
        servers.append({"urls": list(settings.TELEVISIT_STUN_URLS)})
    if settings.TELEVISIT_TURN_URLS and settings.TELEVISIT_TURN_SECRET:
        username, credential = turn_credentials(televisit_id=televisit_id, now=now)
        servers.append({"urls": list(settings.TELEVISIT_TURN_URLS), "username": username, "credential": credential})
    return servers
