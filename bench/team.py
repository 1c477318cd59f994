"""Team calendar benchmark: the schedule behind /portal/team and GET /api/v1/schedule, in process, for 100 units
over a 31-day month with 20,000 bookings in the database (a quarter of them assigned to 10 people).

The reference, measured in the same run, is one plain SQL query that fetches the same window's booking rows:
the ratio says what the read model, clash detection and JSON encoding cost on top of reading the rows.

    python -m bench.team [--repeats 60]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

import msgspec

from bench.common import fresh_database, machine

PRODUCTS, UNITS_PER_PRODUCT, BOOKINGS, PEOPLE = 20, 5, 20_000, 10
TZ = ZoneInfo("Europe/Berlin")
TARGET_MS = 50.0


async def populate(month: date) -> int:
    import asyncpg

    from rental.accounts import hash_password

    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    company = await conn.fetchval(
        "INSERT INTO company (name, slug, timezone, business_hours, status_colors, created_at)"
        " VALUES ('Bench', 'bench', $1, '{}', '{}', now()) RETURNING id",
        TZ.key,
    )
    people = []
    for n in range(PEOPLE + 1):
        role = "manager" if n == 0 else "driver"
        people.append(
            await conn.fetchval(
                "INSERT INTO staff_user (company, email, name, password_hash, role, active, created_at)"
                " VALUES ($1, $2, $3, $4, $5, true, now()) RETURNING id",
                company,
                f"p{n}@bench.test",
                f"Person {n}",
                hash_password("x"),
                role,
            )
        )
    customer = await conn.fetchval(
        "INSERT INTO customer (company, name, email, phone, created_at) VALUES ($1, 'C', 'c@bench.test', '', now())"
        " RETURNING id",
        company,
    )
    units = []
    for p in range(PRODUCTS):
        pid = await conn.fetchval(
            "INSERT INTO product (company, name, description, public, created_at)"
            " VALUES ($1, $2, '', true, now()) RETURNING id",
            company,
            f"Product {p}",
        )
        for u in range(UNITS_PER_PRODUCT):
            uid = await conn.fetchval(
                "INSERT INTO unit (company, product, name, active) VALUES ($1, $2, $3, true) RETURNING id",
                company,
                pid,
                f"P{p} U{u}",
            )
            units.append((pid, uid))
    rng = random.Random(13)
    rows = []
    # 200 bookings per unit, one to three days each with gaps, spread around the benchmarked month
    for pid, uid in units:
        day = month - timedelta(days=330)
        for _ in range(BOOKINGS // len(units)):
            day += timedelta(days=rng.randint(0, 2))
            length = rng.randint(1, 3)
            start = datetime.combine(day, dtime(8), tzinfo=TZ)
            end = datetime.combine(day + timedelta(days=length), dtime(7), tzinfo=TZ)
            driver = rng.choice(people[1:]) if rng.random() < 0.25 else None
            now = datetime.now(UTC)
            rows.append((company, pid, uid, customer, driver, start, end, "confirmed", now, now))
            day += timedelta(days=length)
    await conn.copy_records_to_table(
        "booking",
        records=rows,
        columns=[
            "company", "product", "unit", "customer", "assigned_staff", "starts_at", "ends_at", "status",
            "created_at", "updated_at",
        ],
    )  # fmt: skip
    await conn.execute("ANALYZE")
    await conn.close()
    return int(people[0])


async def measure(month: date, manager_id: int, repeats: int) -> tuple[list[float], list[float], int]:
    """(schedule + JSON timings, reference query timings, entries in the window)."""
    from portal.schedule import Filters, schedule
    from rental.accounts import staff_by_id
    from rental.tables import Booking
    from rental.tenants import tenant_by_slug
    from rental.timeline import window
    from rentcal.db import close_pool, open_pool

    await open_pool(max_size=4)
    tenant = await tenant_by_slug("bench")
    manager = await staff_by_id(manager_id)
    assert manager is not None
    last = month.replace(day=31)
    start, end = window(tenant, month, last)
    team, reference, count = [], [], 0
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = await schedule(tenant, manager, month, last, "unit", Filters())
        body = msgspec.json.encode(result)
        team.append((time.perf_counter() - t0) * 1000)
        count = len(result.entries)
        assert len(result.rows) == PRODUCTS * UNITS_PER_PRODUCT and body
        t0 = time.perf_counter()
        rows = await Booking.raw(
            "SELECT * FROM booking WHERE company = {} AND starts_at < {} AND ends_at > {}", tenant.id, end, start
        )
        reference.append((time.perf_counter() - t0) * 1000)
        assert rows
    await close_pool()
    return team, reference, count


def p95(values: list[float]) -> float:
    return sorted(values)[int(len(values) * 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=60)
    args = parser.parse_args()
    fresh_database("rentcal_bench_team")
    month = (date.today().replace(day=1) + timedelta(days=40)).replace(day=1)
    while (month.replace(day=28) + timedelta(days=3)).month != month.month:  # a month with 31 days
        month = (month + timedelta(days=32)).replace(day=1)
    t0 = time.perf_counter()
    manager_id = asyncio.run(populate(month))
    units = PRODUCTS * UNITS_PER_PRODUCT
    print(f"populated {units} units, {BOOKINGS:,} bookings in {time.perf_counter() - t0:.1f}s")
    asyncio.run(measure(month, manager_id, 5))  # warm-up: pool, imports, plans
    team, reference, count = asyncio.run(measure(month, manager_id, args.repeats))
    p50, ref50 = statistics.median(team), statistics.median(reference)
    print(f"\nMachine: {machine()}; date {date.today()}; month {month:%B %Y}, {count:,} entries in the window\n")
    print("| measure | p50 ms | p95 ms | ratio to reference (p50) |\n| --- | --- | --- | --- |")
    print(f"| reference: SELECT the window's booking rows | {ref50:.2f} | {p95(reference):.2f} | 1.0 |")
    print(
        f"| team schedule by unit + JSON, {units} units x 31 days | {p50:.2f} | {p95(team):.2f} | {p50 / ref50:.1f} |"
    )
    print(f"\ntarget p50 < {TARGET_MS:.0f} ms: {'met' if p50 < TARGET_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
