"""Managers invite people to the team by e-mail; the person picks a name and password from the mail's link.

The link's token is made when the mail is composed (`mint_token`) and stored only as its SHA-256, so it
exists nowhere but in that mail. It expires after INVITATION_DAYS and works once. Sending again makes a
new token and the old link stops working at once. Staff e-mail addresses are unique across companies.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Literal

import asyncpg
import msgspec

from rental import outbox
from rental.accounts import Staff, hash_password
from rental.errors import Conflict, Forbidden, InvalidInput, NotFound
from rental.statuses import ROLES
from rental.tables import StaffInvitation, StaffUser
from rental.tenants import Tenant
from rentcal import contacts

INVITATION_DAYS = 7
MIN_PASSWORD = 10
TOPIC = "staff.invited"  # outbox: the invitation mail must go out (payload: the send number)

LinkState = Literal["open", "accepted", "expired", "unknown"]


class Pending(msgspec.Struct, frozen=True):
    id: int
    email: str
    role: str
    created_at: datetime
    expires_at: datetime | None  # None: the mail is still on its way

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= datetime.now(UTC)


class Opened(msgspec.Struct, frozen=True):
    """What an invitation link leads to."""

    state: LinkState
    company_name: str = ""
    email: str = ""
    role: str = ""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _address(value: str) -> str:
    try:
        return contacts.email_address(value).lower()
    except contacts.ContactError as exc:
        raise InvalidInput(str(exc)) from None


async def _check_free(tenant: Tenant, email: str) -> None:
    holder = await StaffUser.select(StaffUser.company, StaffUser.active).where(StaffUser.email == email).first()
    if holder is not None and holder["company"] == tenant.id and not holder["active"]:
        raise Conflict(f"{email} is on your team but cannot sign in; tick “Can sign in” beside them above instead")
    if holder is not None and holder["company"] == tenant.id:
        raise Conflict(f"{email} is already on your team (see the list above)")
    if holder is not None:
        raise Conflict(f"{email} already has a Rentcal account with another company; invite another address")


async def invite(tenant: Tenant, by: Staff, email: str, role: str) -> int:
    """Record the invitation and, in the same transaction, the outbox row that has its mail sent."""
    if role not in ROLES:
        raise InvalidInput(f"choose a role: {', '.join(ROLES)}")
    if role == "admin" and by.role != "admin":
        raise Forbidden("only an admin can invite an admin")
    address = _address(email)
    await _check_free(tenant, address)
    try:
        async with StaffInvitation._meta.db.transaction():
            rows = await StaffInvitation.insert(
                StaffInvitation(company=tenant.id, email=address, role=role, invited_by=by.id, sends=1)
            ).returning(StaffInvitation.id)
            invitation_id = int(rows[0]["id"])
            await outbox.record(tenant.id, TOPIC, invitation_id, {"send": 1})
    except asyncpg.UniqueViolationError:
        raise Conflict(f"{address} is already invited; send the invitation again from the list instead") from None
    return invitation_id


async def resend(tenant: Tenant, invitation_id: int) -> str:
    """A new mail with a new link; the old link stops working now. Returns the address."""
    async with StaffInvitation._meta.db.transaction():
        rows = await StaffInvitation.raw(
            """
            UPDATE staff_invitation SET sends = sends + 1, token_hash = NULL, token_expires_at = NULL
            WHERE id = {} AND company = {} AND accepted_at IS NULL
            RETURNING email, sends
            """,
            invitation_id,
            tenant.id,
        )
        if not rows:
            raise NotFound("no such invitation (it may have been accepted or withdrawn)")
        await outbox.record(tenant.id, TOPIC, invitation_id, {"send": int(rows[0]["sends"])})
    return str(rows[0]["email"])


async def withdraw(tenant: Tenant, invitation_id: int) -> str:
    """Delete a pending invitation (its link stops working, a mail not yet sent is not sent)."""
    rows = (
        await StaffInvitation.delete()
        .where(
            (StaffInvitation.id == invitation_id)
            & (StaffInvitation.company == tenant.id)
            & StaffInvitation.accepted_at.is_null()
        )
        .returning(StaffInvitation.email)
    )
    if not rows:
        raise NotFound("no such invitation (it may have been accepted or withdrawn)")
    return str(rows[0]["email"])


async def pending(tenant: Tenant) -> list[Pending]:
    rows = (
        await StaffInvitation.select()
        .where((StaffInvitation.company == tenant.id) & StaffInvitation.accepted_at.is_null())
        .order_by(StaffInvitation.created_at)
    )
    return [Pending(r["id"], r["email"], r["role"], r["created_at"], r["token_expires_at"]) for r in rows]


async def mint_token(invitation_id: int, send: int) -> tuple[str, datetime] | None:
    """A new token for this send of the invitation (replacing any earlier one) and its expiry; None when the
    invitation was accepted, withdrawn or sent again since (that later send makes its own)."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(days=INVITATION_DAYS)
    rows = (
        await StaffInvitation.update(
            {StaffInvitation.token_hash: _token_hash(token), StaffInvitation.token_expires_at: expires}
        )
        .where(
            (StaffInvitation.id == invitation_id)
            & (StaffInvitation.sends == send)
            & StaffInvitation.accepted_at.is_null()
        )
        .returning(StaffInvitation.id)
    )
    return (token, expires) if rows else None


