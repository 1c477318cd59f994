"""Our schedule items (bookings, maintenance, deliveries) as calendar events.

An item key such as "booking:42" names one item; `load_item` turns it into what every
calendar that shows it should contain, and who should see it. The rows come from the schedule's
read model (`rental.timeline`), the same the feeds, reminders and the team calendar read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from calendars.palette import DELIVERY_COLOR, MAINTENANCE_COLOR, status_colors
from calendars.providers.base import EventData, Reminder
from rental import timeline
from rental.statuses import SHOWN_IN_CALENDARS
from rental.tables import Company, Delivery
from rental.timeline import Entry, Kind, Select

REMINDERS = (Reminder("email", 24 * 60), Reminder("popup", 60))


@dataclass(frozen=True)
class Item:
    key: str
    kind: str  # bookings | maintenance | deliveries
    company_id: int
    owner_ids: frozenset[int]
    visible: bool  # False: remove it from every calendar (cancelled, deleted)
    event: EventData | None
    booking_id: int | None = None


def _fmt(value: datetime, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%a %d %b %Y, %H:%M")


async def _company(company_id: int) -> dict[str, Any]:
    row = (
        await Company.select(Company.timezone, Company.status_colors, Company.name)
        .where(Company.id == company_id)
        .first()
    )
    if row is None:
        return {"timezone": "UTC", "status_colors": {}, "name": ""}
    if isinstance(row["status_colors"], str):
        row["status_colors"] = json.loads(row["status_colors"])
    return row


def booking_event(entry: Entry, company: dict[str, Any]) -> EventData:
    tz = ZoneInfo(company["timezone"])
    colors = status_colors(company["status_colors"])
    status = entry.status
    lines = [
        f"Pickup: {_fmt(entry.starts_at, tz)}",
        f"Return: {_fmt(entry.ends_at, tz)}",
        f"Unit: {entry.unit_name} ({entry.product_name})",
        f"Customer: {entry.customer_name}" + (f", {entry.phone}" if entry.phone else ""),
        f"Status: {status.replace('_', ' ')}",
        f"Booking #{entry.id} · {company['name']}",
    ]
    return EventData(
        summary=f"{entry.product_name} · {entry.customer_name}" + (" (pending)" if status == "pending" else ""),
        starts_at=entry.starts_at,
        ends_at=entry.ends_at,
        timezone=company["timezone"],
        description="\n".join(lines),
        location=entry.address,
        color=colors.get(status),
        status="tentative" if status == "pending" else "confirmed",
        reminders=REMINDERS,
        key=entry.key,
    )


def maintenance_event(entry: Entry, company: dict[str, Any]) -> EventData:
    tz = ZoneInfo(company["timezone"])
    return EventData(
        summary=f"Maintenance: {entry.unit_name}",
        starts_at=entry.starts_at,
        ends_at=entry.ends_at,
        timezone=company["timezone"],
        description=f"{entry.notes}\nFrom {_fmt(entry.starts_at, tz)} to {_fmt(entry.ends_at, tz)}",
        color=MAINTENANCE_COLOR,
        reminders=REMINDERS,
        key=entry.key,
    )


def delivery_event(entry: Entry, company: dict[str, Any]) -> EventData:
    label = "Delivery" if entry.delivery_kind == "delivery" else "Pickup"
    maps = f"https://www.google.com/maps/search/?api=1&query={quote_plus(entry.address)}" if entry.address else ""
    lines = [
        f"Stop {entry.route_order} of the route",
        f"Address: {entry.address}",
        f"Customer: {entry.customer_name}" + (f", {entry.phone}" if entry.phone else ""),
        f"Unit: {entry.unit_name}",
    ] + ([f"Map: {maps}"] if maps else [])
    return EventData(
        summary=f"{label} #{entry.route_order}: {entry.unit_name} → {entry.address}",
        starts_at=entry.starts_at,
        ends_at=entry.ends_at,
        timezone=company["timezone"],
        description="\n".join(lines),
        location=entry.address,
        color=DELIVERY_COLOR,
        reminders=(Reminder("popup", 60),),
        key=entry.key,
    )


_EVENTS: dict[str, Callable[[Entry, dict[str, Any]], EventData]] = {
    "booking": booking_event,
    "maintenance": maintenance_event,
    "delivery": delivery_event,
}
# our kinds of entry -> the write kinds a calendar is routed for
WRITE_KINDS: dict[Kind, str] = {"booking": "bookings", "maintenance": "maintenance", "delivery": "deliveries"}


def item_of(entry: Entry, company: dict[str, Any]) -> Item:
    """What every calendar showing the entry should hold; cancelled or expired work is removed from them."""
    return Item(
        key=entry.key,
        kind=WRITE_KINDS[entry.kind],
        company_id=entry.company_id,
        owner_ids=frozenset([entry.staff_id] if entry.staff_id else []),
        visible=entry.kind == "maintenance" or entry.status in SHOWN_IN_CALENDARS,
        event=_EVENTS[entry.kind](entry, company),
        booking_id=entry.id if entry.kind == "booking" else None,
    )


async def load_items(keys: Collection[str]) -> dict[str, Item]:
    """The items of the keys that name one (a deleted item has none)."""
    found = await timeline.by_keys(keys)
    companies = {company_id: await _company(company_id) for company_id in {e.company_id for e in found.values()}}
    return {key: item_of(entry, companies[entry.company_id]) for key, entry in found.items()}


async def load_item(key: str) -> Item | None:
    return (await load_items([key])).get(key)


async def items_for_staff(
    company_id: int, staff_id: int, kinds: set[str], all_bookings: bool, since: datetime
) -> list[Item]:
    """Every item a staff member's calendars should hold (for a full sync): their bookings (or all of them),
    maintenance and deliveries that end after `since`."""
    wanted = [
        Select(kind, staff_id=None if kind == "booking" and all_bookings else staff_id)
        for kind, write_kind in WRITE_KINDS.items()
        if write_kind in kinds
    ]
    company = await _company(company_id)
    found = await timeline.select(wanted, company_id, ZoneInfo(company["timezone"]), since, None)
    return [item_of(entry, company) for entry in found]


async def related_keys(key: str) -> list[str]:
    """A booking change also changes its deliveries."""
    kind, _, raw_id = key.partition(":")
    if kind != "booking" or not raw_id.isdigit():
        return []
    rows = await Delivery.select(Delivery.id).where(Delivery.booking == int(raw_id))
    return [f"delivery:{r['id']}" for r in rows]
