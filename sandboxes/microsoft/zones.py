"""Time zones the way Outlook names them: Windows names from CLDR's windowsZones (as shipped by tzlocal).

Graph accepts a Windows name ("W. Europe Standard Time") or an IANA name ("Europe/Berlin") in
``dateTimeTimeZone.timeZone`` and in ``Prefer: outlook.timezone``; Outlook stores the Windows name
(``originalStartTimeZone``). Times travel as ``2024-05-01T10:00:00.0000000`` without an offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tzlocal.windows_tz import tz_win, win_tz

from .errors import bad_request, time_zone_not_supported

_LOCAL = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?$")
_QUERY = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?)?(Z|[+-]\d{2}:\d{2})?$", re.IGNORECASE)


@dataclass(frozen=True)
class Zone:
    """A zone as given (``name``), its Windows name and the tz rules."""

    name: str
    windows: str
    tz: tzinfo


def resolve(name: str) -> Zone:
    """A Windows or IANA name → :class:`Zone`; anything else → 400 TimeZoneNotSupportedException."""
    if not isinstance(name, str) or not name.strip():
        raise time_zone_not_supported(str(name))
    if name in win_tz:
        return Zone(name, name, ZoneInfo(win_tz[name]))
    if name in tz_win:
        return Zone(name, tz_win[name], ZoneInfo(name))
    try:
        return Zone(name, name, ZoneInfo(name))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise time_zone_not_supported(name) from exc


UTC_ZONE = Zone("UTC", "UTC", UTC)


def parse_local(value: object, field: str) -> datetime:
    """``dateTime`` of a dateTimeTimeZone: a local wall time without offset (naive datetime)."""
    match = _LOCAL.match(value) if isinstance(value, str) else None
    if not match:
        raise bad_request(
            f"Cannot convert the literal '{value}' to the expected type 'Edm.DateTime' in '{field}'; send a "
            "local date and time (yyyy-MM-ddTHH:mm:ss) and name its zone in timeZone.",
            code="RequestBodyRead",
        )
    day, hour, minute, second, fraction = match.groups()
    micro = int((fraction or "0").ljust(7, "0")[:6])
    return datetime.combine(date.fromisoformat(day), time(int(hour), int(minute), int(second or 0), micro))


def to_instant(local: datetime, zone: Zone) -> datetime:
    return local.replace(tzinfo=zone.tz).astimezone(UTC)


def format_local(moment: datetime, zone: Zone) -> str:
    """An instant as Graph writes it in ``zone``: ``2024-05-01T12:00:00.0000000``."""
    local = moment.astimezone(zone.tz)
    return local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond:06d}0"


def format_floating(day: date) -> str:
    return day.isoformat() + "T00:00:00.0000000"


def format_utc(moment: datetime) -> str:
    """``createdDateTime`` shape: ``2024-05-01T10:00:00.1234567Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0Z"


def parse_query_instant(value: str | None, name: str) -> datetime:
    """``startDateTime``/``endDateTime`` query values: ISO 8601, an offset or Z; none means UTC."""
    if not value or not _QUERY.match(value.strip()):
        raise bad_request(
            "This request requires a time window specified by the query string parameters StartDateTime and "
            f"EndDateTime; '{name}' is missing or not a valid ISO 8601 date and time.",
            code="ErrorInvalidParameter",
        )
    text = value.strip().upper().replace("Z", "+00:00")
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
