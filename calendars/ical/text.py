"""Cleaning free text before it goes into an iCalendar TEXT value."""

from __future__ import annotations

import re

from icalendar import vText

# RFC 5545 section 3.3.11: TEXT may not contain CONTROL characters other than HTAB; line breaks
# are escaped by `escape_text`. Everything else in C0 and DEL is dropped. (A regular expression, not
# str.translate with a table: most values have none, and the search is several times faster then.)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """``value`` without the control characters iCalendar TEXT cannot carry."""
    return _CONTROL.sub("", value)


def escape_text(value: str) -> bytes:
    """RFC 5545 3.3.11 TEXT escaping. icalendar's ``vText`` first reads a backslash followed by ``N`` in the
    value as a line break, which turned a name or note such as ``C:\\New`` into two lines; here a backslash is
    always a backslash, and CR, LF and CRLF become ``\\n``."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
        .encode("utf-8")
    )


class Text(vText):
    """A TEXT value written with `escape_text`."""

    def to_ical(self) -> bytes:
        return escape_text(str(self))


def text_value(value: str) -> Text:
    """`value` cleaned of control characters, as a TEXT property value."""
    return Text(clean_text(value))
