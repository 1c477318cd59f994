"""One neutral colour palette for every place that colours our events.

Names are Google Calendar's eleven event colours (the richest fixed palette of the three providers);
each carries what the others need: Google's colorId, a CSS3 colour name for iCalendar COLOR (RFC 7986:
CalDAV and subscribed feeds), the Outlook category preset nearest to it, and a hex value for the portal.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Swatch:
    label: str
    hex: str  # Google's own rendering of the colour
    google_id: str  # Calendar API colorId
    css: str  # CSS3 name for iCalendar COLOR
    outlook_preset: str  # Outlook category colour (Graph categoryColor)


PALETTE: dict[str, Swatch] = {
    "lavender": Swatch("Lavender", "#7986cb", "1", "lightsteelblue", "preset8"),
    "sage": Swatch("Sage", "#33b679", "2", "mediumseagreen", "preset19"),
    "grape": Swatch("Grape", "#8e24aa", "3", "darkorchid", "preset8"),
    "flamingo": Swatch("Flamingo", "#e67c73", "4", "salmon", "preset9"),
    "banana": Swatch("Banana", "#f6bf26", "5", "gold", "preset3"),
    "tangerine": Swatch("Tangerine", "#f4511e", "6", "orangered", "preset1"),
    "peacock": Swatch("Peacock", "#039be5", "7", "deepskyblue", "preset5"),
    "graphite": Swatch("Graphite", "#616161", "8", "dimgray", "preset12"),
    "blueberry": Swatch("Blueberry", "#3f51b5", "9", "royalblue", "preset7"),
    "basil": Swatch("Basil", "#0b8043", "10", "seagreen", "preset4"),
    "tomato": Swatch("Tomato", "#d50000", "11", "red", "preset0"),
}
BY_GOOGLE_ID = {swatch.google_id: name for name, swatch in PALETTE.items()}

# CAL-108 defaults: booking status -> colour; per company overridable.
DEFAULT_STATUS_COLORS: dict[str, str] = {
    "pending": "banana",
    "confirmed": "basil",
    "picked_up": "blueberry",
    "returned": "graphite",
    "cancelled": "tomato",
}
MAINTENANCE_COLOR = "tangerine"
DELIVERY_COLOR = "peacock"


def palette_name(value: str) -> str:
    """A palette name from a name or a Google colorId (how colours were stored before); ValueError otherwise."""
    cleaned = value.strip().lower()
    if cleaned in PALETTE:
        return cleaned
    if cleaned in BY_GOOGLE_ID:
        return BY_GOOGLE_ID[cleaned]
    raise ValueError(value)


def status_colors(stored: dict[str, str] | None) -> dict[str, str]:
    """The company's colours by status (defaults filled in; legacy colorIds read as palette names)."""
    colors = dict(DEFAULT_STATUS_COLORS)
    for status, value in (stored or {}).items():
        try:
            colors[status] = palette_name(str(value))
        except ValueError:
            continue
    return colors
