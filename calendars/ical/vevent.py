"""Storage VEVENTs for CalDAV provider writes, and remote VCALENDARs read back as neutral records.

Pure: no database, no HTTP.  :func:`build_storage_object` writes one calendar object resource
(RFC 4791 section 4.1) for one of our items: no METHOD and, on purpose, **no ORGANIZER and no
ATTENDEE** (servers with implicit scheduling, iCloud among them, would otherwise mail people).
Our item key travels in ``X-RENTCAL-KEY`` so a create whose reply was lost can be recognised and
adopted.  :func:`parse_remote_object` turns whatever a server holds (ours or a person's own
events) into a :class:`RemoteObject` with the busy answer and, for series, the occurrences
inside a window, exceptions applied (``recurring-ical-events``).
"""

from __future__ import annotations

import hashlib
import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Any, Literal

import recurring_ical_events
from icalendar import Alarm, Calendar, Component, Event
from icalendar.parser.property import unescape_backslash

from calendars.ical.colors import normalize_color
from calendars.ical.invites import PRODID
from calendars.ical.text import clean_text, text_value
from calendars.ical.zones import is_utc, load_zone, require_aware, unambiguous, vtimezone

KEY_PROPERTY = "X-RENTCAL-KEY"
ORIGIN_PROPERTY = "X-RENTCAL-ORIGIN"  # which of our calendars (target id) wrote it: tells copies from orphans
METHOD_PROPERTY = "X-RENTCAL-REMINDER"  # on a VALARM: "email" or "popup", so reminders round-trip
UID_PREFIX = "rentcal-"
RECURRENCE_PROPERTIES = ("RRULE", "RDATE", "EXDATE")

AlarmMethod = Literal["email", "popup"]
ObjectStatus = Literal["CONFIRMED", "TENTATIVE", "CANCELLED"]


@dataclass(frozen=True)
class StorageAlarm:
    minutes: int  # before the start
    method: AlarmMethod = "popup"


@dataclass(frozen=True)
class StorageEvent:
    """One of our items as it should be stored on a CalDAV server."""

    key: str  # our item key, e.g. "booking:42"
    summary: str
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    timezone: str  # IANA zone the times are written in
    description: str = ""
    location: str = ""
    color: str | None = None  # CSS3 colour name (RFC 7986 COLOR)
    status: Literal["CONFIRMED", "TENTATIVE"] = "CONFIRMED"
    alarms: tuple[StorageAlarm, ...] = ()
    all_day: tuple[date, date] | None = None  # (first day, day after the last): written as DATE values
    uid: str = ""  # default: uid_for(key)
    sequence: int = 0
    origin: str = ""  # our target id (EventData.origin), written as X-RENTCAL-ORIGIN when set


@dataclass(frozen=True)
class Occurrence:
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC
    busy: bool
    all_day: tuple[date, date] | None = None


@dataclass(frozen=True)
class RemoteObject:
    """A calendar object resource read back: the master event (or the only one) and its occurrences."""

    uid: str
    key: str | None
    summary: str
    description: str
    location: str
    starts_at: datetime | None  # UTC; None only when the object has no usable VEVENT
    ends_at: datetime | None
    all_day: tuple[date, date] | None
    status: ObjectStatus
    transparent: bool
    declined: bool  # the account's own ATTENDEE has PARTSTAT=DECLINED
    busy: bool  # opaque, not cancelled, not declined
    color: str | None
    alarms: tuple[StorageAlarm, ...]
    recurrence: tuple[str, ...]  # RRULE/RDATE/EXDATE content lines of the master
    occurrences: tuple[Occurrence, ...]  # inside the window asked for, exceptions applied
    sequence: int
    last_modified: datetime | None
    content_hash: str  # over the fields we write (see content_hash)
    origin: str | None = None  # X-RENTCAL-ORIGIN: the target id that wrote it


def uid_for(key: str) -> str:
    """A stable UID (and resource name) for an idempotency key: URL-safe, 40 hex characters."""
    return UID_PREFIX + hashlib.sha256(key.encode("utf-8")).hexdigest()[:40]


# ---- writing -----------------------------------------------------------------------------------------


