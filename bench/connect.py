"""Many connections at once: N integrations connect together (each an initial full sync of M bookings) under
Google's default quotas (600 calls per user and 10,000 per project per minute, enforced by the sandbox).

    python -m bench.connect [--integrations 200] [--items 100] [--threads 4]

Prints the time until every full sync finished, whether every item is in its calendar exactly once, the
quota refusals the sandbox answered (403 userRateLimitExceeded / rateLimitExceeded, 429), the calls made,
and the peak memory (VmHWM) of the worker and of the sandbox.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx

from bench.common import free_port, fresh_database, machine

SANDBOX_PORT = free_port()
SANDBOX = f"http://127.0.0.1:{SANDBOX_PORT}"


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def start_sandbox() -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "sandboxes.google", "--port", str(SANDBOX_PORT), "--no-seed-events",
         "--allow-http-webhooks"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{SANDBOX}/_sandbox/health", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError("sandbox did not start")


async def populate(integrations: int, items: int) -> list[tuple[int, str]]:
    """A company, one manager per integration with `items` bookings assigned (COPY: no outbox rows, so the
    full syncs alone bring them to the calendars), and each manager's connected Google calendar."""
    from calendars import vault
    from calendars.providers.base import Credentials
    from calendars.tables import CalendarIntegration, CalendarTarget
    from rental.accounts import hash_password
    from rentcal.db import close_pool, open_pool

    await open_pool(max_size=4)

    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    company = await conn.fetchval(
        "INSERT INTO company (name, slug, timezone, business_hours, status_colors, created_at)"
        " VALUES ('Bench', 'bench-connect', 'America/Los_Angeles', '{}', '{}', now()) RETURNING id"
    )
    product = await conn.fetchval(
        "INSERT INTO product (company, name, description, public, created_at)"
        " VALUES ($1, 'Lift', '', true, now()) RETURNING id",
        company,
    )
    customer = await conn.fetchval(
        "INSERT INTO customer (company, name, email, phone, created_at)"
        " VALUES ($1, 'C', 'c@bench.test', '', now()) RETURNING id",
        company,
    )
    password = hash_password("x")
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    connected: list[tuple[int, str]] = []
    bookings = []
    async with httpx.AsyncClient(base_url=SANDBOX) as client:
        for i in range(integrations):
            email = f"connect{i}@gmail.test"
            staff = await conn.fetchval(
                "INSERT INTO staff_user (company, email, name, password_hash, role, active, created_at)"
                " VALUES ($1, $2, $3, $4, 'manager', true, now()) RETURNING id",
                company,
                f"m{i}@bench.test",
                f"M{i}",
                password,
            )
            unit = await conn.fetchval(
                "INSERT INTO unit (company, product, name, active) VALUES ($1, $2, $3, true) RETURNING id",
                company,
                product,
                f"Lift #{i}",
            )
            grant = (await client.post("/_sandbox/tokens", json={"email": email})).json()
            sealed = vault.seal_credentials(
                Credentials(
                    grant["access_token"],
                    grant.get("refresh_token"),
                    datetime.now(UTC) + timedelta(seconds=int(grant["expires_in"])),
                )
            )
            integration = (
                await CalendarIntegration.insert(
                    CalendarIntegration(
                        company=company,
                        user=staff,
                        provider="google",
                        account_email=email,
                        credentials=sealed,
                        direction="one_way_to_external",  # no web process here to receive push notifications
                    )
                ).returning(CalendarIntegration.id)
            )[0]["id"]
            await CalendarTarget.insert(
                CalendarTarget(
                    company=company,
                    integration=integration,
                    external_id=email,
                    name=email,
                    write_kinds=["bookings"],
                    read_busy=False,
                )
            )
            connected.append((integration, email))
            for n in range(items):
                begins = start + timedelta(hours=3 * n)
                now = datetime.now(UTC)
                bookings.append((company, product, unit, customer, staff, begins, begins + timedelta(hours=2),
                                 "confirmed", now, now))  # fmt: skip
    await conn.copy_records_to_table(
        "booking",
        records=bookings,
        columns=["company", "product", "unit", "customer", "assigned_staff", "starts_at", "ends_at", "status",
                 "created_at", "updated_at"],
    )  # fmt: skip
    await conn.execute("ANALYZE")
    await conn.close()
    await close_pool()
    return connected


