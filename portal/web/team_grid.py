"""Pure layout of the team calendar: rows × local days, bars placed in DST-correct day columns."""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from calendars.palette import DELIVERY_COLOR, MAINTENANCE_COLOR, PALETTE
from portal.schedule import Schedule
from rental.clashes import Clash
from rental.daystatus import day_bounds, days_between
from rental.statuses import SHOWN_IN_CALENDARS
from rental.timeline import Entry

# The palette's colours, as in connected calendars and feeds; block-outs in greys of their own.
KIND_HEX = {
    "maintenance": PALETTE[MAINTENANCE_COLOR].hex,
    "delivery": PALETTE[DELIVERY_COLOR].hex,
    "closed": "#57606a",
    "away": "#8c959f",
}
KIND_LABELS = {"booking": "Bookings", "maintenance": "Maintenance", "delivery": "Deliveries", "block": "Block-outs"}
CLASH_TEXT = {
    "double_booked": "Two jobs at the same time",
    "away": "Assigned while away",
    "external_busy": "Busy in their own calendar",
    "calendar_unknown": "Their calendar could not be read: may not be free",
    "closed": "Booked while closed",
}


@dataclass
class Bar:
    left: float  # percent of the row
    width: float
    css: str
    color: str
    text: str
    title: str
    href: str | None = None
    entry: Entry | None = None
    clashes: list[str] = field(default_factory=list)
    conflict: bool = False
    lane: int = 0


@dataclass
class GridRow:
    id: int | None
    label: str
    group: str
    bars: list[Bar]
    unknown: list[str]
    lanes: int = 1


def stack(bars: list[Bar]) -> int:
    """Give overlapping bars their own lanes (first fit by start); returns the number of lanes."""
    ends: list[float] = []
    for bar in sorted(bars, key=lambda b: (b.left, -b.width)):
        lane = next((i for i, end in enumerate(ends) if end <= bar.left + 1e-9), len(ends))
        if lane == len(ends):
            ends.append(0.0)
        ends[lane] = bar.left + bar.width
        bar.lane = lane
    return max(len(ends), 1)


@dataclass
class Grid:
    view: str
    by: str
    first: date
    last: date
    days: list[date]
    rows: list[GridRow]
    today: date
    now_left: float | None
    prev: date
    next: date
    title: str
    day_list: list[tuple[date, list[tuple[str, Bar]]]]
    legend: list[tuple[str, str]]


