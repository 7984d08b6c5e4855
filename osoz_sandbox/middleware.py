"""A strict Content-Security-Policy for every sandbox page (widget views widen frame-ancestors themselves), and the
API's injected faults (SBX-8)."""

import time

from osoz_sandbox import faults
from osoz_sandbox.problems import Problem

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)
API_PREFIX = "/api/v1/"
# The contract document stays readable while the simulated platform is down.
UNAFFECTED_PATHS = ("/api/v1/openapi.yaml",)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response


class Unavailable(Problem):
    status = 503
    code = "unavailable"
    title = "Service unavailable"


class SimulatedServerError(Problem):
    # The contract's problem codes have no separate one for a server error; a retry is the right reaction to both.
    status = 500
    code = "unavailable"
    title = "Internal server error"


class FaultInjectionMiddleware:
    """For the contract's API: `down` answers 503 with Retry-After, `delay_ms` delays the answer and `error_rate` per
    cent of requests get 500 before the view runs, so nothing is changed by them. The settings row is read once per
    request. Under ASGI each request's synchronous part has its own thread, so a delay holds up only its request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(API_PREFIX) or request.path in UNAFFECTED_PATHS:
            return self.get_response(request)
        settings = faults.fault_settings()
        if settings.down:
            problem = Unavailable(
                "Platforma OSOZ jest chwilowo niedostępna (symulacja awarii). Spróbuj ponownie później.",
                headers={"Retry-After": str(faults.RETRY_AFTER_SECONDS)},
            )
            return problem.response(instance=request.path)
        if settings.delay_ms:
            time.sleep(settings.delay_ms / 1000)
        if faults.error_drawn(settings):
            problem = SimulatedServerError("Wewnętrzny błąd platformy OSOZ (symulacja awarii); niczego nie zmieniono.")
            return problem.response(instance=request.path)
        return self.get_response(request)
