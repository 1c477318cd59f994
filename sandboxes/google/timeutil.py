"""RFC 3339 parsing/formatting the way the Calendar API writes timestamps."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$",
)


def now_utc() -> datetime:
    return datetime.now(UTC)


def format_utc_ms(moment: datetime) -> str:
    """``2024-05-01T10:00:00.123Z`` — the shape of ``created``/``updated``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_from_micros(micros: int) -> str:
    return format_utc_ms(datetime.fromtimestamp(micros / 1_000_000, UTC))


def format_offset(moment: datetime) -> str:
    """``2024-05-01T12:00:00+02:00`` (``Z`` when the offset is zero), as event times come back."""
    text = moment.replace(microsecond=0).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def parse_rfc3339(value: str, *, require_offset: bool = True) -> datetime | None:
    """Parse an RFC 3339 timestamp; ``None`` when it is malformed (or lacks an offset when required)."""
    match = _RFC3339.match(value)
    if not match:
        return None
    if require_offset and match.group(2) is None:
        return None
    text = value.replace("z", "Z").replace("t", "T").replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def parse_date(value: str) -> date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def zone(name: str) -> tzinfo | None:
    if name in ("UTC", "Etc/UTC", "GMT"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def day_start(day: date, tz: tzinfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def http_date(moment: datetime) -> str:
    """RFC 1123 date, as in ``X-Goog-Channel-Expiration``."""
    return moment.astimezone(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")


def ms_to_datetime(ms: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)
