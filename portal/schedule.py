"""The team schedule for a window: timeline entries, busy time from connected calendars, clashes, rows.

One service for the team calendar page and its JSON twin (`GET /api/v1/schedule`), role-scoped:
managers see everyone; drivers and technicians see their own work.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec

from calendars.accounts.integrations import open_conflicts
from calendars.sync.busy_overlay import busy_overlay
from rental import catalogue, timeline
from rental.accounts import Staff
from rental.clashes import Clash, find_clashes
from rental.errors import InvalidInput
from rental.tables import StaffUser
from rental.tenants import Tenant
from rental.timeline import Entry, Scope

By = Literal["unit", "staff"]


class Row(msgspec.Struct, frozen=True):
    id: int | None  # unit or staff id; None: the "Unassigned" row
    label: str
    group: str  # product name (units) or role (staff)


class Busy(msgspec.Struct, frozen=True):
    staff_id: int
    starts_at: datetime
    ends_at: datetime


class Schedule(msgspec.Struct):
    timezone: str
    first: date = msgspec.field(name="from")
    last: date = msgspec.field(name="to")
    by: By
    rows: list[Row]
    entries: list[Entry]
    clashes: list[Clash]
    busy: list[Busy]  # from connected calendars: times only
    unknown: dict[int, list[str]]  # staff id -> calendars that could not be read (unknown, never free)
    conflicts: list[str]  # keys of entries with an open sync conflict ("booking:12")


class Filters(msgspec.Struct, frozen=True):
    product: int | None = None
    unit: int | None = None
    person: int | None = None
    kind: str | None = None


async def _people(tenant: Tenant) -> list[Row]:
    rows = (
        await StaffUser.select(StaffUser.id, StaffUser.name, StaffUser.role)
        .where((StaffUser.company == tenant.id) & (StaffUser.active == True))  # noqa: E712
        .order_by(StaffUser.name)
    )
    return [Row(r["id"], r["name"], r["role"]) for r in rows]


async def _units(tenant: Tenant) -> list[Row]:
    units = [u for u in await catalogue.list_units(tenant) if u["active"]]
    units.sort(key=lambda u: (str(u["product_name"]), str(u["name"])))
    return [Row(int(str(u["id"])), str(u["name"]), str(u["product_name"])) for u in units]


async def unit_products(tenant: Tenant) -> dict[int, int]:
    return {int(str(u["id"])): int(str(u["product"])) for u in await catalogue.list_units(tenant)}


async def schedule(tenant: Tenant, viewer: Staff, first: date, last: date, by: By, filters: Filters) -> Schedule:
    if filters.kind is not None and filters.kind not in timeline.KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(timeline.KINDS)}")
    own = None if viewer.is_manager else [viewer.id]
    if own is not None:
        by = "staff"
    people = [p for p in await _people(tenant) if own is None or p.id == viewer.id]
    person = filters.person if own is None else viewer.id
    scope = Scope(
        kinds=[filters.kind] if filters.kind else None,
        product_ids=[filters.product] if filters.product else None,
        unit_ids=[filters.unit] if filters.unit else None,
        staff_ids=[person] if person else own,
    )
    entries = await timeline.entries(tenant, first, last, scope)
    if by == "unit":
        of_product = await unit_products(tenant)
        rows = [
            r
            for r in await _units(tenant)
            if (not filters.unit or r.id == filters.unit)
            and (not filters.product or (r.id is not None and of_product.get(r.id) == filters.product))
        ]
    else:
        rows = [p for p in people if not person or p.id == person]
        if own is None and not person:
            rows.append(Row(None, "Unassigned", ""))
    staff_ids = [p.id for p in people if p.id is not None and (not person or p.id == person)]
    start, end = timeline.window(tenant, first, last)
    overlay = await busy_overlay(tenant.id, staff_ids, start, end)
    clashes = find_clashes(entries, overlay.intervals, set(overlay.unknown), tenant.tz)
    keys = {e.key for e in entries}
    conflicts = sorted({c.item_key for c in await open_conflicts(tenant) if c.item_key in keys})
    busy = [Busy(s, a, b) for s, spans in overlay.intervals.items() for a, b in spans]
    return Schedule(tenant.timezone, first, last, by, rows, entries, clashes, busy, overlay.unknown, conflicts)
