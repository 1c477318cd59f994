"""Sync core v2: exactly once in the situations people create (connect while notifications are live,
re-routing, disconnect, orphans, refusals), busy time for real-world events, and the audit."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import dramatiq
import httpx
import pytest

from calendars.providers.base import RetryableError
from calendars.sync import audit, refusals
from calendars.sync.busy import staff_busy
from calendars.tables import CalendarEvent, CalendarIntegration, CalendarTarget, ExternalBusy
from rental import blocks, bookings, schedules
from rental.schemas import BlockCreate, BookingCreate, CustomerIn, DeliveryCreate
from rental.tables import Booking
from rental.tenants import Tenant
from tests.factories import make_product, make_staff, make_tenant
from tests.support.google_flow import connect_google, eventually, sandbox_events
from tests.support.worker import WorkerHandle

LA = ZoneInfo("America/Los_Angeles")
KEY = "rentcal_key"


def live_keys(events: list[dict[str, Any]]) -> Counter[str]:
    return Counter(
        e["extendedProperties"]["private"][KEY]
        for e in events
        if e.get("status") != "cancelled" and (e.get("extendedProperties") or {}).get("private", {}).get(KEY)
    )


async def api(live_server: str, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=60) as client:
        return await client.request(
            method, f"{live_server}{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs
        )


async def book(tenant: Tenant, product: int, staff: int, start: datetime, name: str) -> int:
    booking = await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            starts_at=start,
            ends_at=start + timedelta(hours=20),
            customer=CustomerIn(name=name, email=f"{name.lower().replace(' ', '.')}@example.test"),
            assigned_staff_id=staff,
        ),
    )
    return booking.id


async def full_sync_done(integration_id: int) -> bool:
    row = (
        await CalendarIntegration.select(CalendarIntegration.last_synced_at)
        .where(CalendarIntegration.id == integration_id)
        .first()
    )
    return row is not None and row["last_synced_at"] is not None


async def exactly_once(sandbox: str, calendar: str, expected: set[str]) -> bool:
    counts = live_keys(await sandbox_events(sandbox, calendar))
    return set(counts) == expected and all(n == 1 for n in counts.values())


@pytest.mark.parametrize("run", [1, 2, 3])
async def test_connect_while_notifications_are_live_puts_every_item_in_once(
    run: int, live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    from rental.accounts import create_api_token

    tenant = await make_tenant()
    manager_id, manager_email = await make_staff(tenant, "manager")
    driver_id, driver_email = await make_staff(tenant, "driver")
    product, _ = await make_product(tenant, units=2)
    first = datetime.now(LA).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=2)
    booking_ids = [
        await book(tenant, product, manager_id, first + timedelta(days=i // 2), f"Cust {i}") for i in range(104)
    ]
    delivery_ids = []
    for i, booking_id in enumerate(booking_ids[:36]):
        start = first + timedelta(days=i // 2, hours=-2)
        delivery = await schedules.create_delivery(
            tenant,
            DeliveryCreate(
                booking_id=booking_id,
                kind="delivery",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                address=f"{i} Main St",
                driver_id=driver_id,
                route_order=i,
            ),
        )
        delivery_ids.append(delivery.id)
    manager_account, driver_account = f"m{run}.{tenant.slug}@gmail.test", f"d{run}.{tenant.slug}@gmail.test"

    async def more_bookings_during_the_connect() -> list[int]:
        await asyncio.sleep(0.5)
        start = first + timedelta(days=80)
        return [await book(tenant, product, manager_id, start + timedelta(days=i), f"Late {i}") for i in range(8)]

    manager, driver, late = await asyncio.gather(
        connect_google(live_server, await create_api_token(manager_email), manager_account),
        connect_google(live_server, await create_api_token(driver_email), driver_account),
        more_bookings_during_the_connect(),
    )
    expected_manager = {f"booking:{i}" for i in booking_ids + late}
    expected_driver = {f"delivery:{i}" for i in delivery_ids}
    await eventually(lambda: full_sync_done(manager["id"]), timeout=120, what="the manager's full sync")
    await eventually(lambda: full_sync_done(driver["id"]), timeout=120, what="the driver's full sync")
    await eventually(
        lambda: exactly_once(google_sandbox, manager_account, expected_manager), timeout=120, what="every booking"
    )
    await eventually(
        lambda: exactly_once(google_sandbox, driver_account, expected_driver), timeout=120, what="every delivery"
    )
    # the reads started by the notifications of our own writes have had their turn: still exactly once
    await asyncio.sleep(6)
    manager_counts = live_keys(await sandbox_events(google_sandbox, manager_account))
    driver_counts = live_keys(await sandbox_events(google_sandbox, driver_account))
    assert set(manager_counts) == expected_manager and max(manager_counts.values()) == 1
    assert set(driver_counts) == expected_driver and max(driver_counts.values()) == 1
    report = await audit.audit_integration(manager["id"])
    assert report.problems == 0, report


async def connected(live_server: str, role: str) -> dict[str, Any]:
    from rental.accounts import create_api_token

    tenant = await make_tenant()
    staff_id, email = await make_staff(tenant, role)
    product, _ = await make_product(tenant, units=1)
    token = await create_api_token(email)
    account = f"{role}.{tenant.slug}@gmail.test"
    integration = await connect_google(live_server, token, account)
    await eventually(lambda: full_sync_done(integration["id"]), what="the first full sync")
    return {
        "tenant": tenant,
        "staff": staff_id,
        "product": product,
        "token": token,
        "account": account,
        "integration": integration,
    }


async def test_rerouting_a_kind_moves_its_events_and_keep_leaves_them(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    ctx = await connected(live_server, "driver")
    tenant, driver = ctx["tenant"], ctx["staff"]
    manager_id, _ = await make_staff(tenant, "manager")
    start = datetime.now(LA).replace(microsecond=0) + timedelta(days=3)
    deliveries = []
    for i in range(5):
        booking_id = await book(tenant, ctx["product"], manager_id, start + timedelta(days=i), f"Site {i}")
        delivery = await schedules.create_delivery(
            tenant,
            DeliveryCreate(
                booking_id=booking_id,
                kind="delivery",
                starts_at=start + timedelta(days=i),
                ends_at=start + timedelta(days=i, hours=1),
                address=f"{i} Quarry Rd",
                driver_id=driver,
            ),
        )
        deliveries.append(f"delivery:{delivery.id}")
    primary, deliveries_calendar = ctx["account"], ctx["integration"]["calendars"][1]["external_id"]
    await eventually(lambda: exactly_once(google_sandbox, primary, set(deliveries)), what="deliveries in primary")

    calendars = {c["external_id"]: c["id"] for c in ctx["integration"]["calendars"]}
    settings = {
        "calendars": [
            {"id": calendars[primary], "write_kinds": [], "read_busy": True},
            {"id": calendars[deliveries_calendar], "write_kinds": ["deliveries"], "read_busy": False},
        ]
    }
    response = await api(
        live_server, ctx["token"], "PATCH", f"/api/v1/calendar_integrations/{ctx['integration']['id']}", json=settings
    )
    assert response.status_code == 200, response.text
    await eventually(
        lambda: exactly_once(google_sandbox, deliveries_calendar, set(deliveries)), what="deliveries moved"
    )
    await eventually(lambda: exactly_once(google_sandbox, primary, set()), what="old calendar emptied")

    # back to primary, this time keeping the events in "Deliveries": they stay where they are
    settings["keep_removed_events"] = True
    settings["calendars"] = [
        {"id": calendars[primary], "write_kinds": ["deliveries"], "read_busy": True},
        {"id": calendars[deliveries_calendar], "write_kinds": [], "read_busy": False},
    ]
    response = await api(
        live_server, ctx["token"], "PATCH", f"/api/v1/calendar_integrations/{ctx['integration']['id']}", json=settings
    )
    assert response.status_code == 200, response.text
    await eventually(lambda: exactly_once(google_sandbox, primary, set(deliveries)), what="deliveries back")
    await asyncio.sleep(3)
    assert await exactly_once(google_sandbox, deliveries_calendar, set(deliveries))  # kept, as asked


async def test_disconnect_can_remove_our_events(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    ctx = await connected(live_server, "manager")
    start = datetime.now(LA).replace(microsecond=0) + timedelta(days=4)
    keys = {
        f"booking:{await book(ctx['tenant'], ctx['product'], ctx['staff'], start + timedelta(days=i), f'B {i}')}"
        for i in range(3)
    }
    await eventually(lambda: exactly_once(google_sandbox, ctx["account"], keys), what="bookings in Google")
    response = await api(
        live_server,
        ctx["token"],
        "DELETE",
        f"/api/v1/calendar_integrations/{ctx['integration']['id']}",
        params={"remove_events": "true"},
    )
    assert response.status_code == 204, response.text
    assert live_keys(await sandbox_events(google_sandbox, ctx["account"])) == Counter()
    row = await CalendarIntegration.select().where(CalendarIntegration.id == ctx["integration"]["id"]).first()
    assert row is not None and row["status"] == "disconnected" and row["credentials"] == ""


async def test_orphan_copies_already_out_there_are_removed(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    ctx = await connected(live_server, "manager")
    start = datetime.now(LA).replace(microsecond=0) + timedelta(days=5)
    booking_id = await book(ctx["tenant"], ctx["product"], ctx["staff"], start, "Orphaned")
    key = f"booking:{booking_id}"
    await eventually(lambda: exactly_once(google_sandbox, ctx["account"], {key}), what="the booking in Google")
    # a copy made by the old race: same key, its own id, no origin (written before events carried one)
    copy = {
        "summary": "Excavator · Orphaned",
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(hours=20)).isoformat()},
        "extendedProperties": {"private": {KEY: key}},
    }
    async with httpx.AsyncClient() as client:
        created = await client.post(f"{google_sandbox}/_sandbox/calendars/{ctx['account']}/events", json=copy)
        assert created.status_code in (200, 201), created.text
    assert live_keys(await sandbox_events(google_sandbox, ctx["account"]))[key] == 2
    # its notification starts a read, which removes the copy and keeps ours
    await eventually(lambda: exactly_once(google_sandbox, ctx["account"], {key}), what="the orphan removed")
    mapping = await CalendarEvent.select().where(CalendarEvent.item_key == key).first()
    assert mapping is not None and mapping["external_id"] != created.json()["id"] and mapping["state"] == "synced"


async def test_refused_writes_stay_due_and_go_through_later(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    ctx = await connected(live_server, "manager")
    async with httpx.AsyncClient() as client:
        faults = {"fail_next": ["dailyLimitExceeded"] * 3, "methods": ["calendar.events.insert"]}
        assert (await client.post(f"{google_sandbox}/_sandbox/faults", json=faults)).status_code in (200, 201)
    try:
        start = datetime.now(LA).replace(microsecond=0) + timedelta(days=6)
        booking_id = await book(ctx["tenant"], ctx["product"], ctx["staff"], start, "Quota")
        key = f"booking:{booking_id}"

        async def due() -> list[dict[str, Any]] | None:
            rows = await CalendarEvent.raw("SELECT * FROM sync_due WHERE item_key = {}", key)
            return rows or None

        rows = await eventually(due, what="the refused write kept due")
        assert "Daily Limit Exceeded" in rows[0]["last_error"]
        assert rows[0]["next_attempt_at"] > datetime.now(UTC) + timedelta(hours=2)  # daily quota: hours, not seconds
        shown = (
            await api(live_server, ctx["token"], "GET", f"/api/v1/calendar_integrations/{ctx['integration']['id']}")
        ).json()
        assert shown["refused_items"] == 1 and "Daily Limit" in shown["refused_reason"]
        assert live_keys(await sandbox_events(google_sandbox, ctx["account"]))[key] == 0
    finally:
        async with httpx.AsyncClient() as client:
            await client.delete(f"{google_sandbox}/_sandbox/faults")
    # the quota is back; when the item is due again the reconciler writes it
    await CalendarEvent.raw("UPDATE sync_due SET next_attempt_at = now() WHERE item_key = {}", key)
    from tasks.sync import schedule_refused_writes

    await schedule_refused_writes()
    await eventually(lambda: exactly_once(google_sandbox, ctx["account"], {key}), what="the write going through")
    await eventually(lambda: due_gone(key), what="nothing due any more")


async def due_gone(key: str) -> bool:
    return not await CalendarEvent.raw("SELECT 1 FROM sync_due WHERE item_key = {}", key)


def test_refusal_schedule_grows_and_honours_the_providers_hint() -> None:
    assert refusals.next_delay(1, None) == timedelta(minutes=15)
    assert refusals.next_delay(3, None) == timedelta(hours=1)
    assert refusals.next_delay(20, None) == timedelta(hours=12)
    assert refusals.next_delay(1, 3 * 3600) == timedelta(hours=3)


async def test_retry_after_reaches_the_queue_as_the_retry_delay() -> None:
    from tasks.sync import provider_delays

    @provider_delays
    async def throttled() -> None:
        raise RetryableError("429", retry_after=42)

    with pytest.raises(dramatiq.Retry) as caught:
        await throttled()
    assert caught.value.delay == 42_000

    @provider_delays
    async def failing() -> None:
        raise RetryableError("503")

    with pytest.raises(RetryableError):  # no hint: the actor's own backoff applies
        await failing()


async def test_busy_time_from_recurring_all_day_and_declined_events(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    ctx = await connected(live_server, "manager")
    account, tenant = ctx["account"], ctx["tenant"]
    monday = (datetime.now(LA) + timedelta(days=14 - datetime.now(LA).weekday())).date()
    events = [
        {
            "summary": "Weekly yard duty",
            "start": {"dateTime": f"{monday}T07:00:00", "timeZone": "America/Los_Angeles"},
            "end": {"dateTime": f"{monday}T11:00:00", "timeZone": "America/Los_Angeles"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=4"],
        },
        {
            "summary": "Day off",
            "start": {"date": str(monday + timedelta(days=2))},
            "end": {"date": str(monday + timedelta(days=3))},
        },
        {
            "summary": "Declined",
            "start": {"dateTime": f"{monday + timedelta(days=1)}T13:00:00-07:00"},
            "end": {"dateTime": f"{monday + timedelta(days=1)}T14:00:00-07:00"},
            "attendees": [
                {"email": "boss@example.com", "organizer": True, "responseStatus": "accepted"},
                {"email": account, "responseStatus": "declined"},
            ],
        },
    ]
    async with httpx.AsyncClient() as client:
        for body in events:
            response = await client.post(f"{google_sandbox}/_sandbox/calendars/{account}/events", json=body)
            assert response.status_code in (200, 201), response.text

    async def four_weeks_read() -> bool:
        return await ExternalBusy.count().where(ExternalBusy.staff == ctx["staff"]) >= 5

    await eventually(four_weeks_read, what="busy time read from the calendar")
    staff = ctx["staff"]

    def at(day: int, hour: int) -> datetime:
        return datetime.combine(monday + timedelta(days=day), datetime.min.time(), LA).replace(hour=hour)

    # every weekly occurrence counts, not only the first (the fourth is three weeks later)
    assert (await staff_busy(staff, at(21, 8), at(21, 9))).clashes
    assert not (await staff_busy(staff, at(28, 8), at(28, 9))).clashes  # COUNT=4: no fifth
    # the all-day day off counts from midnight to midnight in the calendar's zone (the sandbox's: Berlin)
    assert (await staff_busy(staff, at(2, 5), at(2, 6))).clashes
    assert not (await staff_busy(staff, at(2, 16), at(2, 17))).clashes
    assert not (await staff_busy(staff, at(1, 13), at(1, 14))).clashes  # declined is free

    # a staff vacation that repeats every week blocks each week
    await blocks.create_block(
        tenant,
        BlockCreate(
            blocked_from=at(3, 0), blocked_until=at(4, 0), reason="Kids' day", staff_id=staff, rrule="FREQ=WEEKLY"
        ),
    )
    later = await staff_busy(staff, at(3 + 35, 10), at(3 + 35, 11))
    assert any("Kids' day" in clash for clash in later.clashes)


async def test_audit_finds_and_fixes_missing_orphan_and_stale_events(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    ctx = await connected(live_server, "manager")
    start = datetime.now(LA).replace(microsecond=0) + timedelta(days=7)
    ids = [
        await book(ctx["tenant"], ctx["product"], ctx["staff"], start + timedelta(days=i), f"A {i}") for i in range(3)
    ]
    keys = {f"booking:{i}" for i in ids}
    await eventually(lambda: exactly_once(google_sandbox, ctx["account"], keys), what="bookings in Google")
    await asyncio.sleep(4)  # the reads the notifications of our writes scheduled are done
    integration_id = ctx["integration"]["id"]
    assert (await audit.audit_integration(integration_id)).problems == 0
    # lost track of one event (its mapping points elsewhere), and one booking changed behind the outbox's back
    lost, changed = f"booking:{ids[0]}", ids[1]
    await CalendarEvent.update({CalendarEvent.external_id: "gone0000"}).where(CalendarEvent.item_key == lost)
    await Booking.update({Booking.ends_at: start + timedelta(days=1, hours=23)}).where(Booking.id == changed)

    report = await audit.audit_integration(integration_id)
    primary = next(c for c in report.calendars if c.expected == 3)
    assert primary.missing == [lost] and len(primary.orphans) == 1
    assert primary.stale == [f"booking:{changed}"] and primary.duplicates == []
    shown = (await api(live_server, ctx["token"], "GET", f"/api/v1/calendar_integrations/{integration_id}")).json()
    assert shown["audit"]["calendars"][0]["missing"] == [lost]

    command = [sys.executable, "-m", "rentcal.cli", "sync", "audit", "--integration", str(integration_id)]
    found = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, env=os.environ.copy())
    assert found.returncode == 1, found.stderr
    assert "1 missing" in found.stdout and "1 orphans" in found.stdout and "1 stale" in found.stdout

    repaired = await asyncio.to_thread(
        subprocess.run, [*command, "--fix"], capture_output=True, text=True, env=os.environ.copy()
    )
    assert repaired.returncode == 0, repaired.stderr
    clean = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True, env=os.environ.copy())
    assert clean.returncode == 0 and "0 duplicates, 0 orphans, 0 missing, 0 stale" in clean.stdout
    assert (await audit.audit_integration(integration_id)).problems == 0
    assert await exactly_once(google_sandbox, ctx["account"], keys)
    target = await CalendarTarget.select().where(CalendarTarget.integration == integration_id).first()
    assert target is not None


async def sandbox_calls(sandbox: str) -> dict[str, int]:
    async with httpx.AsyncClient() as client:
        return dict((await client.get(f"{sandbox}/_sandbox/stats")).json()["requests"]["by_method"])


async def test_a_burst_of_our_own_writes_costs_few_reads(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    """Google notifies each of our writes; the echoes share reads instead of one listing each."""
    ctx = await connected(live_server, "manager")
    await asyncio.sleep(3)  # the connect's own reads are over
    before = await sandbox_calls(google_sandbox)
    start = datetime.now(LA).replace(microsecond=0) + timedelta(days=9)
    keys = {
        f"booking:{await book(ctx['tenant'], ctx['product'], ctx['staff'], start + timedelta(days=i), f'Burst {i}')}"
        for i in range(30)
    }
    await eventually(lambda: exactly_once(google_sandbox, ctx["account"], keys), what="the burst in Google")
    await asyncio.sleep(4)
    after = await sandbox_calls(google_sandbox)
    writes = after.get("calendar.events.insert", 0) - before.get("calendar.events.insert", 0)
    reads = after.get("calendar.events.list", 0) - before.get("calendar.events.list", 0)
    assert writes >= 30
    assert 1 <= reads <= writes // 3, (reads, writes)


async def test_webhooks_answer_only_known_providers_and_subscriptions(live_server: str) -> None:
    async with httpx.AsyncClient(base_url=live_server) as client:
        unknown_provider = await client.post("/webhooks/nope", headers={"X-Goog-Channel-ID": "x"})
        assert unknown_provider.status_code == 404
        forged = await client.post(
            "/webhooks/google",
            headers={
                "X-Goog-Channel-ID": "not-ours",
                "X-Goog-Channel-Token": "guess",
                "X-Goog-Resource-State": "exists",
            },
        )
        assert forged.status_code == 404
