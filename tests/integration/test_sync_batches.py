"""One item to many Google calendars goes out in batch requests, with its bookkeeping batched, and stays exactly
once when calls inside a batch fail (lost replies, server errors, quota refusals, a lock held elsewhere)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import httpx
import pytest

from calendars import vault
from calendars.providers.base import Credentials
from calendars.sync import locks, push
from calendars.tables import CalendarEvent, CalendarIntegration, CalendarSyncLog, CalendarTarget
from rental import bookings
from rental.schemas import BookingCreate, BookingUpdate, CustomerIn
from rental.tables import Booking, Outbox
from rental.tenants import Tenant
from rentcal.settings import get_settings
from tests.factories import make_product, make_staff, make_tenant
from tests.support.google_flow import sandbox_events

CALENDARS = 6
T = TypeVar("T")


async def unannounced(tenant: Tenant, change: Awaitable[T]) -> T:
    """A booking change whose outbox rows are marked done in its own transaction: these tests push by hand,
    and the session's worker (started by earlier tests) must not race them to the sandbox."""
    async with Booking._meta.db.transaction():
        result = await change
        now = datetime.now(UTC)
        await Outbox.update({Outbox.dispatched_at: now, Outbox.processed_at: now}).where(
            (Outbox.company == tenant.id) & Outbox.dispatched_at.is_null()
        )
    return result


async def connect_managers(tenant: Tenant, sandbox: str, count: int) -> list[tuple[int, str]]:
    """`count` managers, each with a Google calendar that shows every company booking: (target id, calendar)."""
    connected = []
    async with httpx.AsyncClient(base_url=sandbox) as client:
        for _ in range(count):
            staff, _ = await make_staff(tenant, "manager")
            email = f"batch-{uuid.uuid4().hex[:10]}@gmail.test"
            grant = (await client.post("/_sandbox/tokens", json={"email": email})).json()
            sealed = vault.seal_credentials(
                Credentials(grant["access_token"], grant["refresh_token"], datetime.now(UTC) + timedelta(hours=1))
            )
            integration = (
                await CalendarIntegration.insert(
                    CalendarIntegration(
                        company=tenant.id,
                        user=staff,
                        provider="google",
                        account_email=email,
                        credentials=sealed,
                        include_all_bookings=True,
                        direction="one_way_to_external",
                    )
                ).returning(CalendarIntegration.id)
            )[0]["id"]
            target = (
                await CalendarTarget.insert(
                    CalendarTarget(
                        company=tenant.id,
                        integration=integration,
                        external_id=email,
                        name=email,
                        write_kinds=["bookings"],
                        read_busy=False,
                    )
                ).returning(CalendarTarget.id)
            )[0]["id"]
            connected.append((target, email))
    return connected


async def book(tenant: Tenant, product: int, day: int) -> int:
    start = datetime(2031, 3, 1, 15, tzinfo=UTC) + timedelta(days=day)
    created = await unannounced(
        tenant,
        bookings.create_booking(
            tenant,
            BookingCreate(  # type: ignore[arg-type]
                product_id=product,
                starts_at=start,
                ends_at=start + timedelta(hours=5),
                customer=CustomerIn(name=f"Batch {day}", email=f"batch{day}@example.test"),
            ),
        ),
    )
    return created.id


async def stats(sandbox: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=sandbox) as client:
        return (await client.get("/_sandbox/stats")).json()  # type: ignore[no-any-return]


async def set_faults(sandbox: str, **config: Any) -> None:
    async with httpx.AsyncClient(base_url=sandbox) as client:
        response = await client.post("/_sandbox/faults", json=config)
        assert response.is_success, response.text
        await client.delete("/_sandbox/stats")


async def copies(sandbox: str, calendar: str, key: str) -> list[dict[str, Any]]:
    events = await sandbox_events(sandbox, calendar)
    private = [(e, (e.get("extendedProperties") or {}).get("private") or {}) for e in events]
    return [e for e, p in private if p.get("rentcal_key") == key and e.get("status") != "cancelled"]


@pytest.fixture
async def fan_out(
    google_sandbox: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Tenant, int, list[tuple[int, str]]]]:
    """Only the Google sandbox is needed: its URLs in the settings, for this test."""
    monkeypatch.setenv("RENTCAL_GOOGLE_API_URL", f"{google_sandbox}/calendar/v3")
    monkeypatch.setenv("RENTCAL_GOOGLE_TOKEN_URL", f"{google_sandbox}/token")
    get_settings.cache_clear()
    tenant = await make_tenant()
    product, _ = await make_product(tenant)
    yield tenant, product, await connect_managers(tenant, google_sandbox, CALENDARS)
    monkeypatch.undo()
    get_settings.cache_clear()


