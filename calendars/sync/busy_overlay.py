"""Busy time from connected calendars for many people at once (the team calendar's overlay).

Reads the `external_busy` rows the sync engine keeps (times only, never titles) and the calendars
that could not be read recently: those people are "unknown", which views show as unknown, never free.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from calendars.tables import CalendarTarget
from rental.daystatus import Interval
from rentcal.settings import get_settings


@dataclass(frozen=True)
class BusyOverlay:
    intervals: dict[int, list[Interval]] = field(default_factory=dict)
    unknown: dict[int, list[str]] = field(default_factory=dict)  # staff -> why (people-facing)


async def busy_overlay(company_id: int, staff_ids: Collection[int], start: datetime, end: datetime) -> BusyOverlay:
    if not staff_ids:
        return BusyOverlay()
    ids = list(staff_ids)
    rows = await CalendarTarget.raw(
        """
        SELECT staff, starts_at, ends_at FROM external_busy
        WHERE company = {} AND staff = ANY({}) AND starts_at < {} AND ends_at > {}
        ORDER BY staff, starts_at
        """,
        company_id,
        ids,
        end,
        start,
    )
    intervals: dict[int, list[Interval]] = defaultdict(list)
    for row in rows:
        intervals[row["staff"]].append((row["starts_at"], row["ends_at"]))
    stale = datetime.now(UTC) - timedelta(minutes=2 * get_settings().inbound_sync_minutes + 5)
    targets = await CalendarTarget.raw(
        """
        SELECT i.user AS staff, t.name, t.read_error, t.last_read_at, i.status FROM calendar_target t
        JOIN calendar_integration i ON i.id = t.integration
        WHERE i.company = {} AND i.user = ANY({}) AND t.read_busy AND i.status <> 'disconnected'
        """,
        company_id,
        ids,
    )
    unknown: dict[int, list[str]] = defaultdict(list)
    for row in targets:
        name = row["name"] or "calendar"
        if row["status"] == "needs_reconnect":
            unknown[row["staff"]].append(f"{name} needs to be reconnected")
        elif row["read_error"]:
            unknown[row["staff"]].append(f"{name} could not be read")
        elif row["last_read_at"] is None or row["last_read_at"] < stale:
            unknown[row["staff"]].append(f"{name} has not been read recently")
    return BusyOverlay(dict(intervals), dict(unknown))
