"""The conflict inbox: changes from calendars we could not apply, with one-click resolutions.

A refused move (the calendar shows our time again): accept the external time (on another free unit when
its own is taken), keep ours, or cancel the booking. An item deleted in a calendar: restore it there, or
cancel it. Every resolution goes through the rental services and the outbox, so every calendar follows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

import msgspec

from calendars.schemas import Conflict
from calendars.tables import CalendarEvent, SyncConflict
from rental import bookings, outbox, schedules
from rental.errors import Conflict as Refused
from rental.errors import InvalidInput, NotFound
from rental.schemas import BookingUpdate
from rental.tenants import Tenant

Choice = Literal["accept", "keep", "restore", "cancel"]
CHOICES: dict[str, tuple[Choice, ...]] = {
    "move_refused": ("accept", "keep", "cancel"),
    "remote_deleted": ("restore", "cancel"),
}
KIND_NAMES = {"booking": "Booking", "maintenance": "Maintenance", "delivery": "Delivery"}


class ConflictView(msgspec.Struct, frozen=True):
    conflict: Conflict
    label: str  # "Booking 12 · Ada Lovelace · Excavator XL, Unit 1"
    link: str
    calendar: str  # whose calendar: "Max Manager (Google)"
    ours_starts_at: datetime | None
    ours_ends_at: datetime | None
    choices: tuple[Choice, ...]


def _conflict(row: dict[str, object]) -> Conflict:
    return msgspec.convert({**row, "integration_id": row["integration"]}, Conflict, from_attributes=False, strict=False)


async def count_open(tenant: Tenant) -> int:
    return int(
        await SyncConflict.count().where((SyncConflict.company == tenant.id) & SyncConflict.resolved_at.is_null())
    )


async def _label(tenant: Tenant, item_key: str) -> tuple[str, str, datetime | None, datetime | None]:
    kind, _, raw_id = item_key.partition(":")
    name = f"{KIND_NAMES.get(kind, 'Item')} {raw_id}"
    try:
        if kind == "booking":
            b = await bookings.get_booking(tenant, int(raw_id))
            label = f"{name} · {b.customer.name} · {b.product_name}, {b.unit_name} ({b.status.replace('_', ' ')})"
            return label, f"/portal/bookings/{b.id}", b.starts_at, b.ends_at
        if kind == "delivery":
            d = await schedules.get_delivery(tenant, int(raw_id))
            return f"{name} · {d.address}", f"/portal/bookings/{d.booking_id}", d.starts_at, d.ends_at
        if kind == "maintenance":
            m = await schedules.get_maintenance(tenant, int(raw_id))
            return f"{name} · {m.description}", f"/portal/team?unit={m.unit_id}", m.starts_at, m.ends_at
    except NotFound:
        return f"{name} (no longer exists)", "/portal/conflicts", None, None
    return name, "/portal/conflicts", None, None


async def open_conflicts(tenant: Tenant) -> list[ConflictView]:
    rows = await SyncConflict.raw(
        """
        SELECT c.*, s.name AS person, i.provider FROM sync_conflict c
        JOIN calendar_integration i ON i.id = c.integration JOIN staff_user s ON s.id = i.user
        WHERE c.company = {} AND c.resolved_at IS NULL ORDER BY c.created_at, c.id
        """,
        tenant.id,
    )
    views = []
    for row in rows:
        label, link, starts, ends = await _label(tenant, row["item_key"])
        views.append(
            ConflictView(
                _conflict(row), label, link, f"{row['person']} ({str(row['provider']).capitalize()})", starts, ends,
                CHOICES.get(row["kind"], ()),
            )
        )  # fmt: skip
    return views


async def _resync(tenant: Tenant, item_key: str) -> None:
    """Ask for a push of the item to every calendar (through the outbox, like any change)."""
    await outbox.record(tenant.id, "sync.item", int(item_key.partition(":")[2]), {"item_key": item_key})


async def _cancel(tenant: Tenant, item_key: str) -> None:
    kind, _, raw_id = item_key.partition(":")
    if kind == "booking":
        await bookings.cancel_booking(tenant, int(raw_id))
    elif kind == "delivery":
        await schedules.delete_delivery(tenant, int(raw_id))
    elif kind == "maintenance":
        await schedules.delete_maintenance(tenant, int(raw_id))


async def resolve(tenant: Tenant, conflict_id: int, choice: str) -> str:
    """Apply a resolution and close the conflict (and any other open one of the same item); what was done."""
    row = (
        await SyncConflict.select()
        .where((SyncConflict.id == conflict_id) & (SyncConflict.company == tenant.id))
        .first()
    )
    if row is None:
        raise NotFound(f"conflict {conflict_id} not found")
    if row["resolved_at"] is not None:
        raise Refused("this conflict was already resolved")
    if choice not in CHOICES.get(row["kind"], ()):
        raise InvalidInput(f"“{choice}” is not a resolution of this conflict")
    key: str = row["item_key"]
    kind = key.partition(":")[0]
    done = ""
    if choice == "accept":
        if kind != "booking" or row["remote_starts_at"] is None or row["remote_ends_at"] is None:
            raise InvalidInput("only a booking's move can be accepted")
        update = BookingUpdate(starts_at=row["remote_starts_at"], ends_at=row["remote_ends_at"], confirm_past=True)
        moved = await bookings.update_booking(tenant, int(key.partition(":")[2]), update)
        done = f"moved to the calendar's time (on {moved.unit_name})"
    elif choice == "keep":
        await _resync(tenant, key)
        done = "kept at our time; the calendars show it again"
    elif choice == "restore":
        # the event was deleted there: forget it (the next push creates it anew under a fresh id)
        await CalendarEvent.update({CalendarEvent.state: "deleted"}).where(
            (CalendarEvent.integration == row["integration"])
            & (CalendarEvent.item_key == key)
            & (CalendarEvent.state == "remote_deleted")
        )
        await _resync(tenant, key)
        done = "restored in the calendar"
    else:
        await _cancel(tenant, key)
        done = "cancelled" if kind == "booking" else "deleted"
    await SyncConflict.update({SyncConflict.resolved_at: datetime.now(UTC)}).where(
        (SyncConflict.company == tenant.id) & (SyncConflict.item_key == key) & SyncConflict.resolved_at.is_null()
    )
    return done
