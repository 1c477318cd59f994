"""The CalDAV adapter's own types (the interface-v2 notions base.py lacks) and its pure mappings.

No I/O: event ids and resource URLs, ``EventData`` -> storage VEVENT, parsed objects ->
``CaldavRemoteEvent``, palette colours -> CSS3 names, and the ctag cursor.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote, unquote, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar

from calendars.ical.colors import CSS3_COLOR_NAMES
from calendars.ical.vevent import Occurrence, RemoteObject, StorageAlarm, StorageEvent, content_hash
from calendars.providers.base import (
    ChangePage,
    EventData,
    EventMissing,
    FullSyncRequired,
    Reminder,
    RemoteEvent,
    RequestRejected,
)

LISTING_WINDOW = (timedelta(days=30), timedelta(days=400))  # recurrence expansion around now
SYNC_PREFIX, CTAG_PREFIX = "sync:", "ctag:"

# The neutral palette (Google's event colour names, the v2 `PaletteColor`) as CSS3 names for
# RFC 7986 COLOR, and Google colorIds as palette names (base.EventData.color is a palette name).
PALETTE_CSS: dict[str, str] = {
    "lavender": "mediumslateblue",
    "sage": "mediumseagreen",
    "grape": "darkorchid",
    "flamingo": "lightcoral",
    "banana": "gold",
    "tangerine": "orangered",
    "peacock": "deepskyblue",
    "graphite": "dimgray",
    "blueberry": "royalblue",
    "basil": "forestgreen",
    "tomato": "tomato",
}
CSS_PALETTE = {css: name for name, css in PALETTE_CSS.items()}
GOOGLE_COLOR_IDS = dict(zip((str(n) for n in range(1, 12)), PALETTE_CSS, strict=True))


# ---- v2 notions the current base.py lacks --------------------------------------------------------------


@dataclass(frozen=True)
class CaldavRemoteEvent(RemoteEvent):
    """A RemoteEvent plus the interface-v2 fields (design review (e)). ``deleted`` is the base
    property (status "cancelled"); ``busy`` and ``series_id`` are the base fields."""

    all_day: tuple[date, date] | None = None
    recurrence: tuple[str, ...] = ()
    occurrences: tuple[Occurrence, ...] = ()  # busy time inside the listing window, exceptions applied
    color: str | None = None  # palette name when it is one of ours, else the CSS name
    reminders: tuple[Reminder, ...] = ()
    content_hash: str = ""


@dataclass(frozen=True)
class CaldavChangePage(ChangePage):
    covers: tuple[datetime, datetime] | None = None  # None: the listing covers the whole calendar

    @property
    def cursor(self) -> str | None:
        return self.next_sync_token


@dataclass(frozen=True)
class PasswordGrant:
    server_url: str
    username: str
    password: str
    account: str = ""  # the address shown to people (the principal's mailto address when known)


@dataclass
class Discovery:
    principal_url: str
    home_urls: list[str]
    addresses: frozenset[str] = frozenset()  # calendar-user-address-set, lower case, without mailto:


def default_window(now: datetime | None = None) -> tuple[datetime, datetime]:
    moment = now or datetime.now(UTC)
    return moment - LISTING_WINDOW[0], moment + LISTING_WINDOW[1]


def event_url(calendar_id: str, event_id: str) -> str:
    """The resource URL for an event id: ``{id}.ics``, or the raw name after ``~`` (see event_id_of)."""
    name = event_id[1:] if event_id.startswith("~") else event_id + ".ics"
    if not name or "/" in name:
        raise EventMissing(f"caldav: {event_id!r} is not an event id")
    return calendar_id.rstrip("/") + "/" + quote(name, safe="@:+!$&'()*,;=-._~")


def event_id_of(url: str) -> str:
    """The event id of a resource URL: its name without ``.ics``; a name without it (or starting
    with ``~``) is kept whole behind a ``~``, so ids and resource names map both ways."""
    name = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
    if name.endswith(".ics") and not name.startswith("~") and len(name) > 4:
        return name[:-4]
    return "~" + name


def storage_event(event: EventData, *, uid: str, sequence: int = 0) -> StorageEvent:
    return StorageEvent(
        key=event.key or uid,
        summary=event.summary,
        starts_at=event.starts_at,
        ends_at=event.ends_at,
        timezone=event.timezone,
        description=event.description,
        location=event.location,
        color=css_color(event.color),
        status="TENTATIVE" if event.status == "tentative" else "CONFIRMED",
        alarms=tuple(StorageAlarm(r.minutes, "email" if r.method == "email" else "popup") for r in event.reminders),
        uid=uid,
        sequence=sequence,
        origin=event.origin,
    )


def content_hash_of(event: EventData) -> str:
    """The ``content_hash`` a listing reports for the object we write for ``event`` (v2: etag-only changes)."""
    return content_hash(storage_event(event, uid=""))


def css_color(color: str | None) -> str | None:
    """A Google colorId, a palette name or a CSS3 name as the CSS3 name COLOR carries."""
    if color is None or not color.strip():
        return None
    value = color.strip().lower()
    value = GOOGLE_COLOR_IDS.get(value, value)
    value = PALETTE_CSS.get(value, value)
    if value not in CSS3_COLOR_NAMES:
        raise RequestRejected(f"caldav: {color!r} is neither a palette colour nor a CSS3 colour name")
    return value


def remote_event(event_id: str, etag: str, parsed: RemoteObject) -> CaldavRemoteEvent:
    return CaldavRemoteEvent(
        id=event_id,
        etag=etag,
        status=parsed.status.lower(),
        summary=parsed.summary,
        starts_at=parsed.starts_at,  # all-day: local midnights of the calendar's zone
        ends_at=parsed.ends_at,
        all_day_start=parsed.all_day[0] if parsed.all_day else None,
        all_day_end=parsed.all_day[1] if parsed.all_day else None,
        key=parsed.key,
        origin=parsed.origin,
        transparent=parsed.transparent,
        updated=parsed.last_modified,
        busy=parsed.busy,
        all_day=parsed.all_day,
        recurrence=parsed.recurrence,
        occurrences=parsed.occurrences,
        color=CSS_PALETTE.get(parsed.color, parsed.color) if parsed.color else None,
        reminders=tuple(Reminder(a.method, a.minutes) for a in parsed.alarms),
        content_hash=parsed.content_hash,
    )


def deleted_event(event_id: str) -> CaldavRemoteEvent:
    return CaldavRemoteEvent(id=event_id, etag="", status="cancelled", busy=False)


def occurrence_id(series_id: str, starts_at: datetime) -> str:
    """``{series}_{start in UTC}``, like Google's instance ids (the core clears ``{series}_*`` with the series)."""
    return f"{series_id}_{starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def core_events(remote: CaldavRemoteEvent) -> list[CaldavRemoteEvent]:
    """A listed object as the sync core reads events (base.list_changes).

    A series (RRULE/RDATE) becomes a cancelled stub under the series id, which makes the core forget the
    busy time of its earlier occurrences, followed by one event per occurrence in the listing window
    (exceptions applied) with its own id, ``series_id`` and ``busy``. Single events, ours and deletions
    pass as they are.
    """
    if remote.deleted or remote.key is not None or not remote.recurrence:
        return [remote]
    stub = replace(remote, status="cancelled", busy=False, occurrences=())
    return [
        stub,
        *(
            replace(
                remote,
                id=occurrence_id(remote.id, o.starts_at),
                series_id=remote.id,
                starts_at=o.starts_at,
                ends_at=o.ends_at,
                all_day_start=o.all_day[0] if o.all_day else None,
                all_day_end=o.all_day[1] if o.all_day else None,
                all_day=o.all_day,
                busy=o.busy,
                occurrences=(o,),
            )
            for o in remote.occurrences
        ),
    ]