def window_for(view: str, anchor: date) -> tuple[date, date, date, date]:
    """(first, last, previous first, next first) of the week (Monday start) or month holding anchor."""
    if view == "month":
        first = anchor.replace(day=1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        prev = (first - timedelta(days=1)).replace(day=1)
        return first, last, prev, last + timedelta(days=1)
    first = anchor - timedelta(days=anchor.weekday())
    return first, first + timedelta(days=6), first - timedelta(days=7), first + timedelta(days=7)


def position(at: datetime, days: list[date], tz: ZoneInfo) -> float:
    """Columns from the window's start: day index plus the fraction of that (23-25 hour) local day."""
    local = at.astimezone(tz).date()
    if local < days[0]:
        return 0.0
    if local > days[-1]:
        return float(len(days))
    start, end = day_bounds(local, tz)
    return (local - days[0]).days + (at - start) / (end - start)


def _hhmm(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%a %d %b %H:%M")


def _bar(s: datetime, e: datetime, days: list[date], tz: ZoneInfo, **kw: object) -> Bar:
    left, right = position(s, days, tz), position(e, days, tz)
    n = len(days)
    return Bar(left=round(left / n * 100, 3), width=round(max(right - left, 0.04) / n * 100, 3), **kw)  # type: ignore[arg-type]


def _entry_bar(
    e: Entry,
    days: list[date],
    tz: ZoneInfo,
    colors: dict[str, str],
    names: dict[int, str],
    clashes: dict[str, list[Clash]],
    conflicts: set[str],
) -> Bar:
    if e.kind == "booking":
        color, what = colors.get(e.status, "#57606a"), f"{e.product_name} · {e.unit_name}"
    elif e.kind == "block":
        color, what = KIND_HEX[e.status], "Block-out"
    else:
        color, what = KIND_HEX[e.kind], f"{e.kind.title()} · {e.unit_name}"
    person = names.get(e.staff_id or 0, "")
    status = e.status.replace("_", " ")
    title = f"{e.label} ({what}, {status}) {_hhmm(e.starts_at, tz)} – {_hhmm(e.ends_at, tz)}" + (
        f", {person}" if person else ""
    )
    texts = [CLASH_TEXT[c.kind] for c in clashes.get(e.key, [])]
    booking = e.id if e.kind == "booking" else e.booking_id
    return _bar(
        e.starts_at,
        e.ends_at,
        days,
        tz,
        css=f"kind-{e.kind} status-{e.status}",
        color=color,
        text=e.label,
        title=title,
        href=f"/portal/bookings/{booking}" if booking else None,
        entry=e,
        clashes=sorted(set(texts)),
        conflict=e.key in conflicts,
    )


def _row_keys(e: Entry, by: str, of_product: dict[int, list[int]], all_rows: list[int | None]) -> list[int | None]:
    if by == "unit":
        if e.kind == "block" and e.staff_id is not None:
            return []
        if e.unit_id is not None:
            return [e.unit_id]
        if e.product_id is not None:
            return list(of_product.get(e.product_id, []))
        return all_rows  # a company closure
    if e.kind == "block" and e.staff_id is None:
        return []  # unit and company block-outs belong to the unit view
    return [e.staff_id]


def build_grid(
    data: Schedule,
    view: str,
    anchor: date,
    today: date,
    now: datetime,
    colors: dict[str, str],
    unit_products: dict[int, int],
    names: dict[int, str],
) -> Grid:
    tz = ZoneInfo(data.timezone)
    first, last, prev, nxt = window_for(view, anchor)
    days = days_between(data.first, data.last)
    units_of_product: dict[int, list[int]] = defaultdict(list)
    for unit, product in unit_products.items():
        units_of_product[product].append(unit)
    clash_map: dict[str, list[Clash]] = defaultdict(list)
    for clash in data.clashes:
        for key in clash.keys:
            clash_map[key].append(clash)
    conflicts = set(data.conflicts)
    bars: dict[int | None, list[Bar]] = defaultdict(list)
    row_ids = [r.id for r in data.rows]
    for e in data.entries:
        bar = _entry_bar(e, days, tz, colors, names, clash_map, conflicts)
        for row_id in _row_keys(e, data.by, units_of_product, row_ids):
            bars[row_id].append(bar)
    if data.by == "staff":
        for b in data.busy:
            when = f"{_hhmm(b.starts_at, tz)} – {_hhmm(b.ends_at, tz)}"
            bars[b.staff_id].append(
                _bar(
                    b.starts_at,
                    b.ends_at,
                    days,
                    tz,
                    css="busy",
                    color="#57606a",
                    text="Busy",
                    title=f"Busy in their own calendar, {when}",
                )
            )
    unit_of = {e.key: e.unit_id for e in data.entries if e.kind != "block"}
    rows = []
    for r in data.rows:
        mine = [replace(b) for b in bars.get(r.id, [])]  # a closure's bar sits in many rows, each in its own lane
        for placed in mine:
            if data.by == "unit" and placed.entry is not None and placed.entry.kind == "block":
                clashing = clash_map.get(placed.entry.key, [])
                here = [c for c in clashing if any(unit_of.get(k) == r.id for k in c.keys)]
                placed.clashes = sorted({CLASH_TEXT[c.kind] for c in here})
        rows.append(GridRow(r.id, r.label, r.group, mine, data.unknown.get(r.id or 0, []), stack(mine)))
    day_list = [
        (d, sorted(((r.label, b) for r in rows for b in r.bars if _bar_on_day(b, d, days)), key=lambda x: x[1].left))
        for d in days
    ]
    now_left = position(now, days, tz) / len(days) * 100 if first <= today <= last else None
    title = first.strftime("%B %Y") if view == "month" else f"{first:%d %b} – {last:%d %b %Y}"
    legend = [(s.replace("_", " "), colors[s]) for s in SHOWN_IN_CALENDARS if s in colors]
    legend += [("maintenance", KIND_HEX["maintenance"]), ("delivery / collection", KIND_HEX["delivery"])]
    legend += [("closed", KIND_HEX["closed"]), ("away", KIND_HEX["away"])]
    return Grid(view, data.by, first, last, days, rows, today, now_left, prev, nxt, title, day_list, legend)


def _bar_on_day(b: Bar, d: date, days: list[date]) -> bool:
    n = len(days)
    index = (d - days[0]).days
    return b.left < (index + 1) / n * 100 and b.left + b.width > index / n * 100
