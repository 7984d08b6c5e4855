"""The API's rate limits (settings REST_FRAMEWORK, rates from API_RATE_STAFF and API_RATE_ANONYMOUS): per staff member
whatever session or address he uses, and per client address for requests without a login. DRF answers 429 with
Retry-After; core.api_errors words it."""

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from core.middleware import client_address


class StaffRateThrottle(UserRateThrottle):
    """Per logged-in user; requests without a login are AddressRateThrottle's."""

    scope = "staff"

    def get_cache_key(self, request, view):
        if not request.user.is_authenticated:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class AddressRateThrottle(AnonRateThrottle):
    """Per client address as core.middleware settled it: DRF's own reading believes any X-Forwarded-For, so a client
    could name a fresh address with every request."""

    scope = "address"

    def get_ident(self, request):
        return client_address(request) or ""
