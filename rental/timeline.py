"""One read model of the schedule: what happens when, on which unit, to whom.

`entries` returns bookings, maintenance, deliveries/pickups and block-outs (recurring ones expanded
in the company's wall-clock time) for a window of local days; the team calendar, its JSON twin and the
daily pages read it, so they can never disagree. Clash detection over it is pure (`rental.clashes`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from rental.availability import check_range
from rental.daystatus import day_bounds
from rental.recurrence import occurrences
from rental.statuses import ACTIVE, SHOWN_IN_CALENDARS
from rental.tables import Booking
from rental.tenants import Tenant
from rental.timeline_sql import KINDS, Kind, Select, query

__all__ = ["KINDS", "Entry", "Kind", "Scope", "Select", "by_keys", "entries", "handovers", "select", "window"]


NEVER = datetime(1970, 1, 1, tzinfo=UTC)


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
    company_id: int = 0
    sequence: int = 0  # raised on every change a calendar must learn of (iCalendar SEQUENCE)
    updated_at: datetime = NEVER  # block-outs: when they were created
    customer_name: str = ""  # the name and contact given with the booking
    customer_email: str = ""
    notes: str = ""
    all_day: bool = False  # block-outs of whole local days
    recurring: bool = False  # an occurrence of a repeating block-out
    blocks: str = ""  # closures: "handover" (no pickup or return on its days) or "equipment" (the unit is out)

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


def _booking(r: dict[str, Any]) -> Entry:
    return Entry(
        kind="booking", id=r["id"], starts_at=r["starts_at"], ends_at=r["ends_at"], status=r["status"],
        label=r["customer_name"], unit_id=r["unit"], unit_name=r["unit_name"], product_id=r["product"],
        product_name=r["product_name"], staff_id=r["staff"], address=r["address"], phone=r["customer_phone"],
        company_id=r["company"], sequence=r["sequence"], updated_at=r["updated_at"],
        customer_name=r["customer_name"], customer_email=r["customer_email"],
    )  # fmt: skip


def _maintenance(r: dict[str, Any]) -> Entry:
    return Entry(
        kind="maintenance", id=r["id"], starts_at=r["starts_at"], ends_at=r["ends_at"], status="maintenance",
        label=r["description"] or "Maintenance", unit_id=r["unit"], unit_name=r["unit_name"],
        product_id=r["product"], product_name=r["product_name"], staff_id=r["staff"], company_id=r["company"],
        sequence=r["sequence"], updated_at=r["updated_at"], notes=r["description"],
    )  # fmt: skip


def _delivery(r: dict[str, Any]) -> Entry:
    what = "Delivery" if r["kind"] == "delivery" else "Collection"
    return Entry(
        kind="delivery", id=r["id"], starts_at=r["starts_at"], ends_at=r["ends_at"], status=r["status"],
        label=f"{what} · {r['customer_name']}", unit_id=r["unit"], unit_name=r["unit_name"], product_id=r["product"],
        product_name=r["product_name"], staff_id=r["staff"], booking_id=r["booking_id"], delivery_kind=r["kind"],
        address=r["address"], phone=r["customer_phone"], route_order=r["route_order"], company_id=r["company"],
        sequence=r["sequence"], updated_at=r["updated_at"], customer_name=r["customer_name"],
        customer_email=r["customer_email"],
    )  # fmt: skip


def block_entries(row: dict[str, Any], tz: ZoneInfo, start: datetime, end: datetime) -> Iterable[Entry]:
    """Every occurrence of one block-out row inside [start, end) (RRULEs in local wall-clock time)."""
    away = row["staff"] is not None
    label = row["reason"] or ("Away" if away else "Closed")
    found = occurrences(row["starts_at"], row["ends_at"], row["rrule"], tz, start, end, row["all_day"])
    for s, e in found:
        yield Entry(
            kind="block", id=row["id"], starts_at=s, ends_at=e, status="away" if away else "closed", label=label,
            unit_id=row["unit"], unit_name=row["unit_name"] or "", product_id=row["product"],
            product_name=row["product_name"] or "", staff_id=row["staff"], company_id=row["company"],
            updated_at=row["updated_at"], all_day=row["all_day"], recurring=row["rrule"] is not None,
            blocks="" if away else row["blocks"],
        )  # fmt: skip


_SHAPES: dict[Kind, Callable[[dict[str, Any]], Entry]] = {
    "booking": _booking,
    "maintenance": _maintenance,
    "delivery": _delivery,
}


def window(tenant: Tenant, first: date, last: date) -> tuple[datetime, datetime]:
    """[first local midnight, midnight after last) in the company's zone."""
    check_range(first, last)
    return day_bounds(first, tenant.tz)[0], day_bounds(last, tenant.tz)[1]


async def select(
    selects: Iterable[Select],
    company_id: int,
    tz: ZoneInfo,
    start: datetime,
    end: datetime | None,
    statuses: Collection[str] = SHOWN_IN_CALENDARS,
) -> list[Entry]:
    """The entries each `Select` names, overlapping [start, end) (no end: everything from start on), sorted by
    start; block-outs need an end, their repetitions are expanded up to it."""
    out: list[Entry] = []
    for one in selects:
        sql, args = query(one, company_id=company_id, start=start, end=end, statuses=statuses)
        rows = await Booking.raw(sql, *args)
        if one.kind == "block":
            assert end is not None, "block-outs repeat: give an end"
            for row in rows:
                out += block_entries(row, tz, start, end)
        else:
            out += map(_SHAPES[one.kind], rows)
    return sorted(out, key=lambda e: (e.starts_at, e.kind, e.id))


async def entries(tenant: Tenant, first: date, last: date, scope: Scope | None = None) -> list[Entry]:
    """Everything on the schedule between two local dates (inclusive), sorted by start."""
    scope = scope or Scope()
    start, end = window(tenant, first, last)
    statuses = list(SHOWN_IN_CALENDARS) + (["cancelled"] if scope.include_cancelled else [])
    wanted = [Select(kind) for kind in KINDS if scope.kinds is None or kind in scope.kinds]
    found = await select(wanted, tenant.id, tenant.tz, start, end, statuses)
    return [e for e in found if scope.admits(e)]


async def by_keys(keys: Collection[str]) -> dict[str, Entry]:
    """Bookings, maintenance and deliveries by key ("booking:42"), whatever their status; keys of items
    that do not exist (or of block-outs) are left out."""
    wanted: dict[Kind, list[int]] = {}
    for key in keys:
        kind, _, raw_id = key.partition(":")
        if kind in _SHAPES and raw_id.isdigit():
            wanted.setdefault(kind, []).append(int(raw_id))  # type: ignore[arg-type]
    found: dict[str, Entry] = {}
    for kind, ids in wanted.items():
        sql, args = query(Select(kind), ids=ids, statuses=None)
        found.update((e.key, e) for e in map(_SHAPES[kind], await Booking.raw(sql, *args)))
    return found


async def handovers(after: datetime, until: datetime, statuses: Collection[str]) -> list[Entry]:
    """Bookings of every company in `statuses` whose pickup or return falls in (after, until]."""
    sql, args = query(Select("booking"), handovers=(after, until), statuses=statuses)
    return [_booking(row) for row in await Booking.raw(sql, *args)]