def own_addresses(grant: PasswordGrant) -> frozenset[str]:
    return frozenset(a.lower() for a in (grant.username, grant.account) if "@" in a)


def merge_blocks(blocks: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(blocks):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def zone_of(vtimezone_text: str | None) -> str | None:
    """The IANA name of a CALDAV:calendar-timezone value, when it is one."""
    if not vtimezone_text:
        return None
    try:
        calendar = Calendar.from_ical(vtimezone_text)
        tzid = next((str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE") if "TZID" in tz), "")
        ZoneInfo(tzid)
    except (ValueError, ZoneInfoNotFoundError, OSError, KeyError):
        return None
    return tzid


def encode_ctag_cursor(etags: Mapping[str, str]) -> str:
    packed = zlib.compress(json.dumps(etags, sort_keys=True, separators=(",", ":")).encode())
    return CTAG_PREFIX + base64.urlsafe_b64encode(packed).decode("ascii")


def decode_ctag_cursor(cursor: str) -> dict[str, str]:
    try:
        etags = json.loads(zlib.decompress(base64.urlsafe_b64decode(cursor.removeprefix(CTAG_PREFIX))))
    except (ValueError, zlib.error) as exc:
        raise FullSyncRequired("caldav: unreadable cursor, list everything again") from exc
    if not isinstance(etags, dict):
        raise FullSyncRequired("caldav: unreadable cursor, list everything again")
    return {str(k): str(v) for k, v in etags.items()}
