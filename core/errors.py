"""The domain error hierarchy. Services raise these with a Polish message for the user; views turn them into form
errors, the API into one error shape (core.api_errors)."""


class DomainError(Exception):
    """A rule refused the operation; nothing was changed."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None):
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
