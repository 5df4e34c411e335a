"""Domain errors: each carries the status and code of the one error shape the faces emit."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None, fields: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class Invalid(DomainError):
    """The request is well-formed but its content cannot be accepted."""
    status = 422
    code = "invalid"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    """Visible to the user but not theirs to change."""
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    """Absent, or not the user's to see: the two must look the same."""
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class Unavailable(DomainError):
    """A service we depend on (WeChat) failed; the client may retry."""
    status = 503
    code = "upstream_unavailable"
