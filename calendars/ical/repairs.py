"""Quirks real feed producers write, repaired before parsing so the events they carry still count.

Each repair is one that other calendar clients make too:

- Exchange writes recurrence rules with spaces after the commas (``BYDAY=MO, TU, WE``);
- Google writes an empty ``EXDATE;VALUE=DATE:`` for an event without exceptions;
- some servers append text (a footer, a second newline soup) after ``END:VCALENDAR``;
- some producers leave out the UID, which RFC 5545 requires: one is derived from the event's text.
"""

from __future__ import annotations

import hashlib
import re

_END = re.compile(r"^END:VCALENDAR[ \t]*\r?$", re.IGNORECASE | re.MULTILINE)
_RULE = re.compile(r"^(?:RRULE|EXRULE)[;:]", re.IGNORECASE)
_EMPTY_DATES = re.compile(r"^(?:EXDATE|RDATE)(?:;[^:]*)?:\s*$", re.IGNORECASE)
_EVENT_END = re.compile(r"^END:VEVENT\s*$", re.IGNORECASE)
_EVENT_BEGIN = re.compile(r"^BEGIN:VEVENT\s*$", re.IGNORECASE)
_UID = re.compile(r"^UID[;:]", re.IGNORECASE)


def cut_after_calendar(text: str) -> str | None:
    """The text up to the last ``END:VCALENDAR`` line, or None when there is none (a cut-off download)."""
    ends = list(_END.finditer(text))
    if not ends:
        return None
    return text[: ends[-1].end()] + "\n"


def repair_lines(lines: list[str]) -> list[str]:
    """Unfolded content lines with the quirks above repaired (a new list)."""
    repaired: list[str] = []
    event: list[str] | None = None
    has_uid = False
    for line in lines:
        if _EMPTY_DATES.match(line):
            continue
        if _RULE.match(line):
            name, _, value = line.partition(":")
            line = f"{name}:{''.join(value.split())}"
        if _EVENT_BEGIN.match(line):
            event, has_uid = [line], False
            continue
        if event is None:
            repaired.append(line)
            continue
        if _EVENT_END.match(line):
            if not has_uid:
                stable = [kept for kept in event if not kept.upper().startswith("DTSTAMP")]  # often "now"
                digest = hashlib.sha256("\n".join(stable).encode("utf-8")).hexdigest()[:32]
                event.insert(1, f"UID:no-uid-{digest}")
            repaired.extend(event)
            repaired.append(line)
            event = None
            continue
        has_uid = has_uid or bool(_UID.match(line))
        event.append(line)
    if event is not None:
        repaired.extend(event)
    return repaired
