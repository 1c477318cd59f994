"""Value objects passed into and returned from the iCalendar layer.

All of them are frozen (hashable, safe to cache) and validate themselves on construction:
a ``ValueError`` means the *caller* passed nonsense (naive datetimes, unknown time zone, ...).
Malformed *external* data is reported with :class:`FeedError` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from calendars.ical.colors import normalize_color
from calendars.ical.zones import load_zone, require_aware
from rentcal.contacts import ContactError, email_address

EventStatus = Literal["CONFIRMED", "TENTATIVE", "CANCELLED"]
"""RFC 5545 VEVENT ``STATUS`` values."""

InviteMethod = Literal["REQUEST", "CANCEL"]
"""RFC 5546 iTIP methods this layer sends."""

EVENT_STATUSES: frozenset[str] = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})
DEFAULT_ALARMS: tuple[timedelta, ...] = (timedelta(days=1), timedelta(hours=1))


def _require_text(value: str, what: str, *, allow_empty: bool = False) -> None:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise ValueError(f"{what} must not be empty")


def _require_single_line(value: str, what: str) -> None:
    _require_text(value, what)
    if any(ch in value for ch in "\r\n\x00"):
        raise ValueError(f"{what} must be a single line")


def _require_email(value: str, what: str) -> None:
    """A bare address by the rule the API edge applies (rentcal.contacts), so what it accepted is sent."""
    try:
        email_address(value)
    except ContactError as exc:
        raise ValueError(f"{what} must be a bare e-mail address like 'name@example.com': {exc}") from None


def _require_period(starts_at: datetime, ends_at: datetime) -> None:
    require_aware(starts_at, "starts_at")
    require_aware(ends_at, "ends_at")
    if ends_at < starts_at:
        raise ValueError(f"ends_at ({ends_at.isoformat()}) is before starts_at ({starts_at.isoformat()})")


def _require_status(status: str) -> None:
    if status not in EVENT_STATUSES:
        raise ValueError(f"status must be one of {sorted(EVENT_STATUSES)}, got {status!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class InviteEvent:
    """One booking as sent to a customer in an iMIP invitation (RFC 5545/5546).

    ``starts_at`` is the pickup time, ``ends_at`` the return time; both are aware datetimes and are
    written with the TZID of ``timezone`` (the company's IANA zone).  ``alarms`` are reminder
    offsets *before* the start.  The caller raises ``sequence`` on every change and on cancel.
    """

    uid: str
    sequence: int
    summary: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str
    dtstamp: datetime
    location: str | None = None
    description: str = ""
    status: EventStatus = "CONFIRMED"
    alarms: tuple[timedelta, ...] = DEFAULT_ALARMS

    def __post_init__(self) -> None:
        _require_single_line(self.uid, "uid")
        if isinstance(self.sequence, bool) or not isinstance(self.sequence, int) or self.sequence < 0:
            raise ValueError(f"sequence must be a non-negative integer, got {self.sequence!r}")
        _require_text(self.summary, "summary")
        _require_period(self.starts_at, self.ends_at)
        load_zone(self.timezone)
        _require_single_line(self.organizer_name, "organizer_name")
        _require_email(self.organizer_email, "organizer_email")
        _require_single_line(self.attendee_name, "attendee_name")
        _require_email(self.attendee_email, "attendee_email")
        require_aware(self.dtstamp, "dtstamp")
        if self.location is not None:
            _require_text(self.location, "location", allow_empty=True)
        _require_text(self.description, "description", allow_empty=True)
        _require_status(self.status)
        for alarm in self.alarms:
            if not isinstance(alarm, timedelta) or alarm < timedelta(0):
                raise ValueError(f"alarms are non-negative offsets before the start, got {alarm!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedEvent:
    """One booking as published in a subscribable iCalendar feed.

    ``all_day`` events are written with DATE values; ``starts_at``/``ends_at`` are still their
    instants (local midnights).  ``last_modified`` is written as both LAST-MODIFIED and DTSTAMP
    (RFC 5545: without a METHOD, DTSTAMP is the last revision of the event), so the feed body -
    and its ETag - only changes when an event changes.  ``color`` is a CSS3 colour name
    (RFC 7986), normalised to lower case.
    """

    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    last_modified: datetime
    description: str = ""
    location: str | None = None
    status: EventStatus = "CONFIRMED"
    color: str | None = None
    categories: tuple[str, ...] = ()
    sequence: int = 0
    all_day: tuple[date, date] | None = None  # (first day, day after the last): written as DATE values

    def __post_init__(self) -> None:
        _require_single_line(self.uid, "uid")
        _require_text(self.summary, "summary", allow_empty=True)
        if self.all_day is not None and not self.all_day[0] < self.all_day[1]:
            raise ValueError("an all-day event ends after its first day")
        _require_period(self.starts_at, self.ends_at)
        load_zone(self.timezone)
        require_aware(self.last_modified, "last_modified")
        _require_text(self.description, "description", allow_empty=True)
        if self.location is not None:
            _require_text(self.location, "location", allow_empty=True)
        _require_status(self.status)
        if self.color is not None:
            object.__setattr__(self, "color", normalize_color(self.color))
        if not isinstance(self.categories, tuple):
            raise ValueError("categories must be a tuple of strings")
        for category in self.categories:
            _require_single_line(category, "category")
        if isinstance(self.sequence, bool) or not isinstance(self.sequence, int) or self.sequence < 0:
            raise ValueError(f"sequence must be a non-negative integer, got {self.sequence!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportedEvent:
    """One busy occurrence read from an external calendar feed, inside the import window.

    ``starts_at``/``ends_at`` are aware UTC datetimes.  All-day events (``all_day=True``) also
    carry ``start_date``/``end_date`` (``end_date`` exclusive, as in iCalendar); their
    ``starts_at``/``ends_at`` are local midnights of the importing company's zone, in UTC.
    Occurrences of a recurring event share ``uid`` and differ in ``recurrence_id`` (the UTC
    instant - or, for all-day series, the local midnight - of the original occurrence start).
    """

    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    all_day: bool = False
    start_date: date | None = None
    end_date: date | None = None
    recurrence_id: datetime | None = None
    location: str | None = None
    description: str = ""
    status: EventStatus = "CONFIRMED"

    def __post_init__(self) -> None:
        _require_period(self.starts_at, self.ends_at)
        if self.starts_at.utcoffset() != timedelta(0) or self.ends_at.utcoffset() != timedelta(0):
            raise ValueError("ImportedEvent times must be in UTC")
        if self.all_day and (self.start_date is None or self.end_date is None):
            raise ValueError("all-day events need start_date and end_date")
        if not self.all_day and (self.start_date is not None or self.end_date is not None):
            raise ValueError("only all-day events have start_date/end_date")

    @property
    def key(self) -> str:
        """A stable identity for this occurrence: the UID, plus the recurrence id if any."""
        if self.recurrence_id is None:
            return self.uid
        return f"{self.uid}/{self.recurrence_id.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"


@dataclass(frozen=True)
class SkippedEvent:
    """An event of the feed that was left out, and why (both meant for people)."""

    event: str  # e.g. "'Team lunch' (12 Mar 2026)"
    reason: str


@dataclass
class FeedReading:
    """What :func:`calendars.ical.imports.read_feed` read: the busy occurrences and the events it left out."""

    events: list[ImportedEvent]
    skipped: list[SkippedEvent] = field(default_factory=list)


class FeedError(Exception):
    """An external calendar feed could not be used; ``str(error)`` is a human-readable reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message
