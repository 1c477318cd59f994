"""OAuth 2.0 state: the client's registration, pending consent requests, authorization codes, grants, refresh
and access tokens.

Like Google: a refresh token comes with the first offline consent of an account to a client, or with
``prompt=consent``; a later consent without it returns none (the old one stays valid). Scopes are echoed in
Google's spelling (``email`` -> ``https://www.googleapis.com/auth/userinfo.email``). Revoking any token of an
account's authorization ends all of it. With ``rotate_refresh_tokens`` (Microsoft's behaviour, off by
default) every refresh returns a new refresh token and the old one stops working.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import OAuthError

CODE_TTL_SECONDS = 600
# Google's long spelling of the OpenID Connect short names, as its token responses and redirects echo them.
SCOPE_SPELLING = {
    "email": "https://www.googleapis.com/auth/userinfo.email",
    "profile": "https://www.googleapis.com/auth/userinfo.profile",
}
# Granted with any consent, never shown as checkboxes.
BASIC_SCOPES = frozenset({"openid", *SCOPE_SPELLING, *SCOPE_SPELLING.values()})


def google_spelling(scope: str) -> str:
    """Space-separated scopes in Google's spelling, each once, in the order given."""
    spelled = [SCOPE_SPELLING.get(name, name) for name in scope.split()]
    return " ".join(dict.fromkeys(spelled))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def pkce_matches(verifier: str, challenge: str, method: str) -> bool:
    if method == "plain":
        return hmac.compare_digest(verifier, challenge)
    return hmac.compare_digest(_b64(hashlib.sha256(verifier.encode()).digest()), challenge)


@dataclass
class AuthRequest:
    """Parameters of an authorization request waiting on the consent screen."""

    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    code_challenge: str | None
    code_challenge_method: str
    access_type: str
    nonce: str | None
    login_hint: str | None
    prompt: str = ""
    include_granted_scopes: bool = False
    id: str = field(default_factory=lambda: secrets.token_urlsafe(16))

    @property
    def optional_scopes(self) -> list[str]:
        """The scopes the person may untick on the consent screen (all but the basic sign-in ones)."""
        return [scope for scope in dict.fromkeys(self.scope.split()) if scope not in BASIC_SCOPES]


@dataclass
class AuthCode:
    request: AuthRequest
    email: str
    scope: str  # what the person granted, in Google's spelling
    expires_at: float
    used: bool = False


@dataclass
class Grant:
    """One consent: the refresh token (if offline) and everything issued from it."""

    id: str
    client_id: str
    email: str
    scope: str
    nonce: str | None = None
    refresh_token: str | None = None
    revoked: bool = False


@dataclass
class AccessToken:
    token: str
    grant: Grant
    expires_at: float

    @property
    def valid(self) -> bool:
        return not self.grant.revoked and time.time() < self.expires_at


