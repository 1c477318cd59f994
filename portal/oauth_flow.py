"""OAuth state between 'connect' and the provider's redirect back: kept in Redis for 10 minutes, bound to
whoever started it, checked before it is used, and used once.

Started in the portal, a pending authorization is bound to that browser session (a random secret kept in
the session; the pending record holds its hash) and to the staff member. Started through the API, it is
bound to the staff member: the callback must be opened in a browser logged in to the portal as them. A
callback that fails the check uses up nothing, so someone who opens another person's consent link can
neither connect their own account to that person nor spoil the rightful callback. The PKCE verifier never
leaves the server.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis

from calendars.accounts.oauth import AuthorizationRequest
from rentcal.settings import get_settings

TTL_SECONDS = 600
SESSION_KEY = "oauth_binding"


class Verdict(enum.Enum):
    OK = "ok"
    LOGIN = "login"  # nobody is logged in: log in first, then come back to the same callback
    MISMATCH = "mismatch"  # another person, or another browser session, than the one that started it


@dataclass(frozen=True)
class PendingConnect:
    staff_id: int
    code_verifier: str
    session_hash: str | None  # None: started through the API, bound to the staff member only
    provider: str = "google"  # whose consent screen it went to: only that provider's callback may use it


def _redis() -> Redis:
    return Redis.from_url(get_settings().redis_url)


def _key(state: str) -> str:
    return f"rentcal:oauth:{state}"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def session_binding(session: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """This session's binding secret, and the session to store back (with a new secret if it had none)."""
    secret = session.get(SESSION_KEY)
    if isinstance(secret, str) and secret:
        return secret, dict(session)
    secret = secrets.token_urlsafe(32)
    return secret, {**session, SESSION_KEY: secret}


async def remember_authorization(
    pending: AuthorizationRequest, staff_id: int, binding: str | None = None, provider: str = "google"
) -> None:
    """Keep the verifier until the callback; `binding` is the portal session's secret (None for the API)."""
    record = {
        "staff_id": staff_id,
        "verifier": pending.code_verifier,
        "session": _hash(binding) if binding else None,
        "provider": provider,
    }
    async with _redis() as redis:
        await redis.set(_key(pending.state), json.dumps(record), ex=TTL_SECONDS)


def _parse(raw: bytes | str | None) -> PendingConnect | None:
    if raw is None:
        return None
    data = json.loads(raw)
    return PendingConnect(
        int(data["staff_id"]), str(data["verifier"]), data.get("session"), str(data.get("provider") or "google")
    )


async def peek_authorization(state: str) -> PendingConnect | None:
    """The pending authorization for a state, without using it up; None when unknown or expired."""
    async with _redis() as redis:
        return _parse(await redis.get(_key(state)))


async def take_authorization(state: str) -> PendingConnect | None:
    """Use the pending authorization up (once); None when it is unknown, expired or already used."""
    async with _redis() as redis:
        return _parse(await redis.getdel(_key(state)))


def check(pending: PendingConnect, session: Mapping[str, Any] | None) -> Verdict:
    """Whether the browser session opening the callback is the one the authorization is bound to."""
    staff_id = (session or {}).get("staff_id")
    if not staff_id:
        return Verdict.LOGIN
    if int(staff_id) != pending.staff_id:
        return Verdict.MISMATCH
    if pending.session_hash is not None:
        secret = (session or {}).get(SESSION_KEY)
        if not isinstance(secret, str) or not hmac.compare_digest(_hash(secret), pending.session_hash):
            return Verdict.MISMATCH
    return Verdict.OK
