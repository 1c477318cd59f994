"""Reading external iCalendar feeds (Google, Outlook, Apple, ...) into busy periods.

:func:`read_feed` accepts untrusted bytes.  Whatever they contain, it either returns a
:class:`FeedReading` (the :class:`ImportedEvent` s and the events it skipped, each with a reason
meant for a human) or raises :class:`FeedError` when the feed as a whole cannot be used ("the
feed looks like an HTML page").  One unusable VEVENT is skipped, never fatal, and the quirks
real producers write are repaired first (:mod:`calendars.ical.repairs`).  The checks run in
this order so that hostile input is rejected before it can cost much:

1. size, encoding, HTML, BEGIN/END:VCALENDAR, physical line length, number of VEVENTs;
2. VTIMEZONE recurrence rules (icalendar expands them eagerly while parsing);
3. parsing with icalendar, then the properties this module relies on (a VEVENT failing them is
   skipped);
4. the number of steps each VEVENT recurrence rule needs to reach the window, and an upper
   bound of its occurrences inside the window (a rule too costly to expand is skipped);
5. expansion with recurring-ical-events (event by event when the whole calendar fails), then
   conversion of each occurrence.

Calls into icalendar / recurring-ical-events / dateutil on feed data are wrapped in
``except Exception`` blocks that turn whatever those libraries raise into ``FeedError``; the
blocks contain nothing but those calls and the reading of their results.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

import recurring_ical_events
from icalendar import Calendar, Component
from icalendar.parser import Contentlines
from icalendar.prop import vRecur

from calendars.ical.models import EVENT_STATUSES, EventStatus, FeedError, FeedReading, ImportedEvent, SkippedEvent
from calendars.ical.repairs import cut_after_calendar, repair_lines
from calendars.ical.zones import load_zone, require_aware

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
"""Feeds larger than this are refused (10 MiB is several years of a busy calendar)."""
DEFAULT_MAX_EVENTS = 20_000
"""Maximum VEVENTs in the feed, and maximum occurrences inside the window."""
DEFAULT_MAX_LINE_LENGTH = 100_000
"""Maximum length of one physical line (generators fold at 75 octets; some do not fold)."""
MAX_RECURRENCE_STEPS = 200_000
"""dateutil walks a rule from its DTSTART to the window end; refuse rules needing more steps."""
MAX_TIMEZONE_RULE_EXPANSION = 64
"""VTIMEZONE rules are expanded up to 2038 while parsing; only small yearly rules are allowed."""

_RELEVANT_PROPERTIES = frozenset(
    {
        "UID",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "RECURRENCE-ID",
        "STATUS",
        "TRANSP",
        "SUMMARY",
        "SEQUENCE",
    }
)
_SINGLETONS = ("UID", "DTSTART", "DTEND", "DURATION", "RECURRENCE-ID", "SEQUENCE", "STATUS", "TRANSP")
_STRICT_COMPONENTS = frozenset({"VTIMEZONE", "STANDARD", "DAYLIGHT"})
_BY_PARTS = ("BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH")
_FREQ_SECONDS = {
    "SECONDLY": 1,
    "MINUTELY": 60,
    "HOURLY": 3600,
    "DAILY": 86400,
    "WEEKLY": 7 * 86400,
    "MONTHLY": 28 * 86400,
    "YEARLY": 365 * 86400,
}
_SPAN_MARGIN = timedelta(days=2)  # floating/all-day times are compared by wall clock inside rie
_DETAIL_LIMIT = 200


def parse_feed(
    data: bytes,
    window_start: datetime,
    window_end: datetime,
    *,
    default_tz: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_events: int = DEFAULT_MAX_EVENTS,
    max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
) -> list[ImportedEvent]:
    """The events of :func:`read_feed` (the skipped ones are left out silently)."""
    return read_feed(
        data,
        window_start,
        window_end,
        default_tz=default_tz,
        max_bytes=max_bytes,
        max_events=max_events,
        max_line_length=max_line_length,
    ).events


def read_feed(
    data: bytes,
    window_start: datetime,
    window_end: datetime,
    *,
    default_tz: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_events: int = DEFAULT_MAX_EVENTS,
    max_line_length: int = DEFAULT_MAX_LINE_LENGTH,
) -> FeedReading:
    """The busy occurrences of ``data`` overlapping ``[window_start, window_end)``, and the skipped events.

    Recurring events are expanded (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides).  Times with a
    TZID or ``Z`` are honoured.  Floating times are read in the feed's X-WR-TIMEZONE if it names
    a known zone (as Google/Apple do; recurring-ical-events applies it), otherwise in
    ``default_tz`` (the company's zone); an unknown TZID without VTIMEZONE counts as floating.
    All-day events keep their dates and span local midnights of ``default_tz``.  A VEVENT without
    DTEND lasts for its DURATION, else one day (all-day) or zero (timed), per RFC 5545.
    STATUS:CANCELLED and TRANSP:TRANSPARENT events are left out.  The events are sorted by start.

    Raises ``FeedError`` for a malformed, oversized or unusable feed (not for one bad event) and
    ``ValueError`` for bad arguments (naive window, unknown ``default_tz``).
    """
    require_aware(window_start, "window_start")
    require_aware(window_end, "window_end")
    if window_end <= window_start:
        raise ValueError("window_end must be after window_start")
    zone = load_zone(default_tz)
    window_start = window_start.astimezone(UTC)
    window_end = window_end.astimezone(UTC)

    text = _decode(data, max_bytes=max_bytes, max_line_length=max_line_length, max_events=max_events)
    _check_timezone_rules(text)
    calendar, vevents = _parse(text)
    skipped = [_skip(calendar, vevent, reason) for vevent, reason in _unusable(vevents, max_events, zone)]
    _drop_unknown_x_wr_timezone(calendar)
    recurring_uids, costly = _check_recurrences(_vevents(calendar), window_start, window_end, max_events)
    skipped += [_skip(calendar, vevent, reason) for vevent, reason in costly]

    found: dict[str, tuple[int, ImportedEvent]] = {}
    components, failed = _expand(calendar, window_start - _SPAN_MARGIN, window_end + _SPAN_MARGIN, max_events)
    skipped += failed
    for component in components:
        try:
            converted = _convert(component, zone, recurring_uids)
        except FeedError as exc:
            skipped.append(SkippedEvent(_name(component), exc.message))
            continue
        if converted is None:
            continue
        sequence, event = converted
        if not _overlaps(event, window_start, window_end):
            continue
        previous = found.get(event.key)
        if previous is None or sequence > previous[0]:
            found[event.key] = (sequence, event)
    if len(found) > max_events:
        raise FeedError(f"The feed has {len(found)} events in the import window, more than the limit of {max_events}.")
    events = sorted((event for _, event in found.values()), key=lambda e: (e.starts_at, e.ends_at, e.uid))
    return FeedReading(events, skipped)


def _vevents(calendar: Calendar) -> list[Component]:
    return [component for component in calendar.subcomponents if component.name == "VEVENT"]


def _skip(calendar: Calendar, vevent: Component, reason: str) -> SkippedEvent:
    """Take ``vevent`` (and the other instances of its series) out of the calendar."""
    uid = _single(vevent, "UID")
    calendar.subcomponents = [
        c
        for c in calendar.subcomponents
        if c is not vevent and not (uid and c.name == "VEVENT" and _single(c, "UID") == uid)
    ]
    return SkippedEvent(_name(vevent), reason)


def _single(component: Component, name: str) -> str:
    value = component.get(name)
    return "" if value is None or isinstance(value, list) else " ".join(str(value).split())


def _name(component: Component) -> str:
    """How people know the event: its title and first day, else its UID."""
    try:
        start = _dt(component, "DTSTART")
        day = f" ({start:%d %b %Y})" if isinstance(start, date) else ""
    except Exception:
        day = ""
    summary, uid = _single(component, "SUMMARY"), _single(component, "UID")
    if summary:
        return _excerpt(summary) + day
    return (f"event {_excerpt(uid)}" if uid and not uid.startswith("no-uid-") else "an untitled event") + day


# --- 1. the raw bytes ------------------------------------------------------------------------


def _decode(data: bytes, *, max_bytes: int, max_line_length: int, max_events: int) -> str:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise FeedError(f"The feed must be bytes, got {type(data).__name__}.")
    size = len(data)
    if size > max_bytes:
        raise FeedError(f"The feed is {size:,} bytes, more than the limit of {max_bytes:,} bytes.")
    if not bytes(data).strip():
        raise FeedError("The feed is empty.")
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FeedError(
            f"The feed is not UTF-8 text (invalid byte at offset {exc.start}); "
            "it may be a binary file or use an unsupported encoding."
        ) from None
    head = text.lstrip()
    if head.startswith("<"):
        raise FeedError(
            "The URL returned a web page (HTML/XML), not an iCalendar feed. Check that the "
            "address is the calendar's secret/public iCal link and that it is accessible "
            "without logging in."
        )
    if "\x00" in text:
        raise FeedError("The feed contains NUL characters; it is binary data, not an iCalendar feed.")
    if not head[:15].upper().startswith("BEGIN:VCALENDAR"):
        raise FeedError(
            f"The feed does not start with BEGIN:VCALENDAR (it starts with "
            f"{_excerpt(head[:40])}), so it is not an iCalendar feed."
        )
    complete = cut_after_calendar(text)
    if complete is None:
        raise FeedError(
            "The feed is incomplete: it does not end with END:VCALENDAR (the download may have been cut off)."
        )
    text = complete
    longest = max(len(line) for line in text.split("\n"))
    if longest > max_line_length:
        raise FeedError(f"The feed has a line of {longest:,} characters, more than the limit of {max_line_length:,}.")
    count = text.upper().count("BEGIN:VEVENT")
    if count > max_events:
        raise FeedError(f"The feed has {count:,} events, more than the limit of {max_events:,}.")
    return text


# --- 2. VTIMEZONE rules, before icalendar expands them ---------------------------------------


def _check_timezone_rules(text: str) -> None:
    """Refuse VTIMEZONE observances whose RRULE is not a small yearly rule.

    icalendar turns every VTIMEZONE with an unknown TZID into a tzinfo while parsing, expanding
    its rules up to 2038 with dateutil; ``FREQ=SECONDLY`` there would take hours.
    """
    try:
        lines = Contentlines.from_ical(text)
    except Exception as exc:
        raise FeedError(f"The feed could not be split into lines: {_describe(exc)}") from exc
    depth = 0
    for line in lines:
        upper = line[:16].upper()
        if upper.startswith("BEGIN:VTIMEZONE"):
            depth += 1
        elif upper.startswith("END:VTIMEZONE"):
            depth = max(depth - 1, 0)
        elif depth and upper.startswith("RRULE") and line[5:6] in (":", ";"):
            try:
                rule = vRecur.from_ical(line.parts()[2])
                freq = [str(value).upper() for value in rule.get("FREQ", [])]
                expansion = math.prod(len(rule.get(part, ())) or 1 for part in _BY_PARTS)
            except Exception as exc:
                raise FeedError(f"A time zone in the feed has an invalid RRULE: {_describe(exc)}") from exc
            if freq != ["YEARLY"] or expansion > MAX_TIMEZONE_RULE_EXPANSION:
                raise FeedError(
                    f"A time zone in the feed has an unsupported RRULE ({_excerpt(line)}); "
                    "time-zone rules must be small yearly rules."
                )


# --- 3. parsing ------------------------------------------------------------------------------


def _parse(text: str) -> tuple[Calendar, list[Component]]:
    try:
        repaired = "\r\n".join(repair_lines(list(Contentlines.from_ical(text)))) + "\r\n"
        calendar = Calendar.from_ical(repaired)
        # Subcomponents are parsed lazily; walking forces them now, inside this try.
        components = calendar.walk()
        vevents = [component for component in components if component.name == "VEVENT"]
        broken = [(component, name, message) for component in components for name, message in component.errors]
    except Exception as exc:
        raise FeedError(f"The feed is not valid iCalendar: {_describe(exc)}") from exc
    if not isinstance(calendar, Calendar) or calendar.name != "VCALENDAR":
        raise FeedError("The feed does not contain a VCALENDAR.")
    for component, name, message in broken:
        if component.name == "VEVENT":
            continue  # judged with the event's other values in _unusable
        if name is None:
            raise FeedError(f"{_label(component)} contains a line that is not valid iCalendar: {_describe(message)}")
        if component.name in _STRICT_COMPONENTS:
            raise FeedError(f"{_label(component)} has an invalid {name}: {_describe(message)}")
    return calendar, vevents


def _unusable(vevents: list[Component], max_events: int, zone: tzinfo) -> Iterator[tuple[Component, str]]:
    """The events that cannot be used, each with the reason."""
    if len(vevents) > max_events:
        raise FeedError(f"The feed has {len(vevents):,} events, more than the limit of {max_events:,}.")
    for vevent in vevents:
        reason = _problem(vevent, zone)
        if reason is not None:
            yield vevent, reason


def _problem(vevent: Component, zone: tzinfo) -> str | None:
    for name, message in vevent.errors:
        if name is None:
            return f"it contains a line that is not valid iCalendar ({_describe(message)})"
        if str(name).upper() in _RELEVANT_PROPERTIES:
            return f"its {name} is not valid ({_describe(message)})"
    for name in _SINGLETONS:
        if isinstance(vevent.get(name), list):
            return f"it has more than one {name}"
    if "DTSTART" not in vevent:
        return "it has no start (DTSTART)"
    try:
        start = _dt(vevent, "DTSTART")
        end = _dt(vevent, "DTEND") if "DTEND" in vevent else None
        duration = _dt(vevent, "DURATION") if "DURATION" in vevent else None
        mixed = end is not None and isinstance(start, datetime) != isinstance(end, datetime)
        backwards = end is not None and not mixed and _instant(end, zone) < _instant(start, zone)
        negative = isinstance(duration, timedelta) and duration < timedelta(0)
    except Exception as exc:
        return f"its start or end cannot be used ({_describe(exc)})"
    if mixed:
        return "it mixes a date and a date-time in its start and end"
    if backwards:
        return "it ends before it starts"
    if negative:
        return "it has a negative duration"
    return None


def _drop_unknown_x_wr_timezone(calendar: Calendar) -> None:
    """recurring-ical-events reads X-WR-TIMEZONE (Google's calendar zone); an unknown one would
    make it fail although the event times themselves are fine, so it is ignored instead."""
    name = str(calendar.get("X-WR-TIMEZONE", "")).strip()
    if not name:
        return
    try:
        load_zone(name)
    except ValueError:
        del calendar["X-WR-TIMEZONE"]


# --- 4. cost of recurrences ------------------------------------------------------------------


def _check_recurrences(
    vevents: list[Component], window_start: datetime, window_end: datetime, max_events: int
) -> tuple[frozenset[str], list[tuple[Component, str]]]:
    """The UIDs of recurring events, and the events whose rules are unusable or too expensive to expand."""
    recurring: set[str] = set()
    refused: list[tuple[Component, str]] = []
    for vevent in vevents:
        uid = str(vevent.get("UID"))
        if any(name in vevent for name in ("RRULE", "RDATE", "RECURRENCE-ID")):
            recurring.add(uid)
        if "RRULE" not in vevent:
            continue
        try:
            start = _approximate_utc(_dt(vevent, "DTSTART"))
            rules = list(_as_list(vevent["RRULE"]))
            estimates = [_estimate(rule, start, window_start, window_end) for rule in rules]
        except Exception as exc:
            refused.append((vevent, f"its repeat rule cannot be used ({_describe(exc)})"))
            continue
        steps = max(step for step, _ in estimates)
        occurrences = sum(count for _, count in estimates)
        if steps > MAX_RECURRENCE_STEPS:
            refused.append(
                (
                    vevent,
                    f"it repeats too often to expand (about {steps:,.0f} repetitions up to the import window's end)",
                )
            )
        elif occurrences > max_events:
            refused.append(
                (vevent, f"it would have about {occurrences:,.0f} occurrences, more than the limit of {max_events:,}")
            )
    return frozenset(recurring), refused


def _estimate(rule: vRecur, start: datetime, window_start: datetime, window_end: datetime) -> tuple[float, float]:
    """Upper bounds of (rule iterations until the window end, occurrences inside the window)."""
    freq = [str(value).upper() for value in rule.get("FREQ", [])]
    if len(freq) != 1 or freq[0] not in _FREQ_SECONDS:
        raise ValueError(f"invalid FREQ {freq!r}")
    intervals = rule.get("INTERVAL", [1])
    interval = int(intervals[0]) if intervals else 1
    if interval < 1:
        raise ValueError(f"invalid INTERVAL {interval}")
    step = _FREQ_SECONDS[freq[0]] * interval
    stop = window_end
    untils = rule.get("UNTIL", [])
    if untils:
        stop = min(stop, _approximate_utc(untils[0]) + timedelta(days=1))
    if stop <= start:
        return 0.0, 0.0
    steps = (stop - start).total_seconds() / step + 1
    expansion = math.prod(len(rule.get(part, ())) or 1 for part in _BY_PARTS)
    inside = (stop - max(start, window_start)).total_seconds() / step + 1 if stop > window_start else 0.0
    occurrences = inside * expansion
    counts = rule.get("COUNT", [])
    if counts:
        occurrences = min(occurrences, float(int(counts[0])))
    return steps, occurrences


def _approximate_utc(value: date | datetime) -> datetime:
    """A UTC instant within a day of ``value`` (good enough for cost estimates)."""
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    return datetime(value.year, value.month, value.day, tzinfo=UTC)


# --- 5. expansion and conversion -------------------------------------------------------------


def _expand(
    calendar: Calendar, span_start: datetime, span_end: datetime, max_events: int
) -> tuple[list[Component], list[SkippedEvent]]:
    """The occurrences; when the calendar as a whole cannot be expanded, each series on its own."""
    try:
        occurrences = recurring_ical_events.of(calendar).between(span_start, span_end)
        failed: list[SkippedEvent] = []
    except Exception:
        occurrences, failed = _expand_each(calendar, span_start, span_end)
    if len(occurrences) > max_events * 2:
        raise FeedError(
            f"The feed has {len(occurrences):,} occurrences around the import window, more than "
            f"the limit of {max_events:,}."
        )
    return list(occurrences), failed


def _expand_each(
    calendar: Calendar, span_start: datetime, span_end: datetime
) -> tuple[list[Component], list[SkippedEvent]]:
    others = [c for c in calendar.subcomponents if c.name != "VEVENT"]
    series: dict[str, list[Component]] = {}
    for vevent in _vevents(calendar):
        series.setdefault(_single(vevent, "UID"), []).append(vevent)
    occurrences: list[Component] = []
    failed: list[SkippedEvent] = []
    for members in series.values():
        calendar.subcomponents = [*others, *members]
        try:
            occurrences += recurring_ical_events.of(calendar).between(span_start, span_end)
        except Exception as exc:
            failed.append(SkippedEvent(_name(members[0]), f"it cannot be expanded ({_describe(exc)})"))
    return occurrences, failed


def _convert(component: Component, zone: tzinfo, recurring_uids: frozenset[str]) -> tuple[int, ImportedEvent] | None:
    """``(SEQUENCE, ImportedEvent)`` for one occurrence, or ``None`` if it does not block time."""
    try:
        status = str(component.get("STATUS", "CONFIRMED")).strip().upper()
        transparent = str(component.get("TRANSP", "OPAQUE")).strip().upper() == "TRANSPARENT"
        uid = str(component.get("UID", "")).strip()
        summary = str(component.get("SUMMARY", ""))
        location = str(component["LOCATION"]) if "LOCATION" in component else None
        description = str(component.get("DESCRIPTION", ""))
        sequence = int(component.get("SEQUENCE", 0))
        start = _dt(component, "DTSTART")
        end = _dt(component, "DTEND") if "DTEND" in component else _default_end(component, start)
        recurrence = _dt(component, "RECURRENCE-ID") if "RECURRENCE-ID" in component else None
        if status == "CANCELLED" or transparent:
            return None
        event = _build(uid, summary, location, description, status, start, end, recurrence, zone, uid in recurring_uids)
    except FeedError:
        raise
    except Exception as exc:
        raise FeedError(f"its values cannot be used ({_describe(exc)})") from exc
    return sequence, event


def _default_end(component: Component, start: Any) -> Any:
    if "DURATION" in component:
        return start + _dt(component, "DURATION")
    if isinstance(start, datetime):
        return start
    return start + timedelta(days=1)


def _build(
    uid: str,
    summary: str,
    location: str | None,
    description: str,
    status: str,
    start: date | datetime,
    end: date | datetime,
    recurrence: date | datetime | None,
    zone: tzinfo,
    recurring: bool,
) -> ImportedEvent:
    if isinstance(start, datetime) != isinstance(end, datetime) or not isinstance(start, date):
        raise FeedError("it mixes a date and a date-time in its start and end")
    recurrence_id = _instant(recurrence, zone) if recurring and recurrence is not None else None
    event_status: EventStatus = status if status in EVENT_STATUSES else "CONFIRMED"  # type: ignore[assignment]
    if isinstance(start, datetime) and isinstance(end, datetime):
        starts_at, ends_at = _instant(start, zone), _instant(end, zone)
        if ends_at < starts_at:
            raise FeedError("it ends before it starts")
        return ImportedEvent(
            uid=uid,
            summary=summary,
            starts_at=starts_at,
            ends_at=ends_at,
            all_day=False,
            recurrence_id=recurrence_id,
            location=location,
            description=description,
            status=event_status,
        )
    if end < start:
        raise FeedError("it ends before it starts")
    end = max(end, start + timedelta(days=1))  # DTEND == DTSTART: treat as the usual one day
    return ImportedEvent(
        uid=uid,
        summary=summary,
        starts_at=_instant(start, zone),
        ends_at=_instant(end, zone),
        all_day=True,
        start_date=start,
        end_date=end,
        recurrence_id=recurrence_id,
        location=location,
        description=description,
        status=event_status,
    )


def _instant(value: date | datetime, zone: tzinfo) -> datetime:
    """UTC instant of a date-time (floating = ``zone``) or of a date's local midnight in ``zone``."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _overlaps(event: ImportedEvent, window_start: datetime, window_end: datetime) -> bool:
    if event.starts_at >= window_end:
        return False
    if event.ends_at == event.starts_at:
        return event.starts_at >= window_start
    return event.ends_at > window_start


# --- helpers ---------------------------------------------------------------------------------


def _dt(component: Component, name: str) -> Any:
    """The Python value of a date/time/duration property (icalendar types it as a wide union)."""
    prop: Any = component[name]
    return prop.dt


def _as_list(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        yield from value
    else:
        yield value


def _label(component: Component) -> str:
    kind = {
        "VCALENDAR": "The calendar",
        "VEVENT": "Event",
        "VTIMEZONE": "Time zone",
        "STANDARD": "A time zone rule",
        "DAYLIGHT": "A time zone rule",
    }.get(str(component.name), str(component.name))
    for key in ("UID", "TZID"):
        if key in component and not isinstance(component[key], list):
            return f"{kind} {_excerpt(str(component[key]))}"
    return kind


def _excerpt(value: str) -> str:
    if len(value) > 60:
        value = value[:57] + "..."
    return repr(value)


def _describe(exc: BaseException | str) -> str:
    message = str(exc).strip() or type(exc).__name__
    message = " ".join(message.split())
    if len(message) > _DETAIL_LIMIT:
        message = message[: _DETAIL_LIMIT - 3] + "..."
    return message
