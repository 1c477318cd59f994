"""Identity-platform state: pending consent requests, codes, grants, rotating refresh tokens, access tokens.

Refresh tokens are *rotated on every use*: redeeming one issues a new one and the old one stops working at
once (``invalid_grant`` AADSTS70000). Real Entra ID tolerates reuse for a while; the sandbox does not, so a
client that loses the newest token (or refreshes twice in parallel) finds out here, not in production.
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

from .errors import AadError

CODE_TTL_SECONDS = 600
REFRESH_TTL_SECONDS = 90 * 24 * 3600
GRAPH_SCOPES = frozenset({"Calendars.ReadWrite", "Calendars.Read", "User.Read", "Calendars.ReadBasic"})
OIDC_SCOPES = frozenset({"openid", "email", "profile", "offline_access"})
GRAPH_PREFIX = "https://graph.microsoft.com/"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode()).digest())


def normalise_scopes(raw: str) -> list[str]:
    """``https://graph.microsoft.com/Calendars.ReadWrite`` → ``Calendars.ReadWrite``; unknown → AADSTS70011."""
    scopes: list[str] = []
    for item in raw.split():
        name = item[len(GRAPH_PREFIX) :] if item.startswith(GRAPH_PREFIX) else item
        if name == ".default":
            scopes.extend(["Calendars.ReadWrite", "User.Read"])
            continue
        if name not in GRAPH_SCOPES | OIDC_SCOPES:
            raise AadError(70011, item)
        if name not in scopes:
            scopes.append(name)
    if not scopes:
        raise AadError(70011, raw)
    return scopes


@dataclass
class AuthRequest:
    client_id: str
    tenant: str
    redirect_uri: str
    scopes: list[str]
    state: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    login_hint: str | None
    prompt: str | None
    id: str = field(default_factory=lambda: secrets.token_urlsafe(16))


@dataclass
class AuthCode:
    request: AuthRequest
    email: str
    expires_at: float
    used: bool = False


@dataclass
class Grant:
    """One consent; its refresh token changes on every refresh."""

    id: str
    client_id: str
    email: str
    scopes: list[str]
    nonce: str | None = None
    refresh_token: str | None = None
    refresh_issued_at: float = field(default_factory=time.time)
    revoked: bool = False
    refresh_expired: bool = False


@dataclass
class AccessToken:
    token: str
    grant: Grant
    expires_at: float

    @property
    def valid(self) -> bool:
        return not self.grant.revoked and time.time() < self.expires_at


@dataclass(frozen=True)
class Identity:
    """What the id_token says about an account."""

    email: str
    name: str
    oid: str
    tid: str


