"""The one error hierarchy of the sandbox API, rendered as RFC 9457 problem details with a Polish `detail`."""

from django.http import JsonResponse


class Problem(Exception):
    status = 400
    code = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, *, errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers = headers or {}

    def members(self) -> dict:
        """The extension members of this problem type (RFC 9457 §3.2)."""
        return {}

    def response(self, *, instance: str) -> JsonResponse:
        body = {
            "type": f"urn:osoz:problem:{self.code}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
            "instance": instance,
        }
        if self.errors:
            body["errors"] = self.errors
        body.update(self.members())
        response = JsonResponse(body, status=self.status, content_type="application/problem+json")
        for name, value in self.headers.items():
            response[name] = value
        return response


class BadRequest(Problem):
    pass


class IdempotencyKeyMissing(Problem):
    code = "idempotency-key-missing"
    title = "Idempotency-Key header required"


class InvalidGrant(Problem):
    code = "invalid-grant"
    title = "Invalid grant"


class Unauthorized(Problem):
    status = 401
    code = "unauthorized"
    title = "Unauthorized"

    def __init__(self, detail: str):
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="OSOZ"'})


class InvalidClient(Problem):
    status = 401
    code = "invalid-client"
    title = "Invalid client credentials"

    def __init__(self, detail: str):
        super().__init__(detail, headers={"WWW-Authenticate": 'Basic realm="OSOZ"'})


class NotFound(Problem):
    status = 404
    code = "not-found"
    title = "Not found"


class MethodNotAllowed(Problem):
    status = 405
    code = "method-not-allowed"
    title = "Method not allowed"

    def __init__(self, allowed: list[str]):
        super().__init__("Ta metoda HTTP nie jest obsługiwana pod tym adresem.", headers={"Allow": ", ".join(allowed)})


class IdempotencyKeyInUse(Problem):
    status = 409
    code = "idempotency-key-in-use"
    title = "Idempotency-Key in use"


class BookingStateConflict(Problem):
    """Carries the booking as the platform holds it (the contract's Booking document), so that the clinic can tell a
    command it no longer needs from a real conflict."""

    status = 409
    code = "booking-state-conflict"
    title = "Booking state forbids the change"

    def __init__(self, detail: str, *, booking: dict):
        super().__init__(detail)
        self.booking = booking

    def members(self) -> dict:
        return {"booking": self.booking}


class ReferralExists(Problem):
    """Contract 1.4.0: the booking already has the clinic's referral under another id, or the id is taken."""

    status = 409
    code = "referral-exists"
    title = "Referral exists"


class UnsupportedMediaType(Problem):
    status = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class ValidationFailed(Problem):
    status = 422
    code = "validation-error"
    title = "Validation failed"


class IdempotencyKeyReused(Problem):
    status = 422
    code = "idempotency-key-reused"
    title = "Idempotency-Key reused with a different request"


class TelevisitInactive(Problem):
    """Contract 1.5.0: access to the televisit service asked for while the service is not active (Telewizyta >
    Informacje)."""

    status = 422
    code = "televisit-inactive"
    title = "Televisit service not active"


class ProviderPasswordInvalid(Problem):
    """Contract 1.5.0: the Provider Service password given for televisit access is not the entity's."""

    status = 422
    code = "provider-password-invalid"
    title = "Provider Service password invalid"


class RateLimited(Problem):
    status = 429
    code = "rate-limited"
    title = "Too many requests"


def field_error(field: str, detail: str) -> ValidationFailed:
    return ValidationFailed(
        "Dane są nieprawidłowe; niczego nie zmieniono.", errors=[{"field": field, "detail": detail}]
    )
