"""Availability benchmark: `available_dates` over 90 days with 100 products x 5 units x 20,000
bookings, then the calendar endpoint under concurrent load. Prints a Markdown table.

    python -m bench.availability [--seconds 10] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo

from bench.common import free_port, fresh_database, load, machine, start_server

PRODUCTS, UNITS, BOOKINGS = 100, 5, 20_000
TZ = ZoneInfo("America/Los_Angeles")


async def populate(start: date) -> tuple[list[int], str]:
    import asyncpg

    from rental.accounts import create_api_token, hash_password

    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    company = await conn.fetchval(
        "INSERT INTO company (name, slug, timezone, business_hours, status_colors, created_at)"
        " VALUES ('Bench', 'bench', $1, '{}', '{}', now()) RETURNING id",
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
        " VALUES ($1, 'C', 'c@bench.test', '', now()) RETURNING id",
        company,
    )
    products, units = [], []
    for p in range(PRODUCTS):
        pid = await conn.fetchval(
            "INSERT INTO product (company, name, description, public, created_at)"
            " VALUES ($1, $2, '', true, now()) RETURNING id",
            company,
            f"Product {p}",
        )
        products.append(pid)
        for u in range(UNITS):
            uid = await conn.fetchval(
                "INSERT INTO unit (company, product, name, active) VALUES ($1, $2, $3, true) RETURNING id",
                company,
                pid,
                f"P{p} U{u}",
            )
            units.append((pid, uid))
    rng = random.Random(7)
    per_unit = BOOKINGS // len(units)
    rows = []
    for pid, uid in units:
        day = start - timedelta(days=30)
        for _ in range(per_unit):
            day += timedelta(days=rng.randint(0, 3))
            length = rng.randint(1, 4)
            s = datetime.combine(day, dtime(8), tzinfo=TZ)
            e = datetime.combine(day + timedelta(days=length), dtime(7), tzinfo=TZ)
            now = datetime.now(UTC)
            rows.append((company, pid, uid, customer, s, e, "confirmed", now, now))
            day += timedelta(days=length)
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
            "created_at",
            "updated_at",
        ],
    )
    await conn.execute("ANALYZE")
    await conn.close()
    return products, await create_api_token("bench@bench.test")


async def time_service(products: list[int], start: date, repeats: int) -> list[float]:
    from rental.availability import available_dates
    from rental.tenants import tenant_by_slug
    from rentcal.db import close_pool, open_pool

    await open_pool(max_size=4)
    tenant = await tenant_by_slug("bench")
    timings = []
    for i in range(repeats):
        t0 = time.perf_counter()
        days = await available_dates(tenant, products[i % len(products)], start, start + timedelta(days=89))
        timings.append((time.perf_counter() - t0) * 1000)
        assert len(days) == 90
    await close_pool()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    fresh_database("rentcal_bench")
    start = date.today()
    t0 = time.perf_counter()
    products, token = asyncio.run(populate(start))
    print(f"populated {PRODUCTS} products x {UNITS} units, {BOOKINGS:,} bookings in {time.perf_counter() - t0:.1f}s")
    timings = asyncio.run(time_service(products, start, 200))
    print(f"\nMachine: {machine()}; date {date.today()}\n")
    print("| measure | value |\n| --- | --- |")
    print(f"| available_dates, 90 days, p50 | {statistics.median(timings):.2f} ms |")
    print(f"| available_dates, 90 days, p95 | {sorted(timings)[int(len(timings) * 0.95)]:.2f} ms |")
    port = free_port()
    server = start_server([sys.executable, "-m", "rentcal.cli", "web", "--port", str(port)], port)
    try:
        url = (
            f"http://127.0.0.1:{port}/api/v1/products/{products[0]}/calendar"
            f"?from={start}&to={start + timedelta(days=89)}"
        )
        asyncio.run(load(url, 2, 8, lambda: {"Authorization": f"Bearer {token}"}))  # warm-up
        result = asyncio.run(load(url, args.seconds, args.concurrency, lambda: {"Authorization": f"Bearer {token}"}))
    finally:
        server.terminate()
        server.wait(timeout=15)
    print(f"\nCalendar endpoint (90 days), one uvicorn worker, concurrency {args.concurrency}, {args.seconds:.0f}s:\n")
    print("| endpoint | req/s | p50 ms | p99 ms | statuses |\n| --- | --- | --- | --- | --- |")
    print(result.row("GET /api/v1/products/{id}/calendar"))


if __name__ == "__main__":
    main()