class TokenStore:
    def __init__(
        self,
        issuer: str,
        ttl_seconds: Callable[[], int],
        sub_for: Callable[[str], str],
        *,
        redirect_uris: tuple[str, ...] = (),
        rotate_refresh_tokens: bool = False,
    ) -> None:
        self.issuer = issuer
        self.ttl_seconds = ttl_seconds
        self.sub_for = sub_for
        self.lock = threading.Lock()
        # The client's registration (Cloud Console): kept across resets, changed by the admin API.
        self.redirect_uris: set[str] = set(redirect_uris)
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests: dict[str, AuthRequest] = {}
            self.codes: dict[str, AuthCode] = {}
            self.refresh_tokens: dict[str, Grant] = {}
            self.access_tokens: dict[str, AccessToken] = {}
            self.grants: list[Grant] = []
            self.refreshes = 0

    def redirect_uri_registered(self, uri: str) -> bool:
        with self.lock:
            return uri in self.redirect_uris

    def configure(self, *, redirect_uris: list[str] | None = None, rotate: bool | None = None) -> dict[str, object]:
        """Register more redirect URIs and/or switch refresh-token rotation; the resulting settings."""
        with self.lock:
            self.redirect_uris.update(redirect_uris or [])
            if rotate is not None:
                self.rotate_refresh_tokens = rotate
            return {
                "redirect_uris": sorted(self.redirect_uris),
                "rotate_refresh_tokens": self.rotate_refresh_tokens,
                "refreshes": self.refreshes,
            }

    def grants_of(self, email: str) -> list[dict[str, object]]:
        """What an account authorized, as its Google Account's "Third-party access" page would show it."""
        with self.lock:
            return [
                {
                    "client_id": g.client_id,
                    "scope": g.scope,
                    "offline": g.refresh_token is not None,
                    "revoked": g.revoked,
                }
                for g in self.grants
                if g.email == email
            ]

    def _live_grants(self, client_id: str, email: str) -> list[Grant]:
        return [g for g in self.grants if not g.revoked and (g.client_id, g.email) == (client_id, email)]

    # ---- authorization --------------------------------------------------------------------------

    def remember_request(self, request: AuthRequest) -> None:
        with self.lock:
            self.requests[request.id] = request

    def take_request(self, request_id: str) -> AuthRequest | None:
        with self.lock:
            return self.requests.pop(request_id, None)

    def issue_code(self, request: AuthRequest, email: str, scope: str) -> str:
        """A code for what the person granted (`scope`, Google's spelling, plus earlier grants when asked)."""
        code = "4/0Sbx" + secrets.token_urlsafe(32)
        with self.lock:
            if request.include_granted_scopes:
                earlier = " ".join(g.scope for g in self._live_grants(request.client_id, email))
                scope = google_spelling(f"{scope} {earlier}")
            self.codes[code] = AuthCode(request, email, scope, time.time() + CODE_TTL_SECONDS)
        return code

    # ---- token endpoint ----------------------------------------------------------------------------

    def exchange_code(
        self, code: str, client_id: str, redirect_uri: str | None, verifier: str | None, secret: str | None
    ) -> dict[str, object]:
        with self.lock:
            entry = self.codes.get(code)
            if entry is None:
                raise OAuthError(
                    "invalid_grant", "Malformed auth code." if not code.startswith("4/") else "Bad Request"
                )
            if entry.used or time.time() > entry.expires_at or entry.request.client_id != client_id:
                raise OAuthError("invalid_grant", "Bad Request")
            request = entry.request
            if redirect_uri != request.redirect_uri:
                raise OAuthError("redirect_uri_mismatch", "Bad Request")
            if request.code_challenge:
                if not verifier:
                    raise OAuthError("invalid_grant", "Missing code verifier.")
                if not pkce_matches(verifier, request.code_challenge, request.code_challenge_method):
                    raise OAuthError("invalid_grant", "Invalid code verifier.")
            entry.used = True
            earlier = self._live_grants(client_id, entry.email)
            offline = request.access_type == "offline"
            if offline and any(g.refresh_token for g in earlier) and "consent" not in request.prompt.split():
                # Consented before: no new refresh token; the access token belongs to the existing grant.
                grant = next((g for g in earlier if g.refresh_token), earlier[-1])
                grant.scope = google_spelling(f"{grant.scope} {entry.scope}")
                return self._token_response(grant, secret, include_refresh=False, scope=entry.scope)
            grant = Grant(secrets.token_hex(8), client_id, entry.email, entry.scope, request.nonce)
            self.grants.append(grant)
            if offline:
                grant.refresh_token = "1//0Sbx" + secrets.token_urlsafe(48)
                self.refresh_tokens[grant.refresh_token] = grant
            return self._token_response(grant, secret, include_refresh=True)

    def refresh(self, refresh_token: str, client_id: str, scope: str | None, secret: str | None) -> dict[str, object]:
        with self.lock:
            grant = self.refresh_tokens.get(refresh_token)
            if grant is None or grant.revoked:
                raise OAuthError("invalid_grant", "Token has been expired or revoked.")
            if grant.client_id != client_id:
                raise OAuthError("unauthorized_client", "Unauthorized")
            if scope and not set(google_spelling(scope).split()) <= set(grant.scope.split()):
                raise OAuthError("invalid_scope", "Some requested scopes were invalid.")
            self.refreshes += 1
            rotate = self.rotate_refresh_tokens
            if rotate:  # the old refresh token stops working; the new one is in the response
                del self.refresh_tokens[refresh_token]
                grant.refresh_token = "1//0Sbx" + secrets.token_urlsafe(48)
                self.refresh_tokens[grant.refresh_token] = grant
            return self._token_response(
                grant, secret, include_refresh=rotate, scope=google_spelling(scope) if scope else None
            )

    def issue_direct(self, email: str, scope: str, client_id: str) -> dict[str, object]:
        """Admin shortcut: a consented offline grant without the browser dance."""
        with self.lock:
            grant = Grant(secrets.token_hex(8), client_id, email, google_spelling(scope))
            self.grants.append(grant)
            grant.refresh_token = "1//0Sbx" + secrets.token_urlsafe(48)
            self.refresh_tokens[grant.refresh_token] = grant
            return self._token_response(grant, None, include_refresh=True)

    def _token_response(
        self, grant: Grant, secret: str | None, *, include_refresh: bool, scope: str | None = None
    ) -> dict[str, object]:
        ttl = self.ttl_seconds()
        token = "ya29.Sbx" + secrets.token_urlsafe(48)
        self.access_tokens[token] = AccessToken(token, grant, time.time() + ttl)
        body: dict[str, object] = {"access_token": token, "expires_in": ttl}
        if include_refresh and grant.refresh_token:
            body["refresh_token"] = grant.refresh_token
        body["scope"] = scope or grant.scope
        body["token_type"] = "Bearer"  # noqa: S105 - a token type, not a secret
        if "openid" in grant.scope.split():  # Google sends an id_token whenever openid was granted
            body["id_token"] = self._id_token(grant, secret or "sandbox", ttl)
        return body

    def _id_token(self, grant: Grant, key: str, ttl: int) -> str:
        """An HS256 JWT keyed with the client secret (Google signs RS256; this one is for claims only)."""
        now = int(time.time())
        claims: dict[str, object] = {
            "iss": self.issuer, "azp": grant.client_id, "aud": grant.client_id,
            "sub": self.sub_for(grant.email), "email": grant.email, "email_verified": True,
            "iat": now, "exp": now + ttl,
        }  # fmt: skip
        if grant.nonce:
            claims["nonce"] = grant.nonce
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        payload = _b64(json.dumps(claims).encode())
        signature = hmac.new(key.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    # ---- revocation and lookup ----------------------------------------------------------------------

    def revoke(self, token: str) -> bool:
        """Revoke a refresh or access token; either way the account's whole authorization of the client goes
        (as Google does), so the next consent is a first consent again."""
        with self.lock:
            grant = self.refresh_tokens.get(token)
            access = self.access_tokens.get(token)
            if grant is None and access is not None and access.valid:
                grant = access.grant
            if grant is None or grant.revoked:
                return False
            for other in self._live_grants(grant.client_id, grant.email):
                other.revoked = True
            grant.revoked = True
            return True

    def lookup(self, token: str) -> AccessToken | None:
        with self.lock:
            access = self.access_tokens.get(token)
            return access if access is not None and access.valid else None

    def expire_access_tokens(self, email: str | None = None) -> int:
        with self.lock:
            count = 0
            for access in self.access_tokens.values():
                if access.valid and (email is None or access.grant.email == email):
                    access.expires_at = 0
                    count += 1
            return count
