"""A staff member's busy time: their assignments, vacations and external calendars (fail closed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from calendars.tables import CalendarTarget, ExternalBusy
from rental import timeline
from rental.statuses import ACTIVE
from rental.tables import StaffUser
from rental.timeline import KINDS, Entry, Select
from rentcal.settings import get_settings


@dataclass
class StaffBusy:
    clashes: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # calendars we could not read: treated as busy

    @property
    def free(self) -> bool:
        return not self.clashes and not self.unknown


def _span(start: datetime, end: datetime, tz: ZoneInfo) -> str:
    start, end = start.astimezone(tz), end.astimezone(tz)
    return (
        f"{start:%a %d %b %H:%M}–{end:%H:%M}"
        if start.date() == end.date()
        else f"{start:%a %d %b %H:%M}–{end:%a %d %b %H:%M}"
    )


def _clash(entry: Entry, tz: ZoneInfo) -> str:
    when = _span(entry.starts_at, entry.ends_at, tz)
    if entry.kind == "block":
        return f"away: {entry.label} ({when})"
    if entry.kind == "booking":
        return f"booking #{entry.id}, {entry.product_name} for {entry.customer_name} ({when})"
    if entry.kind == "maintenance":
        return f"maintenance of {entry.unit_name} ({when})"
    return f"{entry.label} ({when})"


async def _assignments(staff_id: int, start: datetime, end: datetime, ignore_booking: int | None) -> list[str]:
    """The person's active work and their own block-outs (repeating ones expanded) overlapping the window."""
    row = await StaffUser.raw(
        "SELECT s.company, c.timezone FROM staff_user s JOIN company c ON c.id = s.company WHERE s.id = {}", staff_id
    )
    if not row:
        return []
    tz = ZoneInfo(row[0]["timezone"])
    mine = [Select(kind, staff_id=staff_id) for kind in KINDS]
    found = await timeline.select(mine, row[0]["company"], tz, start, end, statuses=ACTIVE)
    return [
        _clash(entry, tz)
        for entry in found
        if ignore_booking is None
        or ignore_booking not in ({entry.id} if entry.kind == "booking" else {entry.booking_id})
    ]


async def staff_busy(staff_id: int, start: datetime, end: datetime, *, ignore_booking: int | None = None) -> StaffBusy:
    """What keeps a person busy in [start, end): their other work (a delivery of the booking itself is no clash),
    their block-outs, busy time from their calendars, and calendars that could not be read (never free)."""
    result = StaffBusy()
    externals = await ExternalBusy.count().where(
        (ExternalBusy.staff == staff_id) & (ExternalBusy.starts_at < end) & (ExternalBusy.ends_at > start)
    )
    if externals:
        result.clashes.append(f"{externals} event(s) in their own calendar")
    result.clashes += await _assignments(staff_id, start, end, ignore_booking)
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
