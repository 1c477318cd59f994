"""Google OAuth 2.0 (authorization code + PKCE S256 + state) with authlib's httpx client.

The flow: `start_authorization` gives the consent URL plus the `state` and `code_verifier` to keep
in the person's session; the callback is checked with `verify_callback`; `exchange_code` turns the
code into `Credentials` (account email in ``extra["email"]``); `refresh` renews the access token;
`revoke` ends the grant. `OAuthTokenSource` adapts stored credentials to the adapters'
`TokenSource`. Errors are the providers' own: NeedsReconnect (grant gone), RetryableError (network,
5xx, 429) and RequestRejected (anything else). Tokens are never logged.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.deprecate import AuthlibDeprecationWarning  # installs authlib's "always" filter first

with warnings.catch_warnings():
    # authlib 1.9 prefers the "httpx2" distribution and warns when it falls back to httpx, which we use on purpose.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated", category=AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

from calendars.providers.base import Credentials, NeedsReconnect, ProviderError, RequestRejected, RetryableError
from calendars.retry import parse_retry_after

log = logging.getLogger(__name__)

GOOGLE_SCOPES = ("https://www.googleapis.com/auth/calendar", "openid", "email")


class AuthorizationFailed(RequestRejected):
    """The authorization step failed: the person declined, the state did not match, or the code was refused."""

    def __init__(self, message: str, error: str = "") -> None:
        super().__init__(message)
        self.error = error


@dataclass(frozen=True)
class GoogleOAuthConfig:
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    revoke_url: str
    userinfo_url: str | None
    redirect_uri: str
    scopes: tuple[str, ...] = GOOGLE_SCOPES

    @classmethod
    def google(cls, client_id: str, client_secret: str, redirect_uri: str, **overrides: Any) -> GoogleOAuthConfig:
        """Google's production endpoints."""
        values: dict[str, Any] = {
            "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
            "token_url": "https://oauth2.googleapis.com/token",
            "revoke_url": "https://oauth2.googleapis.com/revoke",
            "userinfo_url": "https://openidconnect.googleapis.com/v1/userinfo",
            **overrides,
        }
        return cls(client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri, **values)

    @classmethod
    def from_base_url(
        cls, base_url: str, client_id: str, client_secret: str, redirect_uri: str, **overrides: Any
    ) -> GoogleOAuthConfig:
        """Every endpoint on one server laid out like Google's (the sandbox: ``{base}/o/oauth2/v2/auth`` ...)."""
        base = base_url.rstrip("/")
        values: dict[str, Any] = {
            "authorize_url": f"{base}/o/oauth2/v2/auth",
            "token_url": f"{base}/token",
            "revoke_url": f"{base}/revoke",
            "userinfo_url": f"{base}/oauth2/v3/userinfo",
            **overrides,
        }
        return cls(client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri, **values)


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the person, and what to keep in their session until the callback."""

    url: str
    state: str
    code_verifier: str


def oauth_client(config: GoogleOAuthConfig, **httpx_options: Any) -> AsyncOAuth2Client:
    """An authlib client for `config` (an httpx.AsyncClient too); pass it to the functions below to reuse it."""
    options: dict[str, Any] = {"timeout": 20.0, **httpx_options}
    return AsyncOAuth2Client(
        client_id=config.client_id,
        client_secret=config.client_secret,
        token_endpoint_auth_method="client_secret_post",  # noqa: S106 - a method name, not a secret
        redirect_uri=config.redirect_uri,
        code_challenge_method="S256",
        **options,
    )


@asynccontextmanager
async def _session(config: GoogleOAuthConfig, client: AsyncOAuth2Client | None) -> AsyncIterator[AsyncOAuth2Client]:
    if client is not None:
        yield client
        return
    async with oauth_client(config) as own:
        yield own


def start_authorization(config: GoogleOAuthConfig, *, login_hint: str | None = None) -> AuthorizationRequest:
    """The consent URL (offline access, consent prompt, incremental scopes) with a fresh state and PKCE verifier."""
    code_verifier = generate_token(64)  # 43..128 characters of [A-Za-z0-9]
    state = generate_token(32)
    extra = {"login_hint": login_hint} if login_hint else {}
    client = oauth_client(config)  # only builds the URL; never opened, so nothing to close
    url, state = client.create_authorization_url(
        config.authorize_url,
        state=state,
        code_verifier=code_verifier,
        scope=" ".join(config.scopes),
        access_type="offline",
        prompt="consent",
        include_granted_scopes="true",
        **extra,
    )
    return AuthorizationRequest(url=url, state=state, code_verifier=code_verifier)


def verify_callback(request: AuthorizationRequest | str, callback: str | Mapping[str, str]) -> str:
    """The code from the redirect back to us, after checking its state; AuthorizationFailed otherwise.

    `request` is the pending AuthorizationRequest (or just its state); `callback` is the full
    callback URL or its query parameters.
    """
    expected = request.state if isinstance(request, AuthorizationRequest) else request
    params = dict(parse_qsl(urlsplit(callback).query)) if isinstance(callback, str) else dict(callback)
    if params.get("state") != expected:
        raise AuthorizationFailed("OAuth state does not match this sign-in", "state_mismatch")
    if params.get("error"):
        raise AuthorizationFailed(f"Google refused the authorization: {params['error']}", params["error"])
    code = params.get("code")
    if not code:
        raise AuthorizationFailed("OAuth callback without a code", "invalid_request")
    return code


async def exchange_code(
    config: GoogleOAuthConfig, code: str, code_verifier: str, client: AsyncOAuth2Client | None = None
) -> Credentials:
    """Trade the authorization code (with its PKCE verifier) for credentials, with the account's email."""
    async with _session(config, client) as session:
        with _token_errors("code exchange", refused=AuthorizationFailed):
            token = await session.fetch_token(
                config.token_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                redirect_uri=config.redirect_uri,
            )
        credentials = _credentials(token)
        email = await _email(config, session, token)
    if email:
        credentials.extra["email"] = email
    return credentials


