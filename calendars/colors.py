"""Booking colours by status (CAL-108): Google event colorIds, configurable per company."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from calendars.items import DEFAULT_STATUS_COLORS
from calendars.tables import CalendarIntegration
from rental.errors import InvalidInput
from rental.schemas import BookingStatus
from rental.tables import Company
from rental.tenants import Tenant

# Google Calendar's event palette (colors.get), by colorId.
GOOGLE_EVENT_COLORS = {
    "1": "Lavender",
    "2": "Sage",
    "3": "Grape",
    "4": "Flamingo",
    "5": "Banana",
    "6": "Tangerine",
    "7": "Peacock",
    "8": "Graphite",
    "9": "Blueberry",
    "10": "Basil",
    "11": "Tomato",
}
STATUSES: tuple[BookingStatus, ...] = ("pending", "confirmed", "picked_up", "returned", "cancelled")


class BookingColors(msgspec.Struct):
    colors: dict[str, str]  # status -> Google colorId
    palette: dict[str, str] = msgspec.field(default_factory=lambda: dict(GOOGLE_EVENT_COLORS))


async def booking_colors(tenant: Tenant) -> BookingColors:
    row = await Company.select(Company.status_colors).where(Company.id == tenant.id).first()
    stored: Any = row["status_colors"] if row else {}
    if isinstance(stored, str):
        stored = json.loads(stored)
    return BookingColors({**DEFAULT_STATUS_COLORS, **(stored or {})})


async def set_booking_colors(tenant: Tenant, colors: dict[str, str]) -> tuple[BookingColors, list[int]]:
    """Store the colours; returns them and the integrations whose events must be recoloured."""
    for status, color in colors.items():
        if status not in STATUSES:
            raise InvalidInput(f"unknown booking status '{status}'; use one of {', '.join(STATUSES)}")
        if color not in GOOGLE_EVENT_COLORS:
            raise InvalidInput(f"colour for {status} must be a Google colorId from 1 to 11, not '{color}'")
    current = await booking_colors(tenant)
    merged = {**current.colors, **colors}
    await Company.update({Company.status_colors: merged}).where(Company.id == tenant.id)
    rows = await CalendarIntegration.select(CalendarIntegration.id).where(
        (CalendarIntegration.company == tenant.id) & (CalendarIntegration.status == "active")
    )
    return BookingColors(merged), [int(r["id"]) for r in rows]
