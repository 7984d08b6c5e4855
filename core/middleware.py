"""Middleware of every request: who the client is behind the clinic's reverse proxy, the chosen language, and that
what staff and patients see is never kept in a cache, and (for benchmarks) the server's own time."""

import time
from contextlib import suppress
from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation
from django.utils.cache import patch_cache_control

FORWARDED_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_HOST", "HTTP_X_REAL_IP")


def _trusted(address: str) -> bool:
    try:
        return any(ip_address(address) in network for network in settings.TRUSTED_PROXIES)
    except ValueError:
        return False


def client_address(request: HttpRequest) -> str | None:
    """The client's address as `TrustedProxyMiddleware` settled it: the one place the lockout (axes) and the audit
    read it from."""
    return request.META.get("REMOTE_ADDR") or None


class TrustedProxyMiddleware:
    """Forwarded headers count only when the connection comes from a configured proxy (TRUSTED_PROXIES); from
    anyone else they are dropped, so a forged X-Forwarded-For neither resets the login lockout nor lands in the audit.
    Behind a trusted proxy the client is the nearest address in X-Forwarded-For that is not itself a trusted proxy.
    The ASGI server runs with its own proxy-header handling off (--no-proxy-headers), so this is the only place."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if _trusted(meta.get("REMOTE_ADDR", "")):
            hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
            while hops and _trusted(hops[-1]):
                hops.pop()
            # A proxy that forwards garbage leaves its own address.
            with suppress(ValueError):
                meta["REMOTE_ADDR"] = str(ip_address(hops[-1])) if hops else meta["REMOTE_ADDR"]
        else:
            for header in FORWARDED_HEADERS:
                meta.pop(header, None)
        return self.get_response(request)


class ChosenLanguageMiddleware:
    """Polish unless the user picked another language with the switch: the browser's Accept-Language is ignored,
    because a clinic's staff share computers set up in any language and the manual's labels are Polish."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        request.LANGUAGE_CODE = language
        # Only for this request: a language left active would leak into whatever the thread runs next.
        with translation.override(language):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class NoStoreMiddleware:
    """Every answer to a logged-in user and every API answer carries `Cache-Control: no-store`: they hold patients'
    records, lists, calendars and exports, which neither a shared computer's browser (its disk cache, the back button
    after logging out) nor a proxy may keep. Static files never get here (WhiteNoise answers them earlier), so they
    keep their long caching."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The patient portal's pages (those with a portal session, portal.sessions) hold his visits and chat.
        portal = hasattr(request, "portal_session")
        if request.path_info.startswith("/api/") or request.user.is_authenticated or portal:
            patch_cache_control(response, no_store=True)
        return response


class ServerTimingMiddleware:
    """With SERVER_TIMING on, each answer says how long the server worked on it (`Server-Timing: app;dur=<ms>`),
    apart from the time the request waited for a free worker: what `make bench` reports as server time under load.
    Off by default, since it tells any client how long each page took."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.1f}"
        return response