async def test_one_booking_reaches_every_calendar_in_one_batch_request(
    fan_out: tuple[Tenant, int, list[tuple[int, str]]], google_sandbox: str
) -> None:
    tenant, product, connected = fan_out
    booking_id = await book(tenant, product, 1)
    key = f"booking:{booking_id}"
    await set_faults(google_sandbox)
    await push.sync_item(key)
    counted = (await stats(google_sandbox))["requests"]
    assert counted["by_method"] == {"batch": 1, "calendar.events.insert": CALENDARS}
    for target, calendar in connected:
        [event] = await copies(google_sandbox, calendar, key)
        assert event["extendedProperties"]["private"]["rentcal_origin"] == str(target)
        mapping = await CalendarEvent.select().where(CalendarEvent.target == target).first()
        assert mapping is not None and mapping["external_id"] == event["id"] and mapping["state"] == "synced"
        assert mapping["etag"] == event["etag"]
    logged = await CalendarSyncLog.select(CalendarSyncLog.operation).where(CalendarSyncLog.item_key == key)
    assert Counter(r["operation"] for r in logged) == {"create": CALENDARS}

    # a change goes out as PATCHes in one batch; a cancellation as DELETEs
    later = datetime(2031, 3, 2, 18, tzinfo=UTC)
    await unannounced(
        tenant,
        bookings.update_booking(
            tenant,
            booking_id,
            BookingUpdate(starts_at=later, ends_at=later + timedelta(hours=2)),  # type: ignore[call-arg]
        ),
    )
    await set_faults(google_sandbox)
    await push.sync_item(key)
    counted = (await stats(google_sandbox))["requests"]
    assert counted["by_method"] == {"batch": 1, "calendar.events.patch": CALENDARS}
    for _, calendar in connected:
        [event] = await copies(google_sandbox, calendar, key)
        assert event["start"]["dateTime"].startswith("2031-03-02T10:00:00")  # 18:00 UTC in Los Angeles
    await unannounced(tenant, bookings.cancel_booking(tenant, booking_id))
    await set_faults(google_sandbox)
    await push.sync_item(key)
    assert (await stats(google_sandbox))["requests"]["by_method"] == {"batch": 1, "calendar.events.delete": CALENDARS}
    for target, calendar in connected:
        assert await copies(google_sandbox, calendar, key) == []
        mapping = await CalendarEvent.select().where(CalendarEvent.target == target).first()
        assert mapping is not None and mapping["state"] == "deleted"


@pytest.mark.parametrize(
    "kinds",
    [["lostReply"], ["backendError", "serviceUnavailable"], ["userRateLimitExceeded", "tooManyRequests"]],
)
async def test_failed_calls_inside_a_batch_still_land_exactly_once(
    kinds: list[str], fan_out: tuple[Tenant, int, list[tuple[int, str]]], google_sandbox: str
) -> None:
    tenant, product, connected = fan_out
    key = f"booking:{await book(tenant, product, 2)}"
    # the first three inserts of the batch fail (a lost reply: the event was made, the answer is a 500)
    await set_faults(
        google_sandbox, fail_next=[*kinds, *kinds, *kinds][:3], methods=["calendar.events.insert"],
        retry_after_seconds=0,
    )  # fmt: skip
    try:
        await push.sync_item(key)
    finally:
        async with httpx.AsyncClient(base_url=google_sandbox) as client:
            await client.delete("/_sandbox/faults")
    assert sum((await stats(google_sandbox))["faults_injected"].values()) == 3
    for target, calendar in connected:
        [event] = await copies(google_sandbox, calendar, key)
        mapping = await CalendarEvent.select().where(CalendarEvent.target == target).first()
        assert mapping is not None and mapping["external_id"] == event["id"]
    await push.sync_item(key)  # a replay changes nothing
    for _, calendar in connected:
        assert len(await copies(google_sandbox, calendar, key)) == 1


async def test_a_calendar_locked_elsewhere_waits_for_its_lock_and_the_rest_go_in_the_batch(
    fan_out: tuple[Tenant, int, list[tuple[int, str]]], google_sandbox: str
) -> None:
    tenant, product, connected = fan_out
    key = f"booking:{await book(tenant, product, 3)}"
    held_target = connected[0][0]
    lock = locks.item_lock(held_target, key)
    assert await lock.acquire()
    await set_faults(google_sandbox)
    pushing = asyncio.create_task(push.sync_item(key))
    await asyncio.sleep(1.0)
    assert not pushing.done()  # the locked pair waits; the others were written meanwhile
    assert await copies(google_sandbox, connected[1][1], key)
    assert await copies(google_sandbox, connected[0][1], key) == []
    await lock.release()
    await pushing
    counted = (await stats(google_sandbox))["requests"]["by_method"]
    assert counted == {"batch": 1, "calendar.events.insert": CALENDARS}
    for _, calendar in connected:
        assert len(await copies(google_sandbox, calendar, key)) == 1
