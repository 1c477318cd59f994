"""Microsoft-shaped errors: Graph's JSON error envelope and the identity platform's AADSTS token errors."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any


def _now() -> datetime:
    return datetime.now(UTC)


def graph_error_body(code: str, message: str, client_request_id: str | None = None) -> dict[str, Any]:
    """``{"error": {"code", "message", "innerError": {"date", "request-id", "client-request-id"}}}``."""
    request_id = str(uuid.uuid4())
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": _now().strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": request_id,
                "client-request-id": client_request_id or request_id,
            },
        }
    }


class GraphError(Exception):
    """An error Microsoft Graph would answer with."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self, client_request_id: str | None = None) -> dict[str, Any]:
        return graph_error_body(self.code, self.message, client_request_id)


def bad_request(message: str, code: str = "ErrorInvalidRequest") -> GraphError:
    return GraphError(400, code, message)


def body_read(message: str) -> GraphError:
    """How Graph's OData reader rejects a body (unknown property, wrong type, bad enum value)."""
    return GraphError(400, "RequestBodyRead", message)


def item_not_found() -> GraphError:
    return GraphError(404, "ErrorItemNotFound", "The specified object was not found in the store.")


def resource_not_found(segment: str) -> GraphError:
    return GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")


def change_key_mismatch() -> GraphError:
    return GraphError(
        412,
        "ErrorIrresolvableConflict",
        "The send or update operation could not be performed because the change key passed in the request "
        "does not match the current change key for the item.",
    )


def sync_state_not_found() -> GraphError:
    return GraphError(
        410,
        "syncStateNotFound",
        "The sync state generation is not found or has expired; a full synchronization (resync) is required.",
    )


def unauthenticated(message: str = "Access token is empty.") -> GraphError:
    return GraphError(
        401,
        "InvalidAuthenticationToken",
        message,
        headers={"WWW-Authenticate": 'Bearer realm="", authorization_uri="/common/oauth2/authorize"'},
    )


def access_denied() -> GraphError:
    return GraphError(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")


def time_zone_not_supported(name: str) -> GraphError:
    return GraphError(
        400,
        "TimeZoneNotSupportedException",
        f"A valid TimeZone value must be specified. The following TimeZone value is not supported: '{name}'.",
    )


# ---- identity platform ----------------------------------------------------------------------------------

AADSTS: dict[int, tuple[str, str]] = {
    50011: ("invalid_request", "The redirect URI '{0}' specified in the request does not match the redirect URIs "
            "configured for the application '{1}'."),
    50148: ("invalid_grant", "The code_verifier does not match the code_challenge supplied in the authorization "
            "request for PKCE."),
    501481: ("invalid_grant", "The Code_Verifier does not match the code_challenge supplied in the authorization "
             "request."),
    50173: ("invalid_grant", "The provided grant has expired due to it being revoked, a fresh auth token is needed. "
            "The user might have changed or reset their password."),
    54005: ("invalid_grant", "OAuth2 Authorization code was already redeemed, please retry with a new valid code "
            "or use an existing refresh token."),
    70000: ("invalid_grant", "The provided value for the 'refresh_token' is not valid: the token was already used "
            "or was superseded by a newer refresh token."),
    70008: ("invalid_grant", "The provided authorization code or refresh token has expired due to inactivity. "
            "Send a new interactive authorization request for this user and resource."),
    700082: ("invalid_grant", "The refresh token has expired due to inactivity. The token was issued on {0} and was "
             "inactive for 90.00:00:00."),
    9002313: ("invalid_request", "Invalid request. Request is malformed or invalid. - {0}"),
    900144: ("invalid_request", "The request body must contain the following parameter: '{0}'."),
    90002: ("invalid_tenant", "Tenant '{0}' not found. Check to make sure you have the correct tenant ID and are "
            "signing into the correct cloud."),
    50020: ("invalid_request", "User account '{0}' from identity provider does not exist in tenant '{1}' and cannot "
            "access the application in that tenant."),
    700016: ("unauthorized_client", "Application with identifier '{0}' was not found in the directory."),
    7000215: ("invalid_client", "Invalid client secret provided. Ensure the secret being sent in the request is the "
              "client secret value, not the client secret ID."),
    7000218: ("invalid_client", "The request body must contain the following parameter: 'client_assertion' or "
              "'client_secret'."),
    70011: ("invalid_scope", "The provided request must include a 'scope' input parameter. The provided value for "
            "the input parameter 'scope' is not valid: {0}."),
    65001: ("invalid_grant", "The user or administrator has not consented to use the application with ID '{0}'."),
    65004: ("access_denied", "User declined to consent to access the app."),
    700005: ("invalid_grant", "Provided Authorization Code is intended to use against other tenant, thus rejected."),
    70002: ("invalid_client", "The client does not exist or is not enabled for consumers."),
    50126: ("invalid_grant", "Error validating credentials due to invalid username or password."),
    9002331: ("invalid_request", "Application '{0}' is configured for use by Microsoft Account users only."),
    50146: ("invalid_request", "This application is required to be configured with an application-specific "
            "signing key."),
    500112: ("invalid_request", "The reply address '{0}' does not match the reply address '{1}' provided when "
             "requesting Authorization code."),
    9002325: ("invalid_request", "Proof Key for Code Exchange is required for cross-origin authorization code "
              "redemption; send code_challenge with code_challenge_method=S256."),
    70003: ("unsupported_grant_type", "The app requested an unsupported grant type '{0}'."),
    5000: ("temporarily_unavailable", "The service is temporarily unavailable. Please retry."),
    90099: ("server_error", "An internal error occurred. Please retry."),
}  # fmt: skip


class AadError(Exception):
    """A token-endpoint error: ``{"error", "error_description": "AADSTSnnnn: ...", "error_codes": [n], ...}``."""

    def __init__(self, number: int, *args: str, status: int = 400) -> None:
        error, template = AADSTS[number]
        self.error = error
        self.number = number
        self.description = f"AADSTS{number}: " + template.format(*args)
        self.status = status
        super().__init__(self.description)

    def body(self) -> dict[str, Any]:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        now = _now()
        return {
            "error": self.error,
            "error_description": f"{self.description} Trace ID: {trace} Correlation ID: {correlation} "
            f"Timestamp: {now.strftime('%Y-%m-%d %H:%M:%SZ')}",
            "error_codes": [self.number],
            "timestamp": now.strftime("%Y-%m-%d %H:%M:%SZ"),
            "trace_id": trace,
            "correlation_id": correlation,
            "error_uri": f"https://login.microsoftonline.com/error?code={self.number}",
        }
