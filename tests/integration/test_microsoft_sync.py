"""Outlook / Microsoft 365 end to end: connect through the sandbox's consent screen while notifications are live,
every item exactly once with its category colour, and a move made in Outlook moves the booking."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from calendars.providers import microsoft_wire as wire
from calendars.sync import audit
from calendars.tables import CalendarTarget
from rental.accounts import create_api_token
from rental.tables import Booking
from tests.factories import make_product, make_staff, make_tenant
from tests.integration.test_sync_exactly_once import book, full_sync_done
from tests.support.google_flow import eventually
from tests.support.microsoft_flow import connect_microsoft
from tests.support.worker import WorkerHandle

LA = ZoneInfo("America/Los_Angeles")


async def outlook_events(sandbox: str, calendar_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=sandbox, timeout=30) as client:
        response = await client.get(f"/_sandbox/calendars/{calendar_id}/events")
        response.raise_for_status()
    return [e for e in response.json()["items"] if not e.get("deleted")]


def our_key(event: dict[str, Any]) -> str | None:
    for prop in event.get("singleValueExtendedProperties") or []:
        if str(prop.get("id", "")).lower() == wire.KEY_PROPERTY.lower():
            return str(prop["value"])
    return None


async def default_calendar(sandbox: str, account: str) -> str:
    async with httpx.AsyncClient(base_url=sandbox, timeout=30) as client:
        created = (await client.post("/_sandbox/accounts", json={"email": account})).json()
    return str(created["calendarIds"][0])


async def test_connect_outlook_while_notifications_are_live_then_a_move_in_outlook_moves_the_booking(
    live_server: str, worker_process: WorkerHandle, microsoft_sandbox: str
) -> None:
    tenant = await make_tenant()
    manager_id, manager_email = await make_staff(tenant, "manager")
    product, _ = await make_product(tenant, units=2)
    first = datetime.now(LA).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=2)
    booking_ids = [
        await book(tenant, product, manager_id, first + timedelta(days=i // 2), f"Cust {i}") for i in range(104)
    ]
    account = f"m.{tenant.slug}@contoso.test"
    calendar_id = await default_calendar(microsoft_sandbox, account)

    async def more_bookings_during_the_connect() -> list[int]:
        await asyncio.sleep(0.5)
        start = first + timedelta(days=80)
        return [await book(tenant, product, manager_id, start + timedelta(days=i), f"Late {i}") for i in range(8)]

    integration, late = await asyncio.gather(
        connect_microsoft(live_server, await create_api_token(manager_email), account),
        more_bookings_during_the_connect(),
    )
    expected = {f"booking:{i}" for i in booking_ids + late}

    async def exactly_once() -> bool:
        counts = Counter(k for k in map(our_key, await outlook_events(microsoft_sandbox, calendar_id)) if k)
        return set(counts) == expected and max(counts.values()) == 1

    await eventually(lambda: full_sync_done(integration["id"]), timeout=180, what="the full sync")
    await eventually(exactly_once, timeout=180, what="every booking exactly once in Outlook")
    async with httpx.AsyncClient(base_url=microsoft_sandbox, timeout=30) as client:
        live = (await client.get("/_sandbox/subscriptions")).json()
    assert calendar_id in str(live)  # a Graph subscription is open on the calendar (notifications are live)
    target = await CalendarTarget.select().where(CalendarTarget.external_id == calendar_id).first()
    assert target is not None and target["channel_id"]
    await asyncio.sleep(5)  # the reads started by notifications of our own writes have had their turn
    assert await exactly_once()
    events = await outlook_events(microsoft_sandbox, calendar_id)
    assert all(e["categories"] and e["categories"][0].startswith("Rentcal · ") for e in events)
    assert all(e["originalStartTimeZone"] == "Pacific Standard Time" for e in events)
    report = await audit.audit_integration(integration["id"])
    assert report.problems == 0, report

    # a person drags booking 0 to a free day in Outlook: the booking follows
    moved_key = f"booking:{booking_ids[0]}"
    event = next(e for e in events if our_key(e) == moved_key)
    new_start = first + timedelta(days=60)
    patch = {"start": wire.wire_time(new_start, "America/Los_Angeles"),
             "end": wire.wire_time(new_start + timedelta(hours=20), "America/Los_Angeles")}  # fmt: skip
    async with httpx.AsyncClient(base_url=microsoft_sandbox, timeout=30) as client:
        response = await client.patch(f"/_sandbox/calendars/{calendar_id}/events/{event['id']}", json=patch)
        assert response.is_success, response.text

    async def booking_moved() -> bool:
        row = await Booking.select(Booking.starts_at).where(Booking.id == booking_ids[0]).first()
        return row is not None and row["starts_at"] == new_start

    await eventually(booking_moved, timeout=60, what="the booking to follow the move made in Outlook")
