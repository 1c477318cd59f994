"""Staff accounts: password hashing (argon2) and API tokens (stored only as SHA-256)."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rental.errors import NotAuthenticated, NotFound
from rental.statuses import MANAGER_ROLES
from rental.statuses import ROLES as ALL_ROLES
from rental.tables import ApiToken, StaffUser

ROLES = ALL_ROLES
_hasher = PasswordHasher()
# Verifying against a dummy hash keeps login time the same for unknown e-mails.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


@dataclass(frozen=True)
class Staff:
    id: int
    company_id: int
    email: str
    name: str
    role: str

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGER_ROLES

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Staff:
        return cls(row["id"], row["company"], row["email"], row["name"], row["role"])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def authenticate(email: str, password: str) -> Staff:
    row = (
        await StaffUser.select()
        .where(
            (StaffUser.email == email.strip().lower()) & (StaffUser.active == True)  # noqa: E712
        )
        .first()
    )
    try:
        # argon2 costs tens of milliseconds of CPU: in a thread, so the event loop keeps serving.
        await asyncio.to_thread(_hasher.verify, row["password_hash"] if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        raise NotAuthenticated("wrong e-mail or password") from None
    if row is None:
        raise NotAuthenticated("wrong e-mail or password")
    return Staff.from_row(row)


async def staff_by_id(staff_id: int) -> Staff | None:
    row = await StaffUser.select().where((StaffUser.id == staff_id) & (StaffUser.active == True)).first()  # noqa: E712
    return Staff.from_row(row) if row else None


async def staff_of_company(company_id: int) -> list[Staff]:
    rows = await StaffUser.select().where(StaffUser.company == company_id).order_by(StaffUser.name)
    return [Staff.from_row(r) for r in rows]


async def create_api_token(email: str, name: str = "cli") -> str:
    row = await StaffUser.select().where(StaffUser.email == email.strip().lower()).first()
    if row is None:
        raise NotFound(f"no staff member with e-mail {email}")
    token = "rc_" + secrets.token_urlsafe(32)
    await ApiToken.insert(ApiToken(company=row["company"], user=row["id"], name=name, token_hash=_token_hash(token)))
    return token


async def staff_for_token(token: str) -> Staff:
    rows = await ApiToken.raw(
        """
        SELECT t.id AS token_id, t.last_used_at, s.id, s.company, s.email, s.name, s.role
        FROM api_token t JOIN staff_user s ON s.id = t.user
        WHERE t.token_hash = {} AND t.revoked_at IS NULL AND s.active
        """,
        _token_hash(token),
    )
    if not rows:
        raise NotAuthenticated("invalid or revoked API token")
    row = rows[0]
    now = datetime.now(UTC)
    # Record use at most once a minute: a write on every request would cost more than the read.
    if row["last_used_at"] is None or now - row["last_used_at"] > timedelta(minutes=1):
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == row["token_id"])
    return Staff.from_row(row)
