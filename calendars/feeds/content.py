"""What each subscription feed contains: bookings, deliveries, maintenance and block-outs as `FeedEvent`s.

Minimal personal data: a customer appears as first name and last initial ("Alex B."), never
with e-mail, phone or address; delivery feeds carry the delivery address (the driver's job).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from calendars import palette
from calendars.ical import FeedEvent
from calendars.mail.texts import when
from calendars.palette import DEFAULT_STATUS_COLORS, PALETTE
from rental.recurrence import occurrences
from rental.statuses import ACTIVE, SHOWN_IN_CALENDARS, sql_list
from rental.tables import Booking

STATUS_COLORS = {status: PALETTE[name].css for status, name in DEFAULT_STATUS_COLORS.items()}
MAINTENANCE_COLOR = PALETTE[palette.MAINTENANCE_COLOR].css
DELIVERY_COLOR = PALETTE[palette.DELIVERY_COLOR].css


@dataclass(frozen=True)
class Scope:
    """Which rows a feed shows: None means the whole company."""

    company_id: int
    timezone: str
    host: str
    window: tuple[datetime, datetime]
    bookings: str | None = None  # "all" | "assigned" | "product"
    deliveries: str | None = None  # "all" | "driver"
    maintenance: str | None = None  # "all" | "technician" | "product"
    blocks: str | None = None  # "company" (closures, holidays) | "staff" (those and the person's own)
    staff_id: int | None = None
    product_id: int | None = None


def short_name(name: str) -> str:
    parts = name.split()
    if not parts:
        return "Customer"
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


# (source, mode) -> (SQL condition, the scope field it needs)
_FILTERS: dict[tuple[str, str], tuple[str, str | None]] = {
    ("bookings", "all"): ("", None),
    ("bookings", "assigned"): (" AND b.assigned_staff = {}", "staff_id"),
    ("bookings", "product"): (" AND b.product = {}", "product_id"),
    ("deliveries", "all"): ("", None),
    ("deliveries", "driver"): (" AND d.driver = {}", "staff_id"),
    ("maintenance", "all"): ("", None),
    ("maintenance", "technician"): (" AND m.technician = {}", "staff_id"),
    ("maintenance", "product"): (" AND u.product = {}", "product_id"),
    ("blocks", "company"): (" AND a.staff IS NULL", None),
    ("blocks", "staff"): (" AND (a.staff IS NULL OR a.staff = {})", "staff_id"),
}


def _query(source: str, sql: str, scope: Scope, mode: str) -> tuple[str, list[Any]]:
    condition, field = _FILTERS[(source, mode)]
    args: list[Any] = [scope.company_id, *scope.window] + ([getattr(scope, field)] if field else [])
    return sql.replace("{filter}", condition), args


def _sources(scope: Scope) -> list[tuple[str, str, str]]:
    found = [
        ("bookings", _BOOKINGS, scope.bookings),
        ("deliveries", _DELIVERIES, scope.deliveries),
        ("maintenance", _MAINTENANCE, scope.maintenance),
        ("blocks", _BLOCKS, scope.blocks),
    ]
    return [(source, sql, mode) for source, sql, mode in found if mode]


async def _rows(source: str, sql: str, scope: Scope, mode: str) -> list[dict[str, Any]]:
    query, args = _query(source, sql, scope, mode)
    return list(await Booking.raw(query, *args))


async def fingerprint(scope: Scope) -> str:
    """A digest of every row the feed would show, computed in the database (no rows travel, no rendering).

    Each row's text form is hashed and the hashes summed: order-free, and the output order follows from the
    values themselves. A 304 costs this one query.
    """
    parts: list[str] = []
    args: list[Any] = []
    for source, sql, mode in _sources(scope):
        query, query_args = _query(source, sql, scope, mode)
        digest = "SELECT count(*) || ':' || coalesce(sum(hashtextextended(t::text, 0)), 0)"
        parts.append(f"({digest} FROM ({query}) t)")  # our own constant queries; values are bound
        args += query_args
    rows = await Booking.raw("SELECT " + " || '/' || ".join(parts or ["''"]) + " AS digest", *args)
    return str(rows[0]["digest"])


_BOOKINGS = """
SELECT b.id, b.status, b.starts_at, b.ends_at, b.pickup_location, b.sequence, b.updated_at,
       p.name AS product_name, u.name AS unit_name, b.customer_name
FROM booking b JOIN product p ON p.id = b.product JOIN unit u ON u.id = b.unit
WHERE b.company = {} AND b.ends_at > {} AND b.starts_at < {}
  AND b.status IN {shown}{filter}
ORDER BY b.starts_at, b.id
""".replace("{shown}", sql_list(SHOWN_IN_CALENDARS))
_DELIVERIES = """
SELECT d.id, d.kind, d.starts_at, d.ends_at, d.address, d.route_order, d.sequence,
       GREATEST(d.updated_at, b.updated_at) AS updated_at,
       u.name AS unit_name, b.customer_name
FROM delivery d JOIN booking b ON b.id = d.booking JOIN unit u ON u.id = b.unit
WHERE d.company = {} AND d.ends_at > {} AND d.starts_at < {}
  AND b.status IN {active}{filter}
