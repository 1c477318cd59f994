"""Google-shaped errors: the Calendar API JSON envelope and OAuth 2.0 token-endpoint errors."""

from __future__ import annotations

from typing import Any

# HTTP code -> google.rpc status name used by Google's JSON error envelope.
_STATUS_NAMES: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "ALREADY_EXISTS",
    410: "GONE",
    412: "FAILED_PRECONDITION",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class GoogleError(Exception):
    """An error rendered as ``{"error": {"code", "message", "errors": [...], "status"}}``."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        *,
        domain: str = "global",
        status: str | None = None,
        location: str | None = None,
        location_type: str | None = None,
        headers: dict[str, str] | None = None,
        top_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.domain = domain
        self.status = status or _STATUS_NAMES.get(code, "UNKNOWN")
        self.location = location
        self.location_type = location_type
        self.headers = headers or {}
        self.top_message = top_message or message

    def body(self) -> dict[str, Any]:
        item: dict[str, Any] = {"domain": self.domain, "reason": self.reason, "message": self.message}
        if self.location:
            item["location"] = self.location
            item["locationType"] = self.location_type or "parameter"
        return {
            "error": {
                "code": self.code,
                "message": self.top_message,
                "errors": [item],
                "status": self.status,
            }
        }


def bad_request(message: str, reason: str = "invalid", **kwargs: Any) -> GoogleError:
    return GoogleError(400, reason, message, **kwargs)


def not_found() -> GoogleError:
    return GoogleError(404, "notFound", "Not Found")


def deleted() -> GoogleError:
    return GoogleError(410, "deleted", "Resource has been deleted")


def duplicate() -> GoogleError:
    return GoogleError(409, "duplicate", "The requested identifier already exists.")


def precondition_failed() -> GoogleError:
    return GoogleError(412, "conditionNotMet", "Precondition Failed", location="If-Match", location_type="header")


def time_range_empty() -> GoogleError:
    return GoogleError(400, "timeRangeEmpty", "The specified time range is empty.", domain="calendar")


def full_sync_required() -> GoogleError:
    return GoogleError(
        410,
        "fullSyncRequired",
        "Sync token is no longer valid, a full sync is required.",
        domain="calendar",
        location="syncToken",
    )


AUTH_HELP = (
    "Expected OAuth 2 access token, login cookie or other valid authentication credential. "
    "See https://developers.google.com/identity/sign-in/web/devconsole-project."
)


def auth_required() -> GoogleError:
    return GoogleError(
        401,
        "required",
        "Login Required.",
        location="Authorization",
        location_type="header",
        top_message=f"Request is missing required authentication credential. {AUTH_HELP}",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
    )


def auth_invalid() -> GoogleError:
    return GoogleError(
        401,
        "authError",
        "Invalid Credentials",
        location="Authorization",
        location_type="header",
        top_message=f"Request had invalid authentication credentials. {AUTH_HELP}",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="invalid_token"'},
    )


def insufficient_scopes() -> GoogleError:
    return GoogleError(
        403,
        "insufficientPermissions",
        "Insufficient Permission",
        top_message="Request had insufficient authentication scopes.",
        headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/", error="insufficient_scope"'},
    )


class OAuthError(Exception):
    """An OAuth 2.0 error as Google's token/revoke endpoints return it."""

    def __init__(self, error: str, description: str, status_code: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status_code = status_code

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}
