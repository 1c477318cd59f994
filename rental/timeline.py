"""One read model of the schedule: what happens when, on which unit, to whom.

`entries` returns bookings, maintenance, deliveries/pickups and block-outs (recurring ones expanded
in the company's wall-clock time) for a window of local days; the team calendar, its JSON twin and the
daily pages read it, so they can never disagree. Clash detection over it is pure (`rental.clashes`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import msgspec

from rental.availability import check_range
from rental.daystatus import day_bounds
from rental.recurrence import occurrences
from rental.statuses import ACTIVE, SHOWN_IN_CALENDARS
from rental.tables import Booking
from rental.tenants import Tenant

Kind = Literal["booking", "maintenance", "delivery", "block"]
KINDS: tuple[Kind, ...] = ("booking", "maintenance", "delivery", "block")


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    """One thing on the schedule. `status` is the booking status for bookings and their deliveries,
    "maintenance" for maintenance, "closed" for unit/product/company block-outs, "away" for staff ones."""

    kind: Kind
    id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    label: str
    unit_id: int | None = None
    unit_name: str = ""
    product_id: int | None = None
    product_name: str = ""
    staff_id: int | None = None
    booking_id: int | None = None  # deliveries: the booking they serve
    delivery_kind: str = ""  # delivery | pickup
    address: str = ""
    phone: str = ""
    route_order: int = 0

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    @property
    def is_work(self) -> bool:
        """An assignment that keeps its person (and for bookings, its unit) busy."""
        if self.kind == "maintenance":
            return True
        return self.kind in ("booking", "delivery") and self.status in ACTIVE

    @property
    def is_closure(self) -> bool:
        return self.kind == "block" and self.staff_id is None


@dataclass(frozen=True)
class Scope:
    """Which entries to return; None means no restriction on that axis."""

    kinds: Collection[str] | None = None
    product_ids: Collection[int] | None = None
    unit_ids: Collection[int] | None = None
    staff_ids: Collection[int] | None = None  # work assigned to these people, and their own block-outs
    include_cancelled: bool = False

    def admits(self, entry: Entry) -> bool:
        """Entries not tied to an axis (a company closure has no unit) pass that axis' filter."""
        if self.kinds is not None and entry.kind not in self.kinds:
            return False
        if self.staff_ids is not None and entry.staff_id not in self.staff_ids:
            return False
        if self.product_ids is not None and entry.product_id is not None and entry.product_id not in self.product_ids:
            return False
        return self.unit_ids is None or entry.unit_id is None or entry.unit_id in self.unit_ids


_BOOKINGS = """
SELECT b.id, b.unit, u.name AS unit_name, b.product, p.name AS product_name, b.assigned_staff,
       b.starts_at, b.ends_at, b.status, c.name AS customer_name, c.phone, b.pickup_location
FROM booking b JOIN unit u ON u.id = b.unit JOIN product p ON p.id = b.product JOIN customer c ON c.id = b.customer
WHERE b.company = {} AND b.starts_at < {} AND b.ends_at > {} AND b.status = ANY({})
"""
_MAINTENANCE = """
SELECT m.id, m.unit, u.name AS unit_name, u.product, p.name AS product_name, m.technician,
       m.starts_at, m.ends_at, m.description
FROM maintenance_schedule m JOIN unit u ON u.id = m.unit JOIN product p ON p.id = u.product
WHERE m.company = {} AND m.starts_at < {} AND m.ends_at > {}
"""
_DELIVERIES = """
SELECT d.id, b.unit, u.name AS unit_name, b.product, p.name AS product_name, d.driver, d.starts_at, d.ends_at,
       d.kind, d.address, d.route_order, b.id AS booking_id, b.status, c.name AS customer_name, c.phone
FROM delivery d JOIN booking b ON b.id = d.booking JOIN unit u ON u.id = b.unit
JOIN product p ON p.id = b.product JOIN customer c ON c.id = b.customer
WHERE d.company = {} AND d.starts_at < {} AND d.ends_at > {} AND b.status = ANY({})
"""
_BLOCKS = """
SELECT a.id, a.unit, u.name AS unit_name, coalesce(a.product, u.product) AS product, p.name AS product_name,
       a.staff, a.blocked_from, a.blocked_until, a.rrule, a.reason
FROM availability_block a LEFT JOIN unit u ON u.id = a.unit
LEFT JOIN product p ON p.id = coalesce(a.product, u.product)
WHERE a.company = {} AND a.blocked_from < {} AND (a.blocked_until > {} OR a.rrule IS NOT NULL)
"""