ORDER BY d.starts_at, d.id
""".replace("{active}", sql_list(ACTIVE))
_MAINTENANCE = """
SELECT m.id, m.starts_at, m.ends_at, m.description, m.sequence, m.updated_at, u.name AS unit_name
FROM maintenance_schedule m JOIN unit u ON u.id = m.unit
WHERE m.company = {} AND m.ends_at > {} AND m.starts_at < {}{filter}
ORDER BY m.starts_at, m.id
"""

# Company-wide block-outs (closures, holidays) and staff ones; unit and product downtime is not a closure.
_BLOCKS = """
SELECT a.id, a.blocked_from, a.blocked_until, a.rrule, a.all_day, a.reason, a.staff, a.created_at
FROM availability_block a
WHERE a.company = {} AND (a.blocked_until > {} OR a.rrule IS NOT NULL) AND a.blocked_from < {}
  AND a.product IS NULL AND a.unit IS NULL{filter}
ORDER BY a.blocked_from, a.id
"""


def booking_event(row: dict[str, Any], host: str, timezone: str) -> FeedEvent:
    status, tz = row["status"], ZoneInfo(timezone)
    return FeedEvent(
        uid=f"booking-{row['id']}@{host}",
        summary=f"{row['product_name']} · {short_name(row['customer_name'])}" + (" (pending)" * (status == "pending")),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        timezone=timezone,
        last_modified=row["updated_at"],
        description=f"Unit: {row['unit_name']}\nPickup: {when(row['starts_at'], tz)}\n"
        f"Return: {when(row['ends_at'], tz)}\nStatus: {status.replace('_', ' ')}\nBooking #{row['id']}",
        location=row["pickup_location"] or None,
        status="TENTATIVE" if status == "pending" else "CONFIRMED",
        color=STATUS_COLORS.get(status),
        categories=("Booking",),
        sequence=row["sequence"],
    )


def delivery_event(row: dict[str, Any], host: str, timezone: str) -> FeedEvent:
    label = "Delivery" if row["kind"] == "delivery" else "Pickup"
    return FeedEvent(
        uid=f"delivery-{row['id']}@{host}",
        summary=f"{label} #{row['route_order']}: {row['unit_name']}",
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        timezone=timezone,
        last_modified=row["updated_at"],
        description=f"Stop {row['route_order']} of the route\nUnit: {row['unit_name']}\n"
        f"Customer: {short_name(row['customer_name'])}",
        location=row["address"] or None,
        color=DELIVERY_COLOR,
        categories=(label,),
        sequence=row["sequence"],
    )


def maintenance_event(row: dict[str, Any], host: str, timezone: str) -> FeedEvent:
    return FeedEvent(
        uid=f"maintenance-{row['id']}@{host}",
        summary=f"Maintenance: {row['unit_name']}",
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        timezone=timezone,
        last_modified=row["updated_at"],
        description=row["description"],
        color=MAINTENANCE_COLOR,
        categories=("Maintenance",),
        sequence=row["sequence"],
    )


BUILDERS: dict[str, Callable[[dict[str, Any], str, str], FeedEvent]] = {
    "bookings": booking_event,
    "deliveries": delivery_event,
    "maintenance": maintenance_event,
}


def block_events(row: dict[str, Any], host: str, timezone: str, window: tuple[datetime, datetime]) -> list[FeedEvent]:
    """One event per occurrence inside the window; all-day block-outs as DATE values."""
    tz = ZoneInfo(timezone)
    personal = row["staff"] is not None
    summary = row["reason"] or ("Away" if personal else "Closed")
    found = occurrences(row["blocked_from"], row["blocked_until"], row["rrule"], tz, *window, row["all_day"])
    events = []
    for start, end in found:
        day = start.astimezone(tz).date()
        days = (day, max(end.astimezone(tz).date(), day + timedelta(days=1))) if row["all_day"] else None
        events.append(
            FeedEvent(
                uid=f"block-{row['id']}" + (f"-{day:%Y%m%d}" if row["rrule"] else "") + f"@{host}",
                summary=summary,
                starts_at=start,
                ends_at=end,
                timezone=timezone,
                last_modified=row["created_at"],
                description="Time off" if personal else "Closed: no pickup or return",
                categories=("Time off" if personal else "Closure",),
                all_day=days,
            )
        )
    return events


@lru_cache(maxsize=50_000)
def _event(source: str, items: tuple[tuple[str, Any], ...], host: str, timezone: str) -> FeedEvent:
    """Unchanged rows give the same (validated, immutable) FeedEvent without building it again."""
    return BUILDERS[source](dict(items), host, timezone)


async def feed_events(scope: Scope) -> Sequence[FeedEvent]:
    events: list[FeedEvent] = []
    for source, sql, mode in _sources(scope):
        rows = await _rows(source, sql, scope, mode)
        if source == "blocks":
            events += [event for row in rows for event in block_events(row, scope.host, scope.timezone, scope.window)]
            continue
        events += [_event(source, tuple(row.items()), scope.host, scope.timezone) for row in rows]
    return events