def build_storage_object(event: StorageEvent, *, now: datetime | None = None) -> bytes:
    """The VCALENDAR (VTIMEZONE + one VEVENT) to PUT for ``event``; raises ``ValueError`` on bad input."""
    require_aware(event.starts_at, "starts_at")
    require_aware(event.ends_at, "ends_at")
    if event.ends_at < event.starts_at:
        raise ValueError("ends_at is before starts_at")
    if not event.key:
        raise ValueError("a storage event needs our item key")
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    zone = load_zone(event.timezone)
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")

    vevent = Event()
    vevent.add("UID", event.uid or uid_for(event.key))
    vevent.add("DTSTAMP", stamp)
    vevent.add("LAST-MODIFIED", stamp)
    vevent.add("SEQUENCE", event.sequence)
    if event.all_day is not None:
        first, after = event.all_day
        if after <= first:
            raise ValueError("an all-day block ends on or before its first day")
        vevent.add("DTSTART", first)
        vevent.add("DTEND", after)
    else:
        starts_local, ends_local = event.starts_at.astimezone(zone), event.ends_at.astimezone(zone)
        if is_utc(event.timezone):
            starts_local, ends_local = starts_local.astimezone(UTC), ends_local.astimezone(UTC)
        else:
            calendar.add_component(vtimezone(event.timezone, starts_local.year, ends_local.year))
        vevent.add("DTSTART", unambiguous(starts_local))
        vevent.add("DTEND", unambiguous(ends_local))
    vevent.add("SUMMARY", text_value(event.summary))
    if event.description:
        vevent.add("DESCRIPTION", text_value(event.description))
    if event.location:
        vevent.add("LOCATION", text_value(event.location))
    vevent.add("STATUS", event.status)
    vevent.add("TRANSP", "OPAQUE")
    if event.color is not None:
        vevent.add("COLOR", normalize_color(event.color))
    vevent.add(KEY_PROPERTY, text_value(event.key))
    if event.origin:
        vevent.add(ORIGIN_PROPERTY, text_value(event.origin))
    for reminder in event.alarms:
        if reminder.minutes < 0:
            raise ValueError("a reminder cannot be after the start")
        alarm = Alarm()
        alarm.add("ACTION", "DISPLAY")  # EMAIL alarms need an ATTENDEE; servers mail nobody for DISPLAY
        alarm.add("TRIGGER", timedelta(minutes=-reminder.minutes))
        alarm.add("DESCRIPTION", text_value(f"Reminder: {event.summary}"))
        alarm.add(METHOD_PROPERTY, reminder.method)
        vevent.add_component(alarm)
    calendar.add_component(vevent)
    return bytes(calendar.to_ical())


def written_object(
    event: StorageEvent, *, zone: str, window: tuple[datetime, datetime], now: datetime
) -> RemoteObject | None:
    """What :func:`parse_remote_object` reads from ``build_storage_object(event, now=now)``, without the parse.

    A PUT answered with a strong ETag stored the body octet for octet (RFC 4791 section 5.3.4), so
    the adapter needs no second look at what it just wrote; parsing it again cost more than the PUT.
    None for what this shortcut does not cover (sub-second times, zero-length events, events within two
    days of the window's edges): parse then.
    """
    if event.starts_at.microsecond or event.ends_at.microsecond or event.ends_at <= event.starts_at:
        return None
    tz = load_zone(zone)
    if event.all_day is not None:
        starts_at, ends_at = _instant(event.all_day[0], tz), _instant(event.all_day[1], tz)
    else:
        starts_at, ends_at = event.starts_at.astimezone(UTC), event.ends_at.astimezone(UTC)
    occurrences = _single_occurrence(starts_at, ends_at, True, event.all_day, window)
    if occurrences is None:  # near a window edge the reader's expansion decides: parse then
        return None
    return RemoteObject(
        uid=event.uid or uid_for(event.key),
        key=_as_stored(event.key),
        summary=_as_stored(event.summary),
        description=_as_stored(event.description),
        location=_as_stored(event.location),
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=event.all_day,
        status=event.status,
        transparent=False,
        declined=False,
        busy=True,
        color=normalize_color(event.color).strip().lower() if event.color is not None else None,
        alarms=tuple(event.alarms),
        recurrence=(),
        occurrences=occurrences,
        sequence=event.sequence,
        last_modified=now.astimezone(UTC).replace(microsecond=0),
        content_hash=content_hash(event),
        origin=_as_stored(event.origin) if event.origin else None,
    )


def _as_stored(text: str) -> str:
    """Text as a reader gets it back: control characters dropped, line breaks as LF."""
    return clean_text(text).replace("\r\n", "\n").replace("\r", "\n")


def content_hash(event: StorageEvent) -> str:
    """A digest of what we write, equal to ``parse_remote_object(...).content_hash`` of the stored object."""
    start: datetime | date = event.starts_at.astimezone(UTC)
    end: datetime | date = event.ends_at.astimezone(UTC)
    if event.all_day is not None:
        start, end = event.all_day
    color = normalize_color(event.color) if event.color is not None else None
    return _digest(
        _as_stored(event.summary),
        _as_stored(event.description),
        _as_stored(event.location),
        start,
        end,
        event.status,
        color,
        tuple(event.alarms),
    )


