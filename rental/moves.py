"""Move, resize or reassign one schedule entry through its own service (the team calendar's drag and form).

Shifts are applied in the company's wall-clock time, so "one day later" stays 09:00 across a DST change.
The previous state is returned so the caller can offer an undo, which is just another move.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from msgspec import UNSET, UnsetType

from rental import bookings, schedules
from rental.errors import InvalidInput
from rental.schemas import BookingUpdate, DeliveryUpdate, MaintenanceUpdate
from rental.tenants import Tenant


@dataclass(frozen=True)
class Placement:
    """Where an entry is: its times, unit and person."""

    kind: str
    id: int
    starts_at: datetime
    ends_at: datetime
    unit_id: int | None
    staff_id: int | None


@dataclass(frozen=True)
class Move:
    starts_at: datetime | None = None  # absolute, or
    ends_at: datetime | None = None
    shift_minutes: int = 0  # both ends, wall-clock
    resize_minutes: int = 0  # the end only, wall-clock
    unit_id: int | UnsetType = UNSET
    staff_id: int | UnsetType | None = UNSET  # None: unassign
    confirm_past: bool = False  # a booking into the past only on purpose


def shifted(at: datetime, minutes: int, tz: ZoneInfo) -> datetime:
    local = at.astimezone(tz).replace(tzinfo=None) + timedelta(minutes=minutes)
    return local.replace(tzinfo=tz)


async def placement(tenant: Tenant, kind: str, entry_id: int) -> Placement:
    if kind == "booking":
        b = await bookings.get_booking(tenant, entry_id)
        return Placement(kind, b.id, b.starts_at, b.ends_at, b.unit_id, b.assigned_staff_id)
    if kind == "maintenance":
        m = await schedules.get_maintenance(tenant, entry_id)
        return Placement(kind, m.id, m.starts_at, m.ends_at, m.unit_id, m.technician_id)
    if kind == "delivery":
        d = await schedules.get_delivery(tenant, entry_id)
        return Placement(kind, d.id, d.starts_at, d.ends_at, None, d.driver_id)
    raise InvalidInput("only bookings, maintenance and deliveries can be moved here")


async def move(tenant: Tenant, kind: str, entry_id: int, change: Move) -> tuple[Placement, Placement]:
    """(before, after). Raises Conflict (409) when the unit is taken; nothing changes then."""
    before = await placement(tenant, kind, entry_id)
    starts = change.starts_at or shifted(before.starts_at, change.shift_minutes, tenant.tz)
    ends = change.ends_at or shifted(before.ends_at, change.shift_minutes + change.resize_minutes, tenant.tz)
    if kind == "booking":
        await bookings.update_booking(tenant, entry_id, BookingUpdate(
            starts_at=starts, ends_at=ends, unit_id=change.unit_id, assigned_staff_id=change.staff_id,
            confirm_past=change.confirm_past))  # fmt: skip
    elif change.unit_id is not UNSET and change.unit_id != before.unit_id:
        raise InvalidInput(f"a {kind} stays with its unit: move the booking, or plan it again on the other unit")
    elif kind == "maintenance":
        await schedules.update_maintenance(tenant, entry_id, MaintenanceUpdate(
            starts_at=starts, ends_at=ends, technician_id=change.staff_id))  # fmt: skip
    else:
        await schedules.update_delivery(tenant, entry_id, DeliveryUpdate(
            starts_at=starts, ends_at=ends, driver_id=change.staff_id))  # fmt: skip
    return before, await placement(tenant, kind, entry_id)
