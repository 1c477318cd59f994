"""Value objects validate what callers pass in."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from calendars.ical.models import FeedError, ImportedEvent


def test_imported_event_key_and_validation() -> None:
    start, end = datetime(2026, 3, 1, 9, tzinfo=UTC), datetime(2026, 3, 1, 10, tzinfo=UTC)
    single = ImportedEvent(uid="a@x", summary="", starts_at=start, ends_at=end)
    assert single.key == "a@x"
    instance = ImportedEvent(uid="a@x", summary="", starts_at=start, ends_at=end, recurrence_id=start)
    assert instance.key == "a@x/20260301T090000Z"
    all_day = ImportedEvent(
        uid="d@x",
        summary="",
        starts_at=start,
        ends_at=end,
        all_day=True,
        start_date=date(2026, 3, 1),
        end_date=date(2026, 3, 2),
    )
    assert all_day.all_day
    with pytest.raises(ValueError, match="UTC"):
        ImportedEvent(
            uid="a",
            summary="",
            starts_at=start.astimezone(ZoneInfo("Europe/Berlin")),
            ends_at=datetime(2030, 1, 1, tzinfo=UTC),
        )
    with pytest.raises(ValueError, match="start_date"):
        ImportedEvent(uid="a", summary="", starts_at=start, ends_at=end, all_day=True)
    with pytest.raises(ValueError, match="all-day"):
        ImportedEvent(uid="a", summary="", starts_at=start, ends_at=end, start_date=date(2026, 3, 1))


def test_feed_error_message() -> None:
    error = FeedError("The feed is empty.")
    assert str(error) == "The feed is empty." == error.message
    assert isinstance(error, Exception)