def _digest(*parts: Any) -> str:
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


# ---- reading -----------------------------------------------------------------------------------------


def parse_remote_object(
    ics: bytes | str,
    *,
    zone: str,
    window: tuple[datetime, datetime],
    account_addresses: frozenset[str] = frozenset(),
) -> RemoteObject:
    """Read one calendar object resource.

    ``zone`` is the calendar's zone: floating times and all-day dates are placed in it.
    ``window`` bounds the expansion of series into ``occurrences`` (a single event gets its one
    occurrence when it overlaps the window).  ``account_addresses`` are the account's own calendar
    user addresses (lower-case ``mailto:...`` or bare e-mail): an ATTENDEE among them with
    PARTSTAT=DECLINED makes the event not busy.  Raises ``ValueError`` for text that is not a
    VCALENDAR with a VEVENT.
    """
    try:
        calendar = Calendar.from_ical(without_known_zones(ics))
    except Exception as exc:
        raise ValueError(f"not an iCalendar object: {exc}") from exc
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise ValueError("expected a VCALENDAR")
    events = [c for c in calendar.walk("VEVENT")]
    if not events:
        raise ValueError("the calendar object has no VEVENT")
    master = next((e for e in events if "RECURRENCE-ID" not in e), events[0])
    tz = load_zone(zone)
    addresses = frozenset(_address(a) for a in account_addresses)

    start_value = _value(master, "DTSTART")
    end_value = _end_value(master, start_value)
    starts_at = ends_at = None
    all_day: tuple[date, date] | None = None
    if isinstance(start_value, datetime):
        starts_at, ends_at = _instant(start_value, tz), _instant(end_value, tz)
    elif isinstance(start_value, date):
        all_day = (start_value, max(_as_date(end_value), start_value + timedelta(days=1)))
        starts_at, ends_at = _instant(all_day[0], tz), _instant(all_day[1], tz)

    status, transparent, declined, busy = _busy(master, addresses)
    recurrence = tuple(line for name in RECURRENCE_PROPERTIES for line in _content_lines(master, name))
    single = len(events) == 1 and not recurrence and "RECURRENCE-ID" not in master
    occurrences = _single_occurrence(starts_at, ends_at, busy, all_day, window) if single else None
    if occurrences is None:
        occurrences = _occurrences(calendar, master, tz, window, addresses)
    alarms = tuple(alarm for alarm in map(_alarm, master.walk("VALARM")) if alarm is not None)
    color = str(master["COLOR"]).strip().lower() if "COLOR" in master else None
    summary, description, location = (str(master.get(n, "")) for n in ("SUMMARY", "DESCRIPTION", "LOCATION"))
    hash_start: datetime | date | None = all_day[0] if all_day else starts_at
    hash_end: datetime | date | None = all_day[1] if all_day else ends_at
    modified = _value(master, "LAST-MODIFIED") if "LAST-MODIFIED" in master else None
    return RemoteObject(
        uid=str(master.get("UID", "")),
        key=_text(master, KEY_PROPERTY),
        summary=summary,
        description=description,
        location=location,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        status=status,
        transparent=transparent,
        declined=declined,
        busy=busy,
        color=color,
        alarms=alarms,
        recurrence=recurrence,
        occurrences=occurrences,
        sequence=int(master.get("SEQUENCE", 0)),
        last_modified=_instant(modified, UTC) if isinstance(modified, datetime) else None,
        content_hash=_digest(summary, description, location, hash_start, hash_end, status, color, alarms),
        origin=_text(master, ORIGIN_PROPERTY),
    )


def _busy(component: Component, addresses: frozenset[str]) -> tuple[ObjectStatus, bool, bool, bool]:
    raw_status = str(component.get("STATUS", "CONFIRMED")).strip().upper()
    status: ObjectStatus = raw_status if raw_status in ("TENTATIVE", "CANCELLED") else "CONFIRMED"  # type: ignore[assignment]
    transparent = str(component.get("TRANSP", "OPAQUE")).strip().upper() == "TRANSPARENT"
    declined = False
    attendees = component.get("ATTENDEE", [])
    for attendee in attendees if isinstance(attendees, list) else [attendees]:
        if _address(str(attendee)) in addresses:
            declined = str(attendee.params.get("PARTSTAT", "")).upper() == "DECLINED"
    return status, transparent, declined, not (transparent or declined or status == "CANCELLED")


