"""A staff member's busy time: their assignments, vacations and external calendars (fail closed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from calendars.tables import CalendarTarget, ExternalBusy
from rental.recurrence import occurrences
from rental.statuses import ACTIVE
from rental.tables import AvailabilityBlock, Booking, Delivery, MaintenanceSchedule
from rentcal.settings import get_settings


@dataclass
class StaffBusy:
    clashes: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # calendars we could not read: treated as busy

    @property
    def free(self) -> bool:
        return not self.clashes and not self.unknown


async def _vacations(staff_id: int, start: datetime, end: datetime) -> list[str]:
    """Reasons of the staff member's block-outs overlapping the window, recurring ones expanded."""
    rows = await AvailabilityBlock.raw(
        """
        SELECT b.blocked_from, b.blocked_until, b.rrule, b.reason, c.timezone FROM availability_block b
        JOIN company c ON c.id = b.company
        WHERE b.staff = {} AND b.blocked_from < {} AND (b.blocked_until > {} OR b.rrule IS NOT NULL)
        """,
        staff_id,
        end,
        start,
    )
    reasons = []
    for row in rows:
        spans = occurrences(
            row["blocked_from"], row["blocked_until"], row["rrule"], ZoneInfo(row["timezone"]), start, end
        )
        if next(iter(spans), None) is not None:
            reasons.append(row["reason"] or "vacation")
    return reasons


async def staff_busy(staff_id: int, start: datetime, end: datetime, *, ignore_booking: int | None = None) -> StaffBusy:
    result = StaffBusy()
    overlap = {"s": start, "e": end}
    externals = await ExternalBusy.count().where(
        (ExternalBusy.staff == staff_id)
        & (ExternalBusy.starts_at < overlap["e"])
        & (ExternalBusy.ends_at > overlap["s"])
    )
    if externals:
        result.clashes.append(f"{externals} event(s) in their own calendar")
    result.clashes += [f"away: {reason}" for reason in await _vacations(staff_id, start, end)]
    booking_condition = (
        (Booking.assigned_staff == staff_id)
        & (Booking.starts_at < end)
        & (Booking.ends_at > start)
        & Booking.status.is_in(list(ACTIVE))
    )
    if ignore_booking is not None:
        booking_condition &= Booking.id != ignore_booking
    for row in await Booking.select(Booking.id).where(booking_condition):
        result.clashes.append(f"booking #{row['id']}")
    for row in await MaintenanceSchedule.select(MaintenanceSchedule.id).where(
        (MaintenanceSchedule.technician == staff_id)
        & (MaintenanceSchedule.starts_at < end)
        & (MaintenanceSchedule.ends_at > start)
    ):
        result.clashes.append(f"maintenance #{row['id']}")
    for row in await Delivery.select(Delivery.id).where(
        (Delivery.driver == staff_id) & (Delivery.starts_at < end) & (Delivery.ends_at > start)
    ):
        result.clashes.append(f"delivery #{row['id']}")
    stale = datetime.now(UTC) - timedelta(minutes=2 * get_settings().inbound_sync_minutes + 5)
    rows = await CalendarTarget.raw(
        """
        SELECT t.name, t.read_error, t.last_read_at, i.status FROM calendar_target t
        JOIN calendar_integration i ON i.id = t.integration
        WHERE i.user = {} AND t.read_busy AND i.status <> 'disconnected'
        """,
        staff_id,
    )
    for row in rows:
        if row["status"] == "needs_reconnect":
            result.unknown.append(f"calendar '{row['name']}' needs to be reconnected")
        elif row["read_error"]:
            result.unknown.append(f"calendar '{row['name']}' could not be read")
        elif row["last_read_at"] is None or row["last_read_at"] < stale:
            result.unknown.append(f"calendar '{row['name']}' has not been read recently")
    return result
