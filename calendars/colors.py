"""Booking colours by status (CAL-108): names of the neutral palette, configurable per company."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from calendars.palette import PALETTE, palette_name, status_colors
from calendars.tables import CalendarIntegration
from rental.errors import InvalidInput
from rental.schemas import BookingStatus
from rental.tables import Company
from rental.tenants import Tenant

STATUSES: tuple[BookingStatus, ...] = ("pending", "confirmed", "picked_up", "returned", "cancelled")


class BookingColors(msgspec.Struct):
    colors: dict[str, str]  # status -> palette colour name ("basil")
    palette: dict[str, str] = msgspec.field(default_factory=lambda: {n: s.label for n, s in PALETTE.items()})


async def booking_colors(tenant: Tenant) -> BookingColors:
    row = await Company.select(Company.status_colors).where(Company.id == tenant.id).first()
    stored: Any = row["status_colors"] if row else {}
    if isinstance(stored, str):
        stored = json.loads(stored)
    return BookingColors(status_colors(stored))


async def set_booking_colors(tenant: Tenant, colors: dict[str, str]) -> tuple[BookingColors, list[int]]:
    """Store the colours; returns them and the integrations whose events must be recoloured."""
    chosen: dict[str, str] = {}
    for status, color in colors.items():
        if status not in STATUSES:
            raise InvalidInput(f"unknown booking status '{status}'; use one of {', '.join(STATUSES)}")
        try:
            chosen[status] = palette_name(color)
        except ValueError:
            names = ", ".join(PALETTE)
            raise InvalidInput(f"colour for {status} must be one of {names}, not '{color}'") from None
    current = await booking_colors(tenant)
    merged = {**current.colors, **chosen}
    await Company.update({Company.status_colors: merged}).where(Company.id == tenant.id)
    rows = await CalendarIntegration.select(CalendarIntegration.id).where(
        (CalendarIntegration.company == tenant.id) & (CalendarIntegration.status == "active")
    )
    return BookingColors(merged), [int(r["id"]) for r in rows]
