"""Domain errors raised by services; views and the API turn them into responses."""


class DomainError(Exception):
    """A rule was broken. ``code`` is stable for API clients; ``message`` is for people."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, details: dict | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if code:
            self.code = code


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooLarge(DomainError):
    status = 413
    code = "too_large"


class Unavailable(DomainError):
    status = 503
    code = "unavailable"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, details: dict | None = None, code: str | None = None,
                 retry_after: int | None = None):
        super().__init__(message, details, code)
        #: Seconds to wait before trying again, sent as ``Retry-After`` when known.
        self.retry_after = retry_after


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