async def connect_all(connected: list[tuple[int, str]], items: int) -> float:
    """What the OAuth callback does for each, all at once; returns seconds until every full sync finished."""
    from rentcal.db import close_pool, open_pool
    from tasks.sync import request_full_sync

    await open_pool(max_size=4)
    t0 = time.perf_counter()
    for integration, _ in connected:
        await request_full_sync(integration)
    conn = await asyncpg.connect(os.environ["DATABASE_URL"])
    ids = [i for i, _ in connected]
    try:
        while True:
            pending = await conn.fetchval(
                "SELECT count(*) FROM calendar_integration WHERE id = ANY($1) AND"
                " (full_sync_requested_at IS NOT NULL OR last_synced_at IS NULL)",
                ids,
            )
            if pending == 0:
                break
            await asyncio.sleep(0.5)
        return time.perf_counter() - t0
    finally:
        await conn.close()
        await close_pool()


def exactly_once(connected: list[tuple[int, str]], items: int) -> tuple[int, int, int]:
    """(calendars holding exactly their items once each, events in all, duplicated keys)."""
    right = total = duplicated = 0
    with httpx.Client(base_url=SANDBOX, timeout=60) as client:
        for _, email in connected:
            events = client.get(f"/_sandbox/calendars/{email}/events").json()["items"]
            keys = Counter(e.get("extendedProperties", {}).get("private", {}).get("rentcal_key") for e in events)
            total += len(events)
            duplicated += sum(1 for count in keys.values() if count > 1)
            right += int(len(keys) == items and set(keys.values()) == {1} and None not in keys)
    return right, total, duplicated


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--integrations", type=int, default=200)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    fresh_database("rentcal_bench_connect")
    os.environ.update(
        {
            "RENTCAL_GOOGLE_API_URL": f"{SANDBOX}/calendar/v3",
            "RENTCAL_GOOGLE_TOKEN_URL": f"{SANDBOX}/token",
            "RENTCAL_BASE_URL": f"http://127.0.0.1:{free_port()}",
            "RENTCAL_OUTBOX_POLL_SECONDS": "1",
            "RENTCAL_ALLOW_HTTP_WEBHOOKS": "1",
            # a burst this size takes minutes on two shared cores: no "lost message" re-sends meanwhile
            "RENTCAL_FULL_SYNC_RETRY_SECONDS": "3600",
        }
    )
    sandbox = start_sandbox()
    worker = None
    try:
        connected = asyncio.run(populate(args.integrations, args.items))
        worker = subprocess.Popen(
            [sys.executable, "-m", "rentcal.cli", "worker", "--threads", str(args.threads)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        time.sleep(3)  # the worker boots (its pool, the broker) before the burst
        httpx.delete(f"{SANDBOX}/_sandbox/stats")
        load = load_average()
        seconds = asyncio.run(connect_all(connected, args.items))
        stats = httpx.get(f"{SANDBOX}/_sandbox/stats").json()
        right, total, duplicated = exactly_once(connected, args.items)
        worker_peak = peak_rss_mib(worker.pid)
        sandbox_peak = peak_rss_mib(sandbox.pid)
    finally:
        if worker is not None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        sandbox.terminate()
    requests = stats["requests"]
    faults = stats["faults_injected"]
    expected = args.integrations * args.items
    print(f"\nMachine: {machine()}; date {date.today()}; load average before the burst {load}\n")
    print("| measure | value |\n| --- | --- |")
    print(f"| integrations connecting at once x items each | {args.integrations} x {args.items} |")
    print(f"| time until every full sync finished | {seconds:.1f} s |")
    print(f"| events written per second | {expected / seconds:,.0f} |")
    print(f"| calendars holding each of their items exactly once | {right} of {args.integrations} |")
    print(f"| events in the calendars / expected | {total:,} / {expected:,} (keys duplicated: {duplicated}) |")
    batches = requests["by_method"].get("batch", 0)
    print(f"| Calendar API calls (each call in a batch counted) | {requests['total'] - batches:,} |")
    print(f"| batch requests carrying them | {batches:,} |")
    print(f"| 403 userRateLimitExceeded | {faults.get('userRateLimitExceeded', 0)} |")
    print(f"| 403 rateLimitExceeded (project) | {faults.get('rateLimitExceeded', 0)} |")
    print(f"| 429 answers | {requests['by_status'].get('429', 0)} |")
    print(f"| peak memory (VmHWM): worker / sandbox | {worker_peak:.0f} MiB / {sandbox_peak:.0f} MiB |")


if __name__ == "__main__":
    main()
