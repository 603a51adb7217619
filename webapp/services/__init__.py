"""Behaviour shared by views and jobs. No request, g or HTMX here; callers commit."""


class ServiceError(Exception):
    """A refusal the caller should show as a 4xx with this message."""

    status = 400
    code = "invalid"

    def __init__(self, message, fields=None, status=None, code=None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if status:
            self.status = status
        if code:
            self.code = code


class NotFound(ServiceError):
    status = 404
    code = "not_found"

    def __init__(self, message="Not found."):
        super().__init__(message)


class Conflict(ServiceError):
    status = 409
    code = "conflict"
