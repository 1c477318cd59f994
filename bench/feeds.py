"""Subscription feed benchmark: a 10,000-event feed rendered in-process, then served by the real web app
for full answers (200) and conditional ones (304). Prints Markdown tables.

    python -m bench.feeds [--seconds 10] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import free_port, fresh_database, load, machine, start_server

EVENTS, UNITS = 10_000, 50
TZ = ZoneInfo("America/Los_Angeles")


async def populate() -> None:
    import asyncpg

    from rental.accounts import hash_password

    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    company = await conn.fetchval(
        "INSERT INTO company (name, slug, timezone, business_hours, status_colors, created_at)"
        " VALUES ('Bench Rentals', 'bench', $1, '{}', '{}', now()) RETURNING id",
        TZ.key,
    )
    await conn.execute(
        "INSERT INTO staff_user (company, email, name, password_hash, role, active, created_at)"
        " VALUES ($1, 'bench@bench.test', 'Bench', $2, 'manager', true, now())",
        company,
        hash_password("x"),
    )
    customer = await conn.fetchval(
        "INSERT INTO customer (company, name, email, phone, created_at)"
        " VALUES ($1, 'Casey Customer', 'c@bench.test', '', now()) RETURNING id",
        company,
    )
    product = await conn.fetchval(
        "INSERT INTO product (company, name, description, public, created_at)"
        " VALUES ($1, 'Excavator XL', '', true, now()) RETURNING id",
        company,
    )
    rows = []
    first = datetime.combine(date.today() - timedelta(days=55), datetime.min.time(), tzinfo=TZ)
    now = datetime.now(UTC)
    for u in range(UNITS):
        unit = await conn.fetchval(
            "INSERT INTO unit (company, product, name, active) VALUES ($1, $2, $3, true) RETURNING id",
            company,
            product,
            f"Unit {u}",
        )
        for i in range(EVENTS // UNITS):  # one day every 2.25 days: 450 days, inside the feed's window
            start = first + timedelta(hours=54 * i + 8 + u % 5)
            status = ("confirmed", "pending", "picked_up")[i % 3]
            rows.append(
                (
                    company,
                    product,
                    unit,
                    customer,
                    start,
                    start + timedelta(hours=30),
                    status,
                    "Yard 1, 100 Main St",
                    now,
                    now,
                )
            )
    await conn.copy_records_to_table(
        "booking",
        records=rows,
        columns=[
            "company",
            "product",
            "unit",
            "customer",
            "starts_at",
            "ends_at",
            "status",
            "pickup_location",
            "created_at",
            "updated_at",
        ],
    )
    await conn.execute("ANALYZE")
    await conn.close()


def timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    timings, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        timings.append((time.perf_counter() - t0) * 1000)
    return timings, result


async def in_process(repeats: int) -> tuple[str, list[tuple[str, str]]]:
    from calendars.feeds import subscriptions
    from calendars.feeds.content import _event, feed_events, fingerprint
    from calendars.ical import render_feed
    from calendars.ical.feeds import clear_event_cache
    from calendars.ical_tables import FeedSubscription
    from rental.accounts import staff_by_id
    from rental.tables import StaffUser
    from rental.tenants import tenant_by_slug
    from rentcal.db import close_pool, open_pool

    await open_pool(max_size=4)
    tenant = await tenant_by_slug("bench")
    row = await StaffUser.select(StaffUser.id).where(StaffUser.email == "bench@bench.test").first()
    assert row is not None
    staff = await staff_by_id(row["id"])
    assert staff is not None
    link = await subscriptions.create_subscription(tenant, staff, "company")
    [sub] = await FeedSubscription.raw(
        "SELECT f.*, s.role, c.timezone FROM feed_subscription f JOIN staff_user s ON s.id = f.owner "
        "JOIN company c ON c.id = f.company WHERE f.id = {}",
        link.subscription.id,
    )
    scope = subscriptions.scope_for(sub, datetime.now(UTC))
    assert scope is not None
    cold_queries, queries, digests = [], [], []
    for _ in range(repeats):
        _event.cache_clear()
        t0 = time.perf_counter()
        events = await feed_events(scope)
        cold_queries.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        events = await feed_events(scope)
        queries.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        await fingerprint(scope)
        digests.append((time.perf_counter() - t0) * 1000)
    assert len(events) == EVENTS, len(events)

    def cold() -> bytes:
        clear_event_cache()
        return render_feed("Bench", TZ.key, events)

    cold_ms, body = timed(cold, repeats)
    warm_ms, _ = timed(lambda: render_feed("Bench", TZ.key, events), repeats)
    answers = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        answer = await subscriptions.answer(link.https.rsplit("/", 1)[1].removesuffix(".ics"), None, None)
        answers.append((time.perf_counter() - t0) * 1000)
    assert answer is not None
    await close_pool()
    med = statistics.median
    return link.https.rsplit("/", 1)[1], [
        ("events in the feed", f"{len(events):,}"),
        ("body size", f"{len(body) / 1e6:.2f} MB ({len(body) / len(events):.0f} bytes/event)"),
        ("fingerprint query, the ETag (p50)", f"{med(digests):.1f} ms"),
        ("rows + FeedEvents, first time (p50)", f"{med(cold_queries):.1f} ms"),
        ("rows + FeedEvents, unchanged rows (p50)", f"{med(queries):.1f} ms"),
        ("render_feed, cold VEVENT cache (p50)", f"{med(cold_ms):.1f} ms"),
        ("render_feed, warm VEVENT cache (p50)", f"{med(warm_ms):.1f} ms"),
        ("subscriptions.answer with a cached body (p50)", f"{med(answers):.1f} ms"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    fresh_database("rentcal_bench_feeds")
    t0 = time.perf_counter()
    asyncio.run(populate())
    print(f"populated {EVENTS:,} bookings on {UNITS} units in {time.perf_counter() - t0:.1f}s")
    filename, figures = asyncio.run(in_process(args.repeats))
    print(f"\nMachine: {machine()}; date {date.today()}; load average {Path('/proc/loadavg').read_text().split()[0]}\n")
    print("| measure (in process) | value |\n| --- | --- |")
    for label, value in figures:
        print(f"| {label} | {value} |")

    port = free_port()
    server = start_server(
        [sys.executable, "-m", "rentcal.cli", "web", "--port", str(port)],
        port,
        env={"RENTCAL_BASE_URL": f"http://127.0.0.1:{port}"},
    )
    try:
        url = f"http://127.0.0.1:{port}/feeds/{filename}"
        t0 = time.perf_counter()
        etag, body = asyncio.run(_etag(url))  # the first answer of a fresh process: nothing cached
        ours_cold = time.perf_counter() - t0
        asyncio.run(load(url, 2, 4))  # warm-up
        rows = []
        for concurrency in (1, args.concurrency):
            full = asyncio.run(load(url, args.seconds, concurrency))
            cached = asyncio.run(load(url, args.seconds, concurrency, lambda: {"If-None-Match": etag}))
            rows += [
                full.row(f"200 (full body), concurrency {concurrency}"),
                cached.row(f"304 (If-None-Match), concurrency {concurrency}"),
            ]
        ours_warm = statistics.median(asyncio.run(_full_answers(url, args.repeats)))  # while the server runs
    finally:
        server.terminate()
        server.wait(timeout=15)
    print(f"\nGET /feeds/{{token}}.ics through the real app (one uvicorn worker), {args.seconds:.0f}s each:\n")
    print("| answer | req/s | p50 ms | p99 ms | statuses |\n| --- | --- | --- | --- | --- |")
    print("\n".join(rows))
    radicale_cold, radicale_warm = radicale_export(body, args.repeats)
    print("\nThe same 10,000 events as one full HTTP answer, ours against Radicale (one calendar, one item each):\n")
    print("| answer | ours | Radicale | Radicale / ours |\n| --- | --- | --- | --- |")
    print(f"| first answer of a fresh process | {ours_cold * 1000:,.0f} ms | {radicale_cold * 1000:,.0f} ms |"
          f" {radicale_cold / ours_cold:.1f} |")  # fmt: skip
    print(f"| warm (p50 of {args.repeats}) | {ours_warm * 1000:,.0f} ms | {radicale_warm * 1000:,.0f} ms |"
          f" {radicale_warm / ours_warm:.1f} |")  # fmt: skip


async def _full_answers(url: str, repeats: int) -> list[float]:
    import httpx

    timings = []
    async with httpx.AsyncClient(timeout=120) as client:
        for _ in range(repeats):
            t0 = time.perf_counter()
            assert (await client.get(url)).status_code == 200
            timings.append(time.perf_counter() - t0)
    return timings


def radicale_export(feed: bytes, repeats: int) -> tuple[float, float]:
    """Radicale (a real server, its multifilesystem storage) serving GET on a calendar holding the feed's
    events, one item per event as a CalDAV client would have stored them: (first answer, warm p50) in s."""
    import json
    import subprocess
    import tempfile

    import httpx
    from icalendar import Calendar

    parsed = Calendar.from_ical(feed)
    zones = [c for c in parsed.subcomponents if c.name == "VTIMEZONE"]
    storage = Path(tempfile.mkdtemp(prefix="rentcal-bench-radicale-"))
    folder = storage / "collections" / "collection-root" / "bench" / "feed"
    folder.mkdir(parents=True)
    (folder / ".Radicale.props").write_text(json.dumps({"tag": "VCALENDAR", "D:displayname": "Bench"}))
    for n, event in enumerate(c for c in parsed.subcomponents if c.name == "VEVENT"):
        item = Calendar()
        item.add("PRODID", "-//bench//EN")
        item.add("VERSION", "2.0")
        for zone in zones:
            item.add_component(zone)
        item.add_component(event)
        (folder / f"event{n}.ics").write_bytes(item.to_ical())
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "radicale", "--server-hosts", f"127.0.0.1:{port}", "--storage-filesystem-folder",
         str(storage / "collections"), "--auth-type", "none", "--rights-type", "owner_only", "--logging-level",
         "warning", "--config"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "RADICALE_CONFIG": ""},
    )  # fmt: skip
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", auth=("bench", "x"), timeout=600) as client:
            deadline = time.monotonic() + 60
            while True:
                try:
                    client.get("/.well-known/caldav")
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            timings = []
            for _ in range(repeats + 1):
                t0 = time.perf_counter()
                answer = client.get("/bench/feed/")
                timings.append(time.perf_counter() - t0)
                assert answer.status_code == 200 and answer.content.count(b"BEGIN:VEVENT") == EVENTS
    finally:
        process.terminate()
        process.wait(timeout=30)
    return timings[0], statistics.median(timings[1:])


async def _etag(url: str) -> tuple[str, bytes]:
    import httpx

    async with httpx.AsyncClient(timeout=120) as client:
        response = await client.get(url)
    assert response.status_code == 200, response.status_code
    return response.headers["etag"], response.content


if __name__ == "__main__":
    main()