_VTIMEZONE = re.compile(rb"BEGIN:VTIMEZONE\r?\n.*?END:VTIMEZONE\r?\n", re.DOTALL)
_TZID = re.compile(rb"^TZID:([^\r\n]*)\r?$", re.MULTILINE)
_FOLD = re.compile(rb"\r?\n[ \t]")


@cache
def _named_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def without_known_zones(ics: bytes | str) -> bytes | str:
    """The object without the VTIMEZONEs of zones icalendar resolves by name (IANA ids).

    icalendar only uses a VTIMEZONE whose TZID its zone provider does not know (``tzp.
    cache_timezone_component``), so dropping the others changes nothing in what is parsed, and they are
    about half the lines of a typical stored object. Anything unusual (lower-case names, parameters on
    TZID, vendor-prefixed ids) keeps its VTIMEZONE.
    """
    data = ics.encode() if isinstance(ics, str) else ics
    if b"BEGIN:VTIMEZONE" not in data:
        return ics

    def drop(block: re.Match[bytes]) -> bytes:
        tzid = _TZID.search(_FOLD.sub(b"", block.group(0)))
        name = tzid.group(1).decode("utf-8", "replace") if tzid else ""
        return b"" if name and name in _named_zones() else block.group(0)

    return _VTIMEZONE.sub(drop, data)


def _single_occurrence(
    starts_at: datetime | None,
    ends_at: datetime | None,
    busy: bool,
    all_day: tuple[date, date] | None,
    window: tuple[datetime, datetime],
) -> tuple[Occurrence, ...] | None:
    """The occurrences of an event that does not repeat, without expanding it: itself when it lies inside
    the window, none when it lies outside; None (expand it) when it is near an edge or has no length."""
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        return None
    margin = timedelta(days=2)  # away from the edges, where all-day dates and zones could tip the overlap
    if window[0] + margin <= starts_at and ends_at <= window[1] - margin:
        return (Occurrence(starts_at, ends_at, busy, all_day),)
    if ends_at <= window[0] - margin or starts_at >= window[1] + margin:
        return ()
    return None


def _occurrences(
    calendar: Calendar, master: Component, tz: tzinfo, window: tuple[datetime, datetime], addresses: frozenset[str]
) -> tuple[Occurrence, ...]:
    start, end = window
    try:
        components = recurring_ical_events.of(calendar).between(start, end)
    except Exception as exc:
        raise ValueError(f"the event's recurrence cannot be expanded: {exc}") from exc
    found: list[Occurrence] = []
    for component in components:
        first = _value(component, "DTSTART")
        last = _end_value(component, first)
        busy = _busy(component, addresses)[3]
        if isinstance(first, datetime):
            found.append(Occurrence(_instant(first, tz), _instant(last, tz), busy))
        else:
            days = (first, max(_as_date(last), first + timedelta(days=1)))
            found.append(Occurrence(_instant(days[0], tz), _instant(days[1], tz), busy, days))
    found.sort(key=lambda o: (o.starts_at, o.ends_at))
    return tuple(found)


def _alarm(component: Component) -> StorageAlarm | None:
    trigger = component.get("TRIGGER")
    value = getattr(trigger, "dt", None)
    if not isinstance(value, timedelta) or str(getattr(trigger, "params", {}).get("RELATED", "START")) == "END":
        return None  # absolute or end-relative triggers are not ours to round-trip
    method = (_text(component, METHOD_PROPERTY) or "").lower()
    if method not in ("email", "popup"):
        method = "email" if str(component.get("ACTION", "")).upper() == "EMAIL" else "popup"
    return StorageAlarm(minutes=max(0, int(-value.total_seconds() // 60)), method=method)  # type: ignore[arg-type]


def _content_lines(component: Component, name: str) -> list[str]:
    values = component.get(name, [])
    return [str(component.content_line(name, value)) for value in (values if isinstance(values, list) else [values])]


def _text(component: Component, name: str) -> str | None:
    """An X- property as text: icalendar keeps unknown properties escaped."""
    return unescape_backslash(str(component[name])) if name in component else None


def _value(component: Component, name: str) -> Any:
    prop: Any = component[name]
    return prop.dt


def _end_value(component: Component, start: Any) -> Any:
    if "DTEND" in component:
        return _value(component, "DTEND")
    if "DURATION" in component:
        return start + _value(component, "DURATION")
    return start if isinstance(start, datetime) else start + timedelta(days=1)


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _instant(value: date | datetime, tz: tzinfo) -> datetime:
    """UTC instant of a date-time (floating: in ``tz``) or of a date's midnight in ``tz``."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def _address(value: str) -> str:
    value = value.strip().lower()
    return value[len("mailto:") :] if value.startswith("mailto:") else value
