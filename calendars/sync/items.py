"""Our schedule items (bookings, maintenance, deliveries) as calendar events.

An item key such as "booking:42" names one item; `load_item` turns it into what every
calendar that shows it should contain, and who should see it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from calendars.palette import DELIVERY_COLOR, MAINTENANCE_COLOR, status_colors
from calendars.providers.base import EventData, Reminder
from rental.statuses import ACTIVE, SHOWN_IN_CALENDARS, sql_list
from rental.tables import Booking, Company, Delivery, MaintenanceSchedule

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


def booking_event(row: dict[str, Any], company: dict[str, Any]) -> EventData:
    tz = ZoneInfo(company["timezone"])
    colors = status_colors(company["status_colors"])
    status = row["status"]
    lines = [
        f"Pickup: {_fmt(row['starts_at'], tz)}",
        f"Return: {_fmt(row['ends_at'], tz)}",
        f"Unit: {row['unit_name']} ({row['product_name']})",
        f"Customer: {row['customer_name']}" + (f", {row['customer_phone']}" if row["customer_phone"] else ""),
        f"Status: {status.replace('_', ' ')}",
        f"Booking #{row['id']} · {company['name']}",
    ]
    return EventData(
        summary=f"{row['product_name']} · {row['customer_name']}" + (" (pending)" if status == "pending" else ""),
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        timezone=company["timezone"],
        description="\n".join(lines),
        location=row["pickup_location"] or "",
        color=colors.get(status),
        status="tentative" if status == "pending" else "confirmed",
        reminders=REMINDERS,
        key=f"booking:{row['id']}",
    )


async def _booking_item(booking_id: int) -> Item | None:
    rows = await Booking.raw(
        """
        SELECT b.id, b.company, b.status, b.starts_at, b.ends_at, b.pickup_location, b.assigned_staff,
               p.name AS product_name, u.name AS unit_name, b.customer_name, b.customer_phone
        FROM booking b JOIN product p ON p.id = b.product JOIN unit u ON u.id = b.unit WHERE b.id = {}
        """,
        booking_id,
    )
    if not rows:
        return None
    row = rows[0]
    company = await _company(row["company"])
    owners = frozenset([row["assigned_staff"]] if row["assigned_staff"] else [])
    return Item(
        f"booking:{booking_id}",
        "bookings",
        row["company"],
        owners,
        row["status"] in SHOWN_IN_CALENDARS,
        booking_event(row, company),
        booking_id,
    )


async def _maintenance_item(maintenance_id: int) -> Item | None:
    rows = await MaintenanceSchedule.raw(
        """
        SELECT m.id, m.company, m.technician, m.starts_at, m.ends_at, m.description, u.name AS unit_name
        FROM maintenance_schedule m JOIN unit u ON u.id = m.unit WHERE m.id = {}
        """,
        maintenance_id,
    )
    if not rows:
        return None
    row = rows[0]
    company = await _company(row["company"])
    tz = ZoneInfo(company["timezone"])
    event = EventData(
        summary=f"Maintenance: {row['unit_name']}",
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        timezone=company["timezone"],
        description=f"{row['description']}\nFrom {_fmt(row['starts_at'], tz)} to {_fmt(row['ends_at'], tz)}",
        color=MAINTENANCE_COLOR,
        reminders=REMINDERS,
        key=f"maintenance:{maintenance_id}",
    )
    owners = frozenset([row["technician"]] if row["technician"] else [])
    return Item(event.key, "maintenance", row["company"], owners, True, event)


async def _delivery_item(delivery_id: int) -> Item | None:
    rows = await Delivery.raw(
        """
        SELECT d.id, d.company, d.driver, d.kind, d.starts_at, d.ends_at, d.address, d.route_order,
               b.status AS booking_status, u.name AS unit_name, b.customer_name, b.customer_phone
        FROM delivery d JOIN booking b ON b.id = d.booking JOIN unit u ON u.id = b.unit WHERE d.id = {}
        """,
        delivery_id,
    )
    if not rows:
        return None
    row = rows[0]
    company = await _company(row["company"])
    label = "Delivery" if row["kind"] == "delivery" else "Pickup"
    maps = f"https://www.google.com/maps/search/?api=1&query={quote_plus(row['address'])}" if row["address"] else ""
    lines = [
        f"Stop {row['route_order']} of the route",
        f"Address: {row['address']}",
        f"Customer: {row['customer_name']}" + (f", {row['customer_phone']}" if row["customer_phone"] else ""),
        f"Unit: {row['unit_name']}",
    ] + ([f"Map: {maps}"] if maps else [])
    event = EventData(
        summary=f"{label} #{row['route_order']}: {row['unit_name']} → {row['address']}",
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        timezone=company["timezone"],
        description="\n".join(lines),
        location=row["address"],
        color=DELIVERY_COLOR,
        reminders=(Reminder("popup", 60),),
        key=f"delivery:{delivery_id}",
    )
    owners = frozenset([row["driver"]] if row["driver"] else [])
    visible = row["booking_status"] in ACTIVE
    return Item(event.key, "deliveries", row["company"], owners, visible, event)


async def load_item(key: str) -> Item | None:
    kind, _, raw_id = key.partition(":")
    if not raw_id.isdigit():
        return None
    loader = {"booking": _booking_item, "maintenance": _maintenance_item, "delivery": _delivery_item}.get(kind)
    return await loader(int(raw_id)) if loader else None


async def item_keys_for_staff(
    company_id: int, staff_id: int, kinds: set[str], all_bookings: bool, since: datetime
) -> list[str]:
    """Keys of every item a staff member's calendars should hold (for a full sync)."""
    keys: list[str] = []
    if "bookings" in kinds:
        condition = "" if all_bookings else " AND assigned_staff = {}"
        args: list[Any] = [company_id, since] + ([] if all_bookings else [staff_id])
        rows = await Booking.raw(
            "SELECT id FROM booking WHERE company = {} AND ends_at > {}"
            f" AND status IN {sql_list(SHOWN_IN_CALENDARS)}" + condition,
            *args,
        )
        keys += [f"booking:{r['id']}" for r in rows]
    if "maintenance" in kinds:
        rows = await MaintenanceSchedule.raw(
            "SELECT id FROM maintenance_schedule WHERE company = {} AND ends_at > {} AND technician = {}",
            company_id,
            since,
            staff_id,
        )
        keys += [f"maintenance:{r['id']}" for r in rows]
    if "deliveries" in kinds:
        rows = await Delivery.raw(
            "SELECT id FROM delivery WHERE company = {} AND ends_at > {} AND driver = {}", company_id, since, staff_id
        )
        keys += [f"delivery:{r['id']}" for r in rows]
    return keys


async def related_keys(key: str) -> list[str]:
    """A booking change also changes its deliveries."""
    kind, _, raw_id = key.partition(":")
    if kind != "booking" or not raw_id.isdigit():
        return []
    rows = await Delivery.select(Delivery.id).where(Delivery.booking == int(raw_id))
    return [f"delivery:{r['id']}" for r in rows]
