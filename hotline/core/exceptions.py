"""Errors a person can cause. The UI and the API turn each into a clear message."""

from django.core.exceptions import PermissionDenied


class DomainError(Exception):
    """A business rule refused the request; nothing was changed."""

    code = "invalid"
    status = 400

    def __init__(self, message: str, *, code: str | None = None, details=None):
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.details = details


class NotAllowed(DomainError, PermissionDenied):
    """The user lacks the permission or data scope for an action."""

    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class InvalidData(DomainError):
    """Input failed validation; ``details`` maps field names to messages."""

    code = "validation_error"
    status = 422
