"""OAuth 2.0 (authorization code + PKCE S256 + state) with authlib's httpx client, for any provider.

The flow: `start_authorization` gives the consent URL plus the `state` and `code_verifier` to keep
until the callback; `verify_callback` checks a callback against them; `exchange_code` turns the code
into `Credentials` (account email in ``extra["email"]``) after checking that every required scope was
granted; `refresh` renews the access token; `revoke` ends the grant. `OAuthTokenSource` is the one
`TokenSource` the adapters use: it caches the access token, and refreshes under a lock after
re-reading the stored credentials, so that rotating refresh tokens survive concurrent refreshes.
Errors are the providers' own: NeedsReconnect (grant gone), RetryableError (network, 5xx, 429) and
RequestRejected (anything else). Tokens are never logged.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass, replace
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
from calendars.providers.retry import parse_retry_after

log = logging.getLogger(__name__)

GOOGLE_CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
GOOGLE_SCOPES = (GOOGLE_CALENDAR_SCOPE, "openid", "email")
# Offline access (a refresh token), the consent screen every time (so a refresh token is always sent),
# and incremental authorization.
GOOGLE_AUTHORIZE_PARAMS = (("access_type", "offline"), ("prompt", "consent"), ("include_granted_scopes", "true"))
# What the person sees next to each scope's checkbox on the provider's consent screen.
SCOPE_LABELS = {
    GOOGLE_CALENDAR_SCOPE: "See, edit, share, and permanently delete all the calendars you can access using "
    "Google Calendar",
}


class AuthorizationFailed(RequestRejected):
    """The authorization step failed: the person declined, the state did not match, or the code was refused."""

    def __init__(self, message: str, error: str = "") -> None:
        super().__init__(message)
        self.error = error


class ScopeNotGranted(AuthorizationFailed):
    """The person unticked a scope we need on the consent screen; the grant was revoked again."""

    def __init__(self, provider: str, missing: tuple[str, ...]) -> None:
        labels = "; ".join(f'"{SCOPE_LABELS.get(scope, scope)}"' for scope in missing)
        super().__init__(
            f"Rentcal needs access to your calendars; please tick {labels} on {provider.title()}'s consent "
            "screen and try again.",
            "insufficient_scope",
        )
        self.missing = missing


@dataclass(frozen=True)
class OAuthConfig:
    """One provider's OAuth client: endpoints, scopes, and the extra parameters its consent URL needs."""

    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    revoke_url: str | None
    userinfo_url: str | None
    redirect_uri: str
    scopes: tuple[str, ...] = GOOGLE_SCOPES
    extra_authorize_params: tuple[tuple[str, str], ...] = GOOGLE_AUTHORIZE_PARAMS
    required_scopes: tuple[str, ...] = (GOOGLE_CALENDAR_SCOPE,)
    provider: str = "google"

    @classmethod
    def from_base_url(
        cls, base_url: str, client_id: str, client_secret: str, redirect_uri: str, **overrides: Any
    ) -> OAuthConfig:
        """Google's client, every endpoint on one server laid out like Google's (the sandbox: ``{base}/token`` ...)."""
        base = base_url.rstrip("/")
        values: dict[str, Any] = {
            "authorize_url": f"{base}/o/oauth2/v2/auth",
            "token_url": f"{base}/token",
            "revoke_url": f"{base}/revoke",
            "userinfo_url": f"{base}/oauth2/v3/userinfo",
            **overrides,
        }
        return cls(client_id=client_id, client_secret=client_secret, redirect_uri=redirect_uri, **values)


GoogleOAuthConfig = OAuthConfig  # the defaults are Google's

# Microsoft identity platform v2: delegated Graph scopes, a refresh token (offline_access), the account's address
# from the id_token (openid email). Refresh tokens rotate; there is no revocation endpoint for a client.
MICROSOFT_CALENDAR_SCOPE = "Calendars.ReadWrite"
MICROSOFT_SCOPES = ("offline_access", MICROSOFT_CALENDAR_SCOPE, "User.Read", "openid", "email")
SCOPE_LABELS[MICROSOFT_CALENDAR_SCOPE] = "Have full access to your calendars"


