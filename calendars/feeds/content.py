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
from rental import timeline, timeline_sql
from rental.tables import Booking
from rental.timeline import Entry, Kind, Select

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


_KINDS: dict[str, Kind] = {"bookings": "booking", "deliveries": "delivery", "maintenance": "maintenance"}


def selects(scope: Scope) -> list[Select]:
    """What the feed shows, as the schedule's read model names it."""
    found: list[Select] = []
    for source, mode in (("bookings", scope.bookings), ("deliveries", scope.deliveries)):
        if mode:
            found.append(_narrowed(_KINDS[source], mode, scope))
    if scope.maintenance:
        found.append(_narrowed("maintenance", scope.maintenance, scope))
    if scope.blocks:
        found.append(Select("block", staff_id=scope.staff_id if scope.blocks == "staff" else None, company_wide=True))
    return found


def _narrowed(kind: Kind, mode: str, scope: Scope) -> Select:
    if mode == "product":
        return Select(kind, product_id=scope.product_id)
    if mode in ("assigned", "driver", "technician"):
        return Select(kind, staff_id=scope.staff_id)
    return Select(kind)


async def fingerprint(scope: Scope) -> str:
    """A digest of every row the feed would show, computed in the database (no rows travel, no rendering).

    Each row's text form is hashed and the hashes summed: order-free, and the output order follows from the
    values themselves. A 304 costs this one query.
    """
    parts: list[str] = []
    args: list[Any] = []
    for one in selects(scope):
        query, query_args = timeline_sql.query(
            one, company_id=scope.company_id, start=scope.window[0], end=scope.window[1]
        )
        digest = "SELECT count(*) || ':' || coalesce(sum(hashtextextended(t::text, 0)), 0)"
        parts.append(f"({digest} FROM ({query}) t)")  # our own constant queries; values are bound
        args += query_args
    rows = await Booking.raw("SELECT " + " || '/' || ".join(parts or ["''"]) + " AS digest", *args)
    return str(rows[0]["digest"])


def booking_event(entry: Entry, host: str, timezone: str) -> FeedEvent:
    status, tz = entry.status, ZoneInfo(timezone)
    return FeedEvent(
        uid=f"booking-{entry.id}@{host}",
        summary=f"{entry.product_name} · {short_name(entry.customer_name)}" + (" (pending)" * (status == "pending")),
        starts_at=entry.starts_at,
        ends_at=entry.ends_at,
        timezone=timezone,
        last_modified=entry.updated_at,
        description=f"Unit: {entry.unit_name}\nPickup: {when(entry.starts_at, tz)}\n"
        f"Return: {when(entry.ends_at, tz)}\nStatus: {status.replace('_', ' ')}\nBooking #{entry.id}",
        location=entry.address or None,
        status="TENTATIVE" if status == "pending" else "CONFIRMED",
        color=STATUS_COLORS.get(status),
        categories=("Booking",),
        sequence=entry.sequence,
    )


def delivery_event(entry: Entry, host: str, timezone: str) -> FeedEvent:
    label = "Delivery" if entry.delivery_kind == "delivery" else "Pickup"
    return FeedEvent(
        uid=f"delivery-{entry.id}@{host}",
        summary=f"{label} #{entry.route_order}: {entry.unit_name}",
        starts_at=entry.starts_at,
        ends_at=entry.ends_at,
        timezone=timezone,
        last_modified=entry.updated_at,
        description=f"Stop {entry.route_order} of the route\nUnit: {entry.unit_name}\n"
        f"Customer: {short_name(entry.customer_name)}",
        location=entry.address or None,
        color=DELIVERY_COLOR,
        categories=(label,),
        sequence=entry.sequence,
    )


def maintenance_event(entry: Entry, host: str, timezone: str) -> FeedEvent:
    return FeedEvent(
        uid=f"maintenance-{entry.id}@{host}",
        summary=f"Maintenance: {entry.unit_name}",
        starts_at=entry.starts_at,
        ends_at=entry.ends_at,
        timezone=timezone,
        last_modified=entry.updated_at,
        description=entry.notes,
        color=MAINTENANCE_COLOR,
        categories=("Maintenance",),
        sequence=entry.sequence,
    )


def block_event(entry: Entry, host: str, timezone: str) -> FeedEvent:
    """One occurrence; all-day block-outs as DATE values, each occurrence of a repeating one its own UID."""
    tz = ZoneInfo(timezone)
    personal = entry.staff_id is not None
    day = entry.starts_at.astimezone(tz).date()
    days = (day, max(entry.ends_at.astimezone(tz).date(), day + timedelta(days=1))) if entry.all_day else None
    return FeedEvent(
        uid=f"block-{entry.id}" + (f"-{day:%Y%m%d}" if entry.recurring else "") + f"@{host}",
        summary=entry.label,
        starts_at=entry.starts_at,
        ends_at=entry.ends_at,
        timezone=timezone,
        last_modified=entry.updated_at,
        description="Time off" if personal else "Closed: no pickup or return",
        categories=("Time off" if personal else "Closure",),
        all_day=days,
    )


BUILDERS: dict[str, Callable[[Entry, str, str], FeedEvent]] = {
    "booking": booking_event,
    "delivery": delivery_event,
    "maintenance": maintenance_event,
    "block": block_event,
}


@lru_cache(maxsize=50_000)
def _event(entry: Entry, host: str, timezone: str) -> FeedEvent:
    """Unchanged entries give the same (validated, immutable) FeedEvent without building it again."""
    return BUILDERS[entry.kind](entry, host, timezone)


async def feed_events(scope: Scope) -> Sequence[FeedEvent]:
    found = await timeline.select(selects(scope), scope.company_id, ZoneInfo(scope.timezone), *scope.window)
    return [_event(entry, scope.host, scope.timezone) for entry in found]
