"""Faults: the provider fails 30% of requests and the worker dies mid-run; nothing is lost or doubled."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from calendars.tables import CalendarEvent
from rental import bookings
from rental.schemas import BookingCreate, CustomerIn
from tests.integration.test_google_sync import ours, setup_connected
from tests.support.google_flow import eventually
from tests.support.worker import WorkerHandle

LA = ZoneInfo("America/Los_Angeles")
BOOKINGS = 30


async def test_every_booking_lands_exactly_once_despite_faults_and_a_crash(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    ctx = await setup_connected(live_server)
    tenant, account = ctx["tenant"], ctx["account"]
    async with httpx.AsyncClient(base_url=google_sandbox) as sandbox:
        faults = await sandbox.post(
            "/_sandbox/faults",
            json={
                "error_rate": 0.3,
                "error_kinds": ["tooManyRequests", "rateLimitExceeded", "backendError"],
                "retry_after_seconds": 1,
                "seed": 11,
            },
        )
        assert faults.is_success, faults.text
        try:
            start = datetime(2028, 1, 3, 8, tzinfo=LA)
            keys = []
            for i in range(BOOKINGS):  # one unit, back-to-back bookings
                booking = await bookings.create_booking(
                    tenant,
                    BookingCreate(
                        product_id=ctx["product"],
                        starts_at=start + timedelta(hours=3 * i),
                        ends_at=start + timedelta(hours=3 * i + 2),
                        customer=CustomerIn(name=f"Fault {i}", email=f"fault{i}@example.test"),
                        assigned_staff_id=ctx["staff_id"],
                    ),
                )
                keys.append(f"booking:{booking.id}")

            async def some_synced() -> bool:
                return await CalendarEvent.count().where(CalendarEvent.item_key.is_in(keys)) >= 3

            await eventually(some_synced, timeout=60, what="the first events")
            worker_process.kill()  # the whole worker process group dies, mid-run
            await asyncio.sleep(1)
            worker_process.start()

            async def all_synced() -> bool:
                return (
                    await CalendarEvent.count().where(
                        CalendarEvent.item_key.is_in(keys) & (CalendarEvent.state == "synced")
                    )
                    == BOOKINGS
                )

            await eventually(all_synced, timeout=180, what="every booking in the calendar")
            stats = (await sandbox.get("/_sandbox/stats")).json()
            assert sum(stats["faults_injected"].values()) > 0  # faults really happened
        finally:
            await sandbox.delete("/_sandbox/faults")

    events = [e for e in await ours(google_sandbox, account) if e["status"] != "cancelled"]
    per_key = Counter(e["extendedProperties"]["private"]["rentcal_key"] for e in events)
    assert set(per_key) == set(keys)  # zero losses
    assert all(count == 1 for count in per_key.values()), per_key  # zero duplicates
