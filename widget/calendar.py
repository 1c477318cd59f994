"""The month grid the widget shows, built from day statuses (pure, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from rental.daystatus import DayStatus
from rental.errors import InvalidInput
from widget import i18n
from widget.i18n import Locale

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Cell:
    day: date
    status: str  # available | partial | unavailable | closed
    reason: str | None
    past: bool
    date_text: str  # the full date in the locale
    label: str  # the date with its status, for assistive technology

    @property
    def disabled(self) -> bool:
        return self.past or self.status in ("unavailable", "closed")


@dataclass(frozen=True)
class Month:
    first: date
    title: str
    weeks: list[list[Cell | None]]
    prev: date | None  # first of the previous month, None before the current month
    next: date

    @property
    def key(self) -> str:
        return f"{self.first:%Y-%m}"

    @property
    def focus_day(self) -> date | None:
        """The day that takes Tab focus before any script runs: the first one that can be chosen."""
        cells = [c for week in self.weeks for c in week if c is not None]
        chosen = next((c for c in cells if not c.disabled), cells[0] if cells else None)
        return chosen.day if chosen else None


def parse_month(value: str | None, today: date) -> date:
    """'YYYY-MM' as the first day of that month; empty means the current month."""
    if not value:
        return today.replace(day=1)
    match = _MONTH.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise InvalidInput(f"month must look like 2027-03, not {value!r}")
    if not today.year - 5 <= int(match.group(1)) <= today.year + 5:
        raise InvalidInput(f"month must lie within 5 years of today, not {value!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_bounds(first: date) -> tuple[date, date]:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def day_label(locale: Locale, status: DayStatus, past: bool) -> str:
    label = f"{i18n.long_date(locale, status.day)}, "
    if past:
        return label + i18n.text(locale, "past")
    label += i18n.text(locale, status.status)
    if status.status == "closed":
        reason = i18n.closure_reason(locale, status.reason)
        return f"{label}: {reason}" if reason else label
    free = i18n.text(locale, "units_free", free=status.available_units, total=status.total_units)
    return f"{label} ({free})"


def build_month(first: date, days: Sequence[DayStatus], today: date, locale: Locale, first_day: int) -> Month:
    """Weeks of seven cells (None outside the month), starting on Sunday (0) or Monday (1)."""
    _, last = month_bounds(first)
    lead = (first.weekday() + 1) % 7 if first_day == 0 else first.weekday()
    cells: list[Cell | None] = [None] * lead
    for status in days:
        past = status.day < today
        text = i18n.long_date(locale, status.day)
        reason = i18n.closure_reason(locale, status.reason)
        cells.append(Cell(status.day, status.status, reason, past, text, day_label(locale, status, past)))
    cells += [None] * (-len(cells) % 7)
    current = today.replace(day=1)
    return Month(
        first=first,
        title=i18n.month_title(locale, first.year, first.month),
        weeks=[cells[i : i + 7] for i in range(0, len(cells), 7)],
        prev=(first - timedelta(days=1)).replace(day=1) if first > current else None,
        next=last + timedelta(days=1),
    )