async def open_link(token: str) -> Opened:
    if not token or len(token) > 100:
        return Opened("unknown")
    row = await StaffInvitation.select(
        StaffInvitation.email, StaffInvitation.role, StaffInvitation.accepted_at, StaffInvitation.token_expires_at,
        StaffInvitation.company.name.as_alias("company_name"),
    ).where(StaffInvitation.token_hash == _token_hash(token)).first()  # fmt: skip
    if row is None:
        return Opened("unknown")
    state: LinkState = "open"
    if row["accepted_at"] is not None:
        state = "accepted"
    elif row["token_expires_at"] is None or row["token_expires_at"] <= datetime.now(UTC):
        state = "expired"
    return Opened(state, row["company_name"], row["email"], row["role"])


def _password(password: str, repeated: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"choose a password of at least {MIN_PASSWORD} characters")
    if len(password) > 1000 or "\x00" in password:
        raise InvalidInput("choose a password of up to 1000 characters")
    if password != repeated:
        raise InvalidInput("the two passwords differ; type the same password twice")
    return password


async def accept(token: str, name: str, password: str, repeated: str) -> Staff:
    """Create the person's account from an open invitation (once: a second use finds it accepted)."""
    opened = await open_link(token)
    if opened.state != "open":
        raise Conflict(f"this invitation is {opened.state if opened.state != 'unknown' else 'no longer valid'}")
    try:
        person = contacts.person_name(name)
    except contacts.ContactError as exc:
        raise InvalidInput(str(exc)) from None
    password_hash = await asyncio.to_thread(hash_password, _password(password, repeated))
    try:
        async with StaffInvitation._meta.db.transaction():
            rows = await StaffInvitation.raw(
                """
                UPDATE staff_invitation SET accepted_at = now()
                WHERE token_hash = {} AND accepted_at IS NULL AND token_expires_at > now()
                RETURNING id, company, email, role
                """,
                _token_hash(token),
            )
            if not rows:
                raise Conflict("this invitation was used or has expired a moment ago")
            invitation = rows[0]
            created = await StaffUser.insert(
                StaffUser(
                    company=invitation["company"],
                    email=invitation["email"],
                    name=person,
                    role=invitation["role"],
                    password_hash=password_hash,
                )
            ).returning(StaffUser.id)
            await StaffInvitation.update({StaffInvitation.staff: created[0]["id"]}).where(
                StaffInvitation.id == invitation["id"]
            )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"{opened.email} already has a Rentcal account; log in with it instead") from None
    return Staff(created[0]["id"], invitation["company"], invitation["email"], person, invitation["role"])