async def refresh(
    config: GoogleOAuthConfig, refresh_token: str, client: AsyncOAuth2Client | None = None
) -> Credentials:
    """A new access token; NeedsReconnect when the grant was revoked or expired (invalid_grant)."""
    async with _session(config, client) as session:
        with _token_errors("token refresh", refused=NeedsReconnect):
            token = await session.refresh_token(config.token_url, refresh_token=refresh_token)
    credentials = _credentials(token)
    credentials.refresh_token = credentials.refresh_token or refresh_token
    return credentials


async def revoke(config: GoogleOAuthConfig, token: str, client: AsyncOAuth2Client | None = None) -> bool:
    """Revoke the grant behind `token` (refresh or access token). Best effort: False when it did not work."""
    try:
        async with _session(config, client) as session:
            response = await session.request("POST", config.revoke_url, data={"token": token}, withhold_token=True)
    except httpx.HTTPError as exc:
        log.warning("google revoke failed: %s", type(exc).__name__)
        return False
    if response.is_success:
        return True
    log.info("google revoke answered %s", response.status_code)
    return False


class OAuthTokenSource:
    """A `TokenSource` over stored credentials: refreshes when expired or refused, one refresh at a time.

    `on_refresh` is awaited with the new credentials (persist them, e.g. in the token vault).
    """

    def __init__(
        self,
        config: GoogleOAuthConfig,
        credentials: Credentials,
        *,
        client: AsyncOAuth2Client | None = None,
        on_refresh: Callable[[Credentials], Awaitable[None]] | None = None,
        leeway: timedelta = timedelta(seconds=60),
    ) -> None:
        self.config = config
        self.credentials = credentials
        self.client = client
        self.on_refresh = on_refresh
        self.leeway = leeway
        self.refreshes = 0
        self._lock = asyncio.Lock()

    async def access_token(self) -> str:
        expires_at = self.credentials.expires_at
        if expires_at is not None and expires_at - self.leeway <= datetime.now(UTC):
            return await self._refresh(self.credentials.access_token)
        return self.credentials.access_token

    async def refreshed_access_token(self) -> str:
        return await self._refresh(self.credentials.access_token)

    async def _refresh(self, stale: str) -> str:
        async with self._lock:
            if self.credentials.access_token != stale:  # another caller refreshed while we waited
                return self.credentials.access_token
            refresh_token = self.credentials.refresh_token
            if not refresh_token:
                raise NeedsReconnect("no refresh token: the account must be connected again")
            fresh = await refresh(self.config, refresh_token, self.client)
            fresh.extra = {**self.credentials.extra, **fresh.extra}
            self.credentials = fresh
            self.refreshes += 1
            if self.on_refresh is not None:
                await self.on_refresh(self.credentials)
            return self.credentials.access_token


