"""Staff accounts: password hashing (argon2) and API tokens (stored only as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rental.errors import NotAuthenticated, NotFound
from rental.tables import ApiToken, StaffUser

ROLES = ("admin", "manager", "driver", "technician")
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
        return self.role in ("admin", "manager")

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
        _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
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
        UPDATE api_token t SET last_used_at = {}
        FROM staff_user s
        WHERE t.token_hash = {} AND t.revoked_at IS NULL AND s.id = t.user AND s.active
        RETURNING s.id, s.company, s.email, s.name, s.role
        """,
        datetime.now(UTC),
        _token_hash(token),
    )
    if not rows:
        raise NotAuthenticated("invalid or revoked API token")
    return Staff.from_row(rows[0])