class TokenStore:
    def __init__(self, issuer_base: str, ttl_seconds: Callable[[], int], identity: Callable[[str], Identity]) -> None:
        self.issuer_base = issuer_base
        self.ttl_seconds = ttl_seconds
        self.identity = identity
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.requests: dict[str, AuthRequest] = {}
            self.codes: dict[str, AuthCode] = {}
            self.refresh_tokens: dict[str, Grant] = {}
            self.retired: dict[str, Grant] = {}  # rotated-out refresh tokens -> their grant
            self.access_tokens: dict[str, AccessToken] = {}
            self.grants: list[Grant] = []

    # ---- authorize ---------------------------------------------------------------------------------------

    def remember_request(self, request: AuthRequest) -> None:
        with self.lock:
            self.requests[request.id] = request

    def peek_request(self, request_id: str) -> AuthRequest | None:
        with self.lock:
            return self.requests.get(request_id)

    def take_request(self, request_id: str) -> AuthRequest | None:
        with self.lock:
            return self.requests.pop(request_id, None)

    def issue_code(self, request: AuthRequest, email: str) -> str:
        code = "0.ASbx" + secrets.token_urlsafe(48)
        with self.lock:
            self.codes[code] = AuthCode(request, email, time.time() + CODE_TTL_SECONDS)
        return code

    # ---- token endpoint ------------------------------------------------------------------------------------

    def exchange_code(
        self, code: str, client_id: str, redirect_uri: str | None, verifier: str | None, scope: str | None
    ) -> dict[str, object]:
        with self.lock:
            entry = self.codes.get(code)
            if entry is None:
                raise AadError(9002313, "The provided authorization code is malformed or unknown.")
            if entry.used:
                raise AadError(54005)
            if time.time() > entry.expires_at:
                raise AadError(70008)
            request = entry.request
            if entry.request.client_id != client_id:
                raise AadError(70002)
            if redirect_uri != request.redirect_uri:
                raise AadError(500112, str(redirect_uri), request.redirect_uri)
            if request.code_challenge:
                if not verifier:
                    raise AadError(50148)
                if not hmac.compare_digest(s256(verifier), request.code_challenge):
                    raise AadError(501481)
            entry.used = True
            grant = Grant(secrets.token_hex(8), client_id, entry.email, list(request.scopes), request.nonce)
            if "offline_access" in grant.scopes:
                self._rotate(grant)
            self.grants.append(grant)
            return self._token_response(grant, requested=scope)

    def refresh(self, refresh_token: str, client_id: str, scope: str | None) -> dict[str, object]:
        with self.lock:
            grant = self.refresh_tokens.get(refresh_token)
            if grant is None:
                if refresh_token in self.retired:
                    raise AadError(70000)
                raise AadError(9002313, "The provided refresh token is malformed or unknown.")
            if grant.client_id != client_id:
                raise AadError(70000)
            if grant.revoked:
                raise AadError(50173)
            if grant.refresh_expired or time.time() > grant.refresh_issued_at + REFRESH_TTL_SECONDS:
                issued = time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(grant.refresh_issued_at))
                raise AadError(700082, issued)
            if scope:
                asked = set(normalise_scopes(scope))
                if not asked - OIDC_SCOPES <= set(grant.scopes):
                    raise AadError(65001, client_id)
            self._rotate(grant)
            return self._token_response(grant, requested=scope)

    def issue_direct(self, email: str, scopes: list[str], client_id: str) -> dict[str, object]:
        """Admin shortcut: a consented grant without the browser dance."""
        with self.lock:
            grant = Grant(secrets.token_hex(8), client_id, email, scopes)
            if "offline_access" in scopes:
                self._rotate(grant)
            self.grants.append(grant)
            return self._token_response(grant, requested=None)

    def _rotate(self, grant: Grant) -> None:
        if grant.refresh_token:
            self.refresh_tokens.pop(grant.refresh_token, None)
            self.retired[grant.refresh_token] = grant
        grant.refresh_token = "M.C5Sbx_" + secrets.token_urlsafe(64)
        grant.refresh_issued_at = time.time()
        self.refresh_tokens[grant.refresh_token] = grant

    def _token_response(self, grant: Grant, requested: str | None) -> dict[str, object]:
        ttl = self.ttl_seconds()
        token = "EwBSbx" + secrets.token_urlsafe(96)
        self.access_tokens[token] = AccessToken(token, grant, time.time() + ttl)
        scopes = [s for s in grant.scopes if s != "offline_access"]
        granted = " ".join(s if s in OIDC_SCOPES else GRAPH_PREFIX + s for s in scopes)
        body: dict[str, object] = {
            "token_type": "Bearer",
            "scope": granted,
            "expires_in": ttl,
            "ext_expires_in": ttl,
            "access_token": token,
        }
        if grant.refresh_token:
            body["refresh_token"] = grant.refresh_token
        if "openid" in grant.scopes:
            body["id_token"] = self._id_token(grant, ttl)
        return body

    def _id_token(self, grant: Grant, ttl: int) -> str:
        """An HS256 JWT keyed with ``sandbox`` (Entra signs RS256 with published keys; these are claims only)."""
        who = self.identity(grant.email)
        now = int(time.time())
        claims: dict[str, object] = {
            "aud": grant.client_id, "iss": f"{self.issuer_base}/{who.tid}/v2.0", "iat": now, "nbf": now,
            "exp": now + ttl, "name": who.name, "oid": who.oid, "preferred_username": who.email,
            "sub": b64url(hashlib.sha256(f"{grant.client_id}/{who.oid}".encode()).digest())[:43],
            "tid": who.tid, "ver": "2.0",
        }  # fmt: skip
        if "email" in grant.scopes:
            claims["email"] = who.email
        if grant.nonce:
            claims["nonce"] = grant.nonce
        header = b64url(json.dumps({"typ": "JWT", "alg": "HS256", "kid": "sandbox"}).encode())
        payload = b64url(json.dumps(claims).encode())
        signature = hmac.new(b"sandbox", f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{b64url(signature)}"

    # ---- lookups and admin --------------------------------------------------------------------------------

    def lookup(self, token: str) -> AccessToken | None:
        with self.lock:
            access = self.access_tokens.get(token)
            return access if access is not None and access.valid else None

    def known(self, token: str) -> bool:
        with self.lock:
            return token in self.access_tokens

    def revoke(self, email: str) -> int:
        """Revoke every grant of an account (the user removed the app, or an admin revoked sessions)."""
        with self.lock:
            live = [g for g in self.grants if g.email == email and not g.revoked]
            for grant in live:
                grant.revoked = True
            return len(live)

    def expire_refresh_tokens(self, email: str) -> int:
        with self.lock:
            live = [g for g in self.grants if g.email == email and not g.refresh_expired and g.refresh_token]
            for grant in live:
                grant.refresh_expired = True
            return len(live)

    def expire_access_tokens(self, email: str | None = None) -> int:
        with self.lock:
            count = 0
            for access in self.access_tokens.values():
                if access.valid and (email is None or access.grant.email == email):
                    access.expires_at = 0
                    count += 1
            return count