# ---- internals -----------------------------------------------------------------------------------------


@contextmanager
def _token_errors(what: str, *, refused: type[ProviderError]) -> Iterator[None]:
    """Map authlib/httpx failures at the token endpoint to provider errors (`refused` for invalid_grant)."""
    try:
        yield
    except OAuthError as exc:
        error = str(exc.error or "")
        message = f"google {what}: {error} ({exc.description or 'no description'})"
        if error == "invalid_grant":
            if issubclass(refused, AuthorizationFailed):
                raise refused(message, error) from exc
            raise refused(message) from exc
        if error in ("temporarily_unavailable", "internal_failure", "server_error"):
            raise RetryableError(message) from exc
        raise RequestRejected(message) from exc
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        message = f"google {what}: HTTP {status}"
        if status >= 500 or status == 429:
            raise RetryableError(message, parse_retry_after(exc.response.headers.get("Retry-After"))) from exc
        raise RequestRejected(message) from exc
    except httpx.TransportError as exc:
        raise RetryableError(f"google {what}: {type(exc).__name__}") from exc
    except ValueError as exc:  # a 4xx body that is not a token response
        raise RequestRejected(f"google {what}: unreadable token endpoint response") from exc


def _credentials(token: Mapping[str, Any]) -> Credentials:
    expires_at: datetime | None = None
    if token.get("expires_at"):
        expires_at = datetime.fromtimestamp(int(token["expires_at"]), UTC)
    elif token.get("expires_in"):
        expires_at = datetime.now(UTC) + timedelta(seconds=int(token["expires_in"]))
    return Credentials(
        access_token=str(token["access_token"]),
        refresh_token=token.get("refresh_token"),
        expires_at=expires_at,
        scope=str(token.get("scope", "")),
    )


async def _email(config: GoogleOAuthConfig, session: AsyncOAuth2Client, token: Mapping[str, Any]) -> str | None:
    """The account's email: from userinfo when configured, else from the id_token the token endpoint sent."""
    if config.userinfo_url:
        try:
            response = await session.request(
                "GET",
                config.userinfo_url,
                headers={"Authorization": f"Bearer {token['access_token']}"},
                withhold_token=True,  # never the client's own token state: it may be shared
            )
        except httpx.HTTPError as exc:
            log.warning("google userinfo failed: %s", type(exc).__name__)
        else:
            if response.is_success:
                email = response.json().get("email")
                if email:
                    return str(email)
            else:
                log.warning("google userinfo answered %s", response.status_code)
    return _id_token_email(token.get("id_token"))


def _id_token_email(id_token: Any) -> str | None:
    """The email claim of an id_token received straight from the token endpoint over TLS.

    OpenID Connect Core 3.1.3.7 lets a client skip the signature check for an id_token it got
    directly from the token endpoint over TLS; we only read the email claim from it.
    """
    if not isinstance(id_token, str) or id_token.count(".") != 2:
        return None
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    email = claims.get("email") if isinstance(claims, dict) else None
    return str(email) if email else None
