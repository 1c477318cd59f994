"""Form parsing shared by portal pages: local wall-clock inputs become aware instants."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rental.errors import DomainError, InvalidInput


def local_datetime(value: str, tz: ZoneInfo, label: str) -> datetime:
    """Parse an <input type=datetime-local> value as wall-clock time in the company's zone."""
    try:
        naive = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{label}: enter a date and time") from None
    if not 2000 <= naive.year < 2200:
        raise InvalidInput(f"{label}: enter a date between 2000 and 2199")
    if naive.tzinfo is not None:
        return naive
    return naive.replace(tzinfo=tz)


def optional_int(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


def people_detail(exc: DomainError, tz: ZoneInfo) -> str:
    """A domain error in the portal's words: no API field names (confirm_past) in a sentence for staff."""
    if exc.extra.get("needs") != "confirm_past":
        return exc.detail
    what = "return" if exc.extra.get("past") == "return" else "pickup"
    if not exc.extra.get("at"):
        return f"the {what} would be in the past."
    at = datetime.fromisoformat(str(exc.extra["at"])).astimezone(tz)
    return f"the {what} ({at:%a %d %b %Y %H:%M}) would be in the past."
