"""Cleaning free text before it goes into an iCalendar TEXT value."""

from __future__ import annotations

import re

# RFC 5545 section 3.3.11: TEXT may not contain CONTROL characters other than HTAB; line breaks
# are escaped by icalendar.  Everything else in C0 and DEL is dropped. (A regular expression, not
# str.translate with a table: most values have none, and the search is several times faster then.)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """``value`` without the control characters iCalendar TEXT cannot carry."""
    return _CONTROL.sub("", value)
