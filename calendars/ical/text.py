"""Cleaning free text before it goes into an iCalendar TEXT value."""

from __future__ import annotations

# RFC 5545 section 3.3.11: TEXT may not contain CONTROL characters other than HTAB; line breaks
# are escaped by icalendar.  Everything else in C0 and DEL is dropped.
_CONTROL = {code: None for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F)}


def clean_text(value: str) -> str:
    """``value`` without the control characters iCalendar TEXT cannot carry."""
    return value.translate(_CONTROL)
