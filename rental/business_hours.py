"""A company's business hours: when pickups and returns can happen (rental.handover reads them)."""

from __future__ import annotations

from datetime import time

from rental.errors import InvalidInput
from rental.handover import WEEKDAY_KEYS
from rental.tables import Company
from rental.tenants import Tenant

DAY_NAMES = dict(
    zip(WEEKDAY_KEYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"), strict=True)
)


def _clock(value: str, label: str) -> time:
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{label}: enter a time like 08:00") from None


async def set_business_hours(tenant: Tenant, days: dict[str, tuple[str, str] | None]) -> dict[str, list[str]]:
    """Opening and closing per weekday (None: closed that day). Stores and returns {"mon": ["08:00", "18:00"], ...}."""
    stored: dict[str, list[str]] = {}
    for key, hours in days.items():
        if key not in DAY_NAMES:
            raise InvalidInput(f"unknown weekday {key!r}")
        if hours is None:
            continue
        opening = _clock(hours[0], f"{DAY_NAMES[key]} opening")
        closing = _clock(hours[1], f"{DAY_NAMES[key]} closing")
        if not opening < closing:
            raise InvalidInput(f"{DAY_NAMES[key]}: closing must be after opening")
        stored[key] = [opening.strftime("%H:%M"), closing.strftime("%H:%M")]
    if not stored:  # no hours at all would mean "any time of any day" (rental.handover): not what was meant
        raise InvalidInput("open on at least one day")
    await Company.update({Company.business_hours: stored}).where(Company.id == tenant.id)
    return stored