def _booking(r: dict[str, Any]) -> Entry:
    return Entry(
        kind="booking", id=r["id"], starts_at=r["starts_at"], ends_at=r["ends_at"], status=r["status"],
        label=r["customer_name"], unit_id=r["unit"], unit_name=r["unit_name"], product_id=r["product"],
        product_name=r["product_name"], staff_id=r["assigned_staff"], address=r["pickup_location"], phone=r["phone"],
    )  # fmt: skip


def _maintenance(r: dict[str, Any]) -> Entry:
    return Entry(
        kind="maintenance", id=r["id"], starts_at=r["starts_at"], ends_at=r["ends_at"], status="maintenance",
        label=r["description"] or "Maintenance", unit_id=r["unit"], unit_name=r["unit_name"],
        product_id=r["product"], product_name=r["product_name"], staff_id=r["technician"],
    )  # fmt: skip


def _delivery(r: dict[str, Any]) -> Entry:
    what = "Delivery" if r["kind"] == "delivery" else "Collection"
    return Entry(
        kind="delivery", id=r["id"], starts_at=r["starts_at"], ends_at=r["ends_at"], status=r["status"],
        label=f"{what} · {r['customer_name']}", unit_id=r["unit"], unit_name=r["unit_name"], product_id=r["product"],
        product_name=r["product_name"], staff_id=r["driver"], booking_id=r["booking_id"], delivery_kind=r["kind"],
        address=r["address"], phone=r["phone"], route_order=r["route_order"],
    )  # fmt: skip


def block_entries(row: dict[str, Any], tz: ZoneInfo, start: datetime, end: datetime) -> Iterable[Entry]:
    """Every occurrence of one block-out row inside [start, end) (RRULEs in local wall-clock time)."""
    away = row["staff"] is not None
    label = row["reason"] or ("Away" if away else "Closed")
    for s, e in occurrences(row["blocked_from"], row["blocked_until"], row["rrule"], tz, start, end):
        yield Entry(
            kind="block", id=row["id"], starts_at=s, ends_at=e, status="away" if away else "closed", label=label,
            unit_id=row["unit"], unit_name=row["unit_name"] or "", product_id=row["product"],
            product_name=row["product_name"] or "", staff_id=row["staff"],
        )  # fmt: skip


def window(tenant: Tenant, first: date, last: date) -> tuple[datetime, datetime]:
    """[first local midnight, midnight after last) in the company's zone."""
    check_range(first, last)
    return day_bounds(first, tenant.tz)[0], day_bounds(last, tenant.tz)[1]


async def entries(tenant: Tenant, first: date, last: date, scope: Scope | None = None) -> list[Entry]:
    """Everything on the schedule between two local dates (inclusive), sorted by start."""
    scope = scope or Scope()
    start, end = window(tenant, first, last)
    statuses = list(SHOWN_IN_CALENDARS) + (["cancelled"] if scope.include_cancelled else [])
    wanted = set(scope.kinds) if scope.kinds is not None else set(KINDS)
    out: list[Entry] = []
    if "booking" in wanted:
        out += map(_booking, await Booking.raw(_BOOKINGS, tenant.id, end, start, statuses))
    if "maintenance" in wanted:
        out += map(_maintenance, await Booking.raw(_MAINTENANCE, tenant.id, end, start))
    if "delivery" in wanted:
        out += map(_delivery, await Booking.raw(_DELIVERIES, tenant.id, end, start, statuses))
    if "block" in wanted:
        for row in await Booking.raw(_BLOCKS, tenant.id, end, start):
            out += block_entries(row, tenant.tz, start, end)
    return sorted((e for e in out if scope.admits(e)), key=lambda e: (e.starts_at, e.kind, e.id))