def microsoft_oauth_config(
    authority_url: str, tenant: str, client_id: str, client_secret: str, redirect_uri: str
) -> OAuthConfig:
    """Microsoft's client: ``{authority}/{tenant}/oauth2/v2.0/authorize`` and ``/token`` (tenant ``common``,
    ``organizations`` or a tenant id)."""
    base = f"{authority_url.rstrip('/')}/{tenant}/oauth2/v2.0"
    return OAuthConfig(
        client_id=client_id,
        client_secret=client_secret,
        authorize_url=f"{base}/authorize",
        token_url=f"{base}/token",
        revoke_url=None,
        userinfo_url=None,
        redirect_uri=redirect_uri,
        scopes=MICROSOFT_SCOPES,
        extra_authorize_params=(("prompt", "select_account"),),
        required_scopes=(MICROSOFT_CALENDAR_SCOPE,),
        provider="microsoft",
    )


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the person, and what to keep on our side until the callback."""

    url: str
    state: str
    code_verifier: str


def oauth_client(config: OAuthConfig, **httpx_options: Any) -> AsyncOAuth2Client:
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
async def _session(config: OAuthConfig, client: AsyncOAuth2Client | None) -> AsyncIterator[AsyncOAuth2Client]:
    if client is not None:
        yield client
        return
    async with oauth_client(config) as own:
        yield own


def start_authorization(config: OAuthConfig, *, login_hint: str | None = None) -> AuthorizationRequest:
    """The consent URL (with the provider's extra parameters) with a fresh state and PKCE verifier."""
    code_verifier = generate_token(64)  # 43..128 characters of [A-Za-z0-9]
    state = generate_token(32)
    extra = dict(config.extra_authorize_params)
    if login_hint:
        extra["login_hint"] = login_hint
    client = oauth_client(config)  # only builds the URL; never opened, so nothing to close
    url, state = client.create_authorization_url(
        config.authorize_url, state=state, code_verifier=code_verifier, scope=" ".join(config.scopes), **extra
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
        raise AuthorizationFailed(f"the provider refused the authorization: {params['error']}", params["error"])
    code = params.get("code")
    if not code:
        raise AuthorizationFailed("OAuth callback without a code", "invalid_request")
    return code


def missing_scopes(config: OAuthConfig, granted: str) -> tuple[str, ...]:
    """The required scopes absent from a token response's space-separated `scope`."""
    # Microsoft lists Graph scopes fully qualified ("https://graph.microsoft.com/Calendars.ReadWrite").
    have = {scope.rsplit("/", 1)[-1].lower() for scope in granted.split()} | set(granted.split())
    return tuple(scope for scope in config.required_scopes if scope not in have and scope.lower() not in have)


async def exchange_code(
    config: OAuthConfig, code: str, code_verifier: str, client: AsyncOAuth2Client | None = None
) -> Credentials:
    """Trade the authorization code (with its PKCE verifier) for credentials, with the account's email.

    When the person unticked a required scope, the grant is revoked at once and ScopeNotGranted raised.
    """
    async with _session(config, client) as session:
        with _token_errors(config, "code exchange", refused=AuthorizationFailed):
            token = await session.fetch_token(
                config.token_url,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                redirect_uri=config.redirect_uri,
            )
        credentials = _credentials(token)
        missing = missing_scopes(config, credentials.scope)
        if missing:
            await revoke(config, credentials.refresh_token or credentials.access_token, session)
            raise ScopeNotGranted(config.provider, missing)
        email = await _email(config, session, token)
    if email:
        credentials.extra["email"] = email
    return credentials


async def refresh(config: OAuthConfig, refresh_token: str, client: AsyncOAuth2Client | None = None) -> Credentials:
    """A new access token; NeedsReconnect when the grant was revoked or expired (invalid_grant).

    The refresh token in the result is the rotated one when the provider rotates them, else the same one.
    """
    async with _session(config, client) as session:
        with _token_errors(config, "token refresh", refused=NeedsReconnect):
            token = await session.refresh_token(config.token_url, refresh_token=refresh_token)
    credentials = _credentials(token)
    credentials.refresh_token = credentials.refresh_token or refresh_token
    return credentials


async def revoke(config: OAuthConfig, token: str, client: AsyncOAuth2Client | None = None) -> bool:
    """Revoke the grant behind `token` (refresh or access token). Best effort: False when it did not work
    or the provider has no revocation endpoint."""
    if not config.revoke_url:
        return False
    try:
        async with _session(config, client) as session:
            response = await session.request("POST", config.revoke_url, data={"token": token}, withhold_token=True)
    except httpx.HTTPError as exc:
        log.warning("%s revoke failed: %s", config.provider, type(exc).__name__)
        return False
    if response.is_success:
        return True
    log.info("%s revoke answered %s", config.provider, response.status_code)
    return False


Reload = Callable[[], Awaitable[Credentials]]
OnRefresh = Callable[[Credentials], Awaitable[None]]
OnLost = Callable[[str], Awaitable[None]]


class OAuthTokenSource:
    """The `TokenSource` over one grant: a cached access token, refreshed when expired or refused.

    `credentials` is what is known now and stays in this object (the in-process cache); when None, the
    first call reads them with `reload`. A refresh runs under `lock` (default: one asyncio lock for this
    object; production passes a Redis lock per integration, shared by every process and every event loop)
    and starts by
    re-reading the stored credentials with `reload`: when someone refreshed meanwhile, their token is used
    instead of refreshing again with a refresh token the provider may already have rotated away.
    `on_refresh` is awaited with the new credentials before the lock is released (seal them into the vault);
    `on_lost` with a reason when the grant is gone (mark the connection for reconnecting).
    """

    def __init__(
        self,
        config: OAuthConfig,
        credentials: Credentials | None = None,
        *,
        client: AsyncOAuth2Client | None = None,
        reload: Reload | None = None,
        lock: Callable[[], AbstractAsyncContextManager[Any]] | None = None,
        on_refresh: OnRefresh | None = None,
        on_lost: OnLost | None = None,
        leeway: timedelta = timedelta(seconds=60),
    ) -> None:
        if credentials is None and reload is None:
            raise ValueError("OAuthTokenSource needs credentials or a way to reload them")
        self.config = config
        self.credentials = credentials
        self.client = client
        self.reload = reload
        self.lock = lock
        self.on_refresh = on_refresh
        self.on_lost = on_lost
        self.leeway = leeway
        self.refreshes = 0
        self._local_lock = asyncio.Lock()

    async def access_token(self) -> str:
        current = await self._current()
        if self._usable(current):
            return current.access_token
        return await self._refresh(current.access_token)

    async def refreshed_access_token(self) -> str:
        return await self._refresh((await self._current()).access_token)

    async def _current(self) -> Credentials:
        if self.credentials is None:
            assert self.reload is not None
            self.credentials = await self.reload()
        return self.credentials

    def _usable(self, credentials: Credentials) -> bool:
        expires_at = credentials.expires_at
        return expires_at is None or expires_at - self.leeway > datetime.now(UTC)

    async def _refresh(self, stale: str) -> str:
        async with self.lock() if self.lock is not None else self._local_lock:
            current = await self.reload() if self.reload is not None else await self._current()
            if current.access_token != stale and self._usable(current):  # refreshed meanwhile
                self.credentials = current
                return current.access_token
            if not current.refresh_token:
                await self._lost("no refresh token was granted")
                raise NeedsReconnect("no refresh token: the account must be connected again")
            try:
                fresh = await refresh(self.config, current.refresh_token, self.client)
            except NeedsReconnect as exc:
                await self._lost(f"{self.config.provider.title()} refused the refresh token ({exc})")
                raise
            fresh = replace(fresh, scope=fresh.scope or current.scope, extra={**current.extra, **fresh.extra})
            if self.on_refresh is not None:
                await self.on_refresh(fresh)
            self.credentials = fresh
            self.refreshes += 1
            return fresh.access_token

    async def _lost(self, detail: str) -> None:
        if self.on_lost is not None:
            await self.on_lost(detail)


# ---- internals -----------------------------------------------------------------------------------------


@contextmanager
def _token_errors(config: OAuthConfig, what: str, *, refused: type[ProviderError]) -> Iterator[None]:
    """Map authlib/httpx failures at the token endpoint to provider errors (`refused` for invalid_grant)."""
    name = config.provider
    try:
        yield
    except OAuthError as exc:
        error = str(exc.error or "")
        message = f"{name} {what}: {error} ({exc.description or 'no description'})"
        if error == "invalid_grant":
            if issubclass(refused, AuthorizationFailed):
                raise refused(message, error) from exc
            raise refused(message) from exc
        if error in ("temporarily_unavailable", "internal_failure", "server_error"):
            raise RetryableError(message) from exc
        raise RequestRejected(message) from exc
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        message = f"{name} {what}: HTTP {status}"
        if status >= 500 or status == 429:
            raise RetryableError(message, parse_retry_after(exc.response.headers.get("Retry-After"))) from exc
        raise RequestRejected(message) from exc
    except httpx.TransportError as exc:
        raise RetryableError(f"{name} {what}: {type(exc).__name__}") from exc
    except ValueError as exc:  # a 4xx body that is not a token response
        raise RequestRejected(f"{name} {what}: unreadable token endpoint response") from exc


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


async def _email(config: OAuthConfig, session: AsyncOAuth2Client, token: Mapping[str, Any]) -> str | None:
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
            log.warning("%s userinfo failed: %s", config.provider, type(exc).__name__)
        else:
            if response.is_success:
                email = response.json().get("email")
                if email:
                    return str(email)
            else:
                log.warning("%s userinfo answered %s", config.provider, response.status_code)
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
    if not isinstance(claims, dict):
        return None
    email = claims.get("email") or claims.get("preferred_username")  # Microsoft: the sign-in address
    return str(email) if email else None
