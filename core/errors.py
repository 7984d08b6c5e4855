"""The domain error hierarchy. Services raise these with a Polish message for the user. Each kind carries its HTTP
status, the one mapping the HTML views (a refused action answers with it, htmx shows the panel) and the API (one error
shape, core.api_errors) both use: a rule that refuses is 422, a lost race or a collision 409."""

from django.utils.functional import Promise


class DomainError(Exception):
    """A rule refused the operation; nothing was changed."""

    status_code = 422
    code = "invalid"

    def __init__(self, message: str | Promise, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code


class ConflictError(DomainError):
    """The operation lost a race or collides with existing data (e.g. the slot was taken meanwhile)."""

    status_code = 409
    code = "conflict"


class NotFoundError(DomainError):
    status_code = 404
    code = "not_found"
