"""Domain errors; the web layer turns them into problem+json responses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class InvalidInput(DomainError):
    status_code = 422
    title = "Invalid input"


class NotAuthenticated(DomainError):
    status_code = 401
    title = "Not authenticated"


class Forbidden(DomainError):
    status_code = 403
    title = "Forbidden"
