"""Managers keep the team: each person's role, and who may still sign in."""

from __future__ import annotations

from rental.accounts import Staff
from rental.errors import Forbidden, InvalidInput, NotFound
from rental.statuses import ROLES
from rental.tables import StaffUser
from rental.tenants import Tenant


async def change_member(tenant: Tenant, by: Staff, staff_id: int, role: str, active: bool) -> None:
    """Set a person's role and whether they can sign in (deactivated people keep their history)."""
    if role not in ROLES:
        raise InvalidInput(f"choose a role: {', '.join(ROLES)}")
    if staff_id == by.id and (role != by.role or not active):
        raise Forbidden("you cannot change your own role or deactivate yourself; ask another manager")
    if role == "admin" and by.role != "admin":
        raise Forbidden("only an admin can make someone an admin")
    target = await StaffUser.select(StaffUser.role).where(
        (StaffUser.id == staff_id) & (StaffUser.company == tenant.id)
    ).first()  # fmt: skip
    if target is None:
        raise NotFound("no such staff member")
    if target["role"] == "admin" and by.role != "admin":
        raise Forbidden("only an admin can change an admin")
    await StaffUser.update({StaffUser.role: role, StaffUser.active: active}).where(
        (StaffUser.id == staff_id) & (StaffUser.company == tenant.id)
    )


async def list_members(tenant: Tenant) -> list[dict[str, object]]:
    return list(
        await StaffUser.select(StaffUser.id, StaffUser.name, StaffUser.email, StaffUser.role, StaffUser.active)
        .where(StaffUser.company == tenant.id)
        .order_by(StaffUser.name)
    )
