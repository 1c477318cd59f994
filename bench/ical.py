"""iCalendar timings that used to sit in unit tests: a 10,000-event feed rendered cold and warm, and
how fast over-large or malformed imports are refused. No database. Prints a Markdown table.

    python -m bench.ical [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bench.common import machine
from calendars.ical import render_feed
from calendars.ical.feeds import clear_event_cache
from calendars.ical.imports import parse_feed
from calendars.ical.models import FeedError, FeedEvent

LA = ZoneInfo("America/Los_Angeles")
MARCH = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 5, 1, tzinfo=UTC))


def event(index: int) -> FeedEvent:
    start = datetime(2026, 1, 1, 9, 0, tzinfo=LA) + timedelta(hours=7 * index)
    return FeedEvent(
        uid=f"booking-{index}@rentcal.example",
        summary=f"Mini excavator #{index}, pickup",
        starts_at=start,
        ends_at=start + timedelta(hours=26),
        timezone="America/Los_Angeles",
        last_modified=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=index),
        description="Customer: Jane Doe\nPhone: +1 555 0100",
        location="Main yard, 123 Industrial Way, Springfield",
        color="SteelBlue",
        sequence=index % 3,
    )


def calendar(count: int) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Bench//EN"]
    for i in range(count):
        lines += ["BEGIN:VEVENT", f"UID:e{i}@x", "DTSTAMP:20260101T000000Z", "DTSTART:20260310T090000Z", "END:VEVENT"]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def refused(data: bytes) -> Callable[[], None]:
    def run() -> None:
        try:
            parse_feed(data, MARCH[0], MARCH[1], default_tz="Europe/Berlin")
        except FeedError:
            return
        raise AssertionError("the feed was accepted")

    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    events = [event(i) for i in range(10_000)]

    def cold() -> None:
        clear_event_cache()
        render_feed("Acme", LA.key, events, color="red")

    figures = [
        ("render_feed, 10,000 events, cold VEVENT cache", median_ms(cold, args.repeats)),
        (
            "render_feed, 10,000 events, warm VEVENT cache",
            median_ms(lambda: render_feed("Acme", LA.key, events), args.repeats),
        ),
        ("read(), 25,000 events: refused by the event limit", median_ms(refused(calendar(25_000)), args.repeats)),
        ("read(), 11 MB: refused by the size limit", median_ms(refused(b" " * (11 * 1024 * 1024)), args.repeats)),
        (
            "read(), an HTML page instead of a calendar",
            median_ms(refused(b"<!DOCTYPE html><html></html>"), args.repeats),
        ),
    ]
    print(f"\nMachine: {machine()}; date {date.today()}; median of {args.repeats}\n")
    print("| measure | ms |\n| --- | --- |")
    for label, value in figures:
        print(f"| {label} | {value:.1f} |")


if __name__ == "__main__":
    main()
