"""Two-way Google sync end to end: portal API -> outbox -> worker -> sandbox, and back by webhook."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from calendars.tables import CalendarEvent, CalendarIntegration, CalendarSyncLog, CalendarTarget, SyncConflict
from rental import bookings
from rental.schemas import Booking as BookingOut
from rental.schemas import BookingCreate, CustomerIn
from rental.tables import Booking
from tests.factories import make_product, make_staff, make_tenant
from tests.support.google_flow import connect_google, eventually, sandbox_events
from tests.support.worker import WorkerHandle

LA = ZoneInfo("America/Los_Angeles")


async def setup_connected(live_server: str) -> dict[str, Any]:
    from rental.accounts import create_api_token

    tenant = await make_tenant()
    staff_id, email = await make_staff(tenant, "manager")
    token = await create_api_token(email)
    product, units = await make_product(tenant, units=1)
    account = f"{tenant.slug}@gmail.test"
    integration = await connect_google(live_server, token, account)
    await listening(integration["id"])
    return {
        "tenant": tenant,
        "staff_id": staff_id,
        "token": token,
        "product": product,
        "units": units,
        "account": account,
        "integration": integration,
    }


async def book_for(ctx: dict[str, Any], start: datetime, length: timedelta, name: str) -> BookingOut:
    """A booking of the test's product, assigned to the connected staff member."""
    return await bookings.create_booking(
        ctx["tenant"],
        BookingCreate(
            product_id=ctx["product"],
            starts_at=start,
            ends_at=start + length,
            customer=CustomerIn(name=name, email=f"{name.lower()}@example.test"),
            assigned_staff_id=ctx["staff_id"],
        ),
    )


async def listening(integration_id: int) -> None:
    """Wait for the first full sync: push channel open and the calendar read once."""

    async def ready() -> bool:
        rows = await CalendarTarget.select().where(
            (CalendarTarget.integration == integration_id) & (CalendarTarget.read_busy == True)  # noqa: E712
        )
        return bool(rows) and all(r["channel_id"] and r["last_read_at"] for r in rows)

    await eventually(ready, what="the push channel and the first read")


async def ours(sandbox: str, account: str) -> list[dict[str, Any]]:
    return [
        e
        for e in await sandbox_events(sandbox, account)
        if e.get("extendedProperties", {}).get("private", {}).get("rentcal_key")
    ]


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def test_booking_reaches_google_and_moves_back(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    ctx = await setup_connected(live_server)
    tenant, account = ctx["tenant"], ctx["account"]
    assert ctx["integration"]["status"] == "active"
    primary = next(c for c in ctx["integration"]["calendars"] if c["external_id"] == account)
    assert primary["write_kinds"] == ["bookings"] and primary["read_busy"] is True

    start = datetime(2027, 9, 6, 9, tzinfo=LA)
    booking = await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=ctx["product"],
            starts_at=start,
            ends_at=start + timedelta(days=2),
            customer=CustomerIn(name="Gail Google", email="gail@example.test", phone="+1 555 0142"),
            assigned_staff_id=ctx["staff_id"],
            pickup_location="Yard 3",
        ),
    )

    async def in_google() -> list[dict[str, Any]] | None:
        found = [e for e in await ours(google_sandbox, account) if e["status"] != "cancelled"]
        return found or None

    events = await eventually(in_google, what="the booking in Google")
    assert len(events) == 1
    event = events[0]
    assert event["extendedProperties"]["private"]["rentcal_key"] == f"booking:{booking.id}"
    assert parse(event["start"]["dateTime"]) == start and parse(event["end"]["dateTime"]) == start + timedelta(days=2)
    assert event["colorId"] == "10"  # confirmed -> basil
    assert event["reminders"] == {
        "useDefault": False,
        "overrides": [{"method": "email", "minutes": 1440}, {"method": "popup", "minutes": 60}],
    }
    assert "Gail Google" in event["summary"] and event["location"] == "Yard 3"

    # a person moves the event in Google: the booking follows (webhook -> worker -> booking service)
    new_start = start + timedelta(days=1)
    async with httpx.AsyncClient() as client:
        moved = await client.patch(
            f"{google_sandbox}/_sandbox/calendars/{account}/events/{event['id']}",
            json={
                "start": {"dateTime": new_start.isoformat(), "timeZone": "America/Los_Angeles"},
                "end": {"dateTime": (new_start + timedelta(days=2)).isoformat(), "timeZone": "America/Los_Angeles"},
            },
        )
        assert moved.status_code == 200, moved.text

    async def booking_moved() -> bool:
        row = await Booking.select(Booking.starts_at).where(Booking.id == booking.id).first()
        return row is not None and row["starts_at"] == new_start

    await eventually(booking_moved, what="the booking to follow the Google move")

    # a status change recolours the event in place (same event, new colour)
    await bookings.update_booking(
        tenant, booking.id, __import__("rental.schemas", fromlist=["BookingUpdate"]).BookingUpdate(status="picked_up")
    )

    async def recoloured() -> bool:
        found = [e for e in await ours(google_sandbox, account) if e["status"] != "cancelled"]
        return len(found) == 1 and found[0].get("colorId") == "9" and found[0]["id"] == event["id"]

    await eventually(recoloured, what="the colour of picked_up")


async def test_a_guest_added_in_google_is_not_a_change_to_put_back(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    """Adding a guest gives the event a new etag but leaves our content as it was: nothing is written back."""
    ctx = await setup_connected(live_server)
    booking = await book_for(ctx, datetime(2027, 10, 4, 9, tzinfo=LA), timedelta(days=1), "Gabe")

    async def in_google() -> dict[str, Any] | None:
        found = [e for e in await ours(google_sandbox, ctx["account"]) if e["status"] != "cancelled"]
        return found[0] if found else None

    event = await eventually(in_google, what="the booking in Google")
    async with httpx.AsyncClient() as client:
        touched = await client.patch(
            f"{google_sandbox}/_sandbox/calendars/{ctx['account']}/events/{event['id']}",
            json={"attendees": [{"email": "site-boss@example.test"}]},
        )
        assert touched.status_code == 200, touched.text
    assert touched.json()["etag"] != event["etag"]

    async def noticed() -> bool:
        rows = await CalendarSyncLog.select(CalendarSyncLog.operation).where(
            CalendarSyncLog.item_key == f"booking:{booking.id}"
        )
        return "etag_only" in {r["operation"] for r in rows}

    await eventually(noticed, what="the new etag to be read")
    after = await in_google()
    assert after is not None and after["etag"] == touched.json()["etag"]  # no write of ours followed
    assert [a["email"] for a in after["attendees"]] == ["site-boss@example.test"]  # the guest stays
    mapping = (
        await CalendarEvent.select(CalendarEvent.etag).where(CalendarEvent.item_key == f"booking:{booking.id}").first()
    )
    assert mapping is not None and mapping["etag"] == after["etag"]


async def test_refused_move_is_a_conflict_and_the_event_is_put_back(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    ctx = await setup_connected(live_server)
    tenant, account = ctx["tenant"], ctx["account"]
    start = datetime(2027, 10, 4, 9, tzinfo=LA)
    mine = await book_for(ctx, start, timedelta(hours=8), "Mo")
    other = await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=ctx["product"],
            starts_at=start + timedelta(days=2),
            ends_at=start + timedelta(days=3),
            customer=CustomerIn(name="Ola", email="ola@example.test"),
        ),
    )

    async def mapped() -> dict[str, Any] | None:
        return await CalendarEvent.select().where(CalendarEvent.item_key == f"booking:{mine.id}").first()

    mapping = await eventually(mapped, what="the event mapping")
    clash = start + timedelta(days=2)
    async with httpx.AsyncClient() as client:
        response = await client.patch(
            f"{google_sandbox}/_sandbox/calendars/{account}/events/{mapping['external_id']}",
            json={
                "start": {"dateTime": clash.isoformat()},
                "end": {"dateTime": (clash + timedelta(hours=8)).isoformat()},
            },
        )
        assert response.status_code == 200

    async def conflict() -> dict[str, Any] | None:
        return await SyncConflict.select().where(SyncConflict.item_key == f"booking:{mine.id}").first()

    recorded = await eventually(conflict, what="a conflict record")
    assert recorded["kind"] == "move_refused" and str(other.id) in recorded["detail"]

    async def put_back() -> bool:
        events = {e["id"]: e for e in await sandbox_events(google_sandbox, account)}
        current = events[mapping["external_id"]]
        return parse(current["start"]["dateTime"]) == start

    await eventually(put_back, what="the Google event to be put back")
    row = await Booking.select(Booking.starts_at).where(Booking.id == mine.id).first()
    assert row is not None and row["starts_at"] == start

    # staff see the conflict in the portal API of conflicts (portal page lists the same rows)
    from calendars.accounts.integrations import open_conflicts

    assert any(c.item_key == f"booking:{mine.id}" for c in await open_conflicts(tenant))


async def test_event_deleted_in_google_is_restored(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    ctx = await setup_connected(live_server)
    tenant, account = ctx["tenant"], ctx["account"]
    start = datetime(2027, 11, 8, 9, tzinfo=LA)
    booking = await book_for(ctx, start, timedelta(hours=5), "Del")
    key = f"booking:{booking.id}"

    async def live_events() -> list[dict[str, Any]] | None:
        found = [
            e
            for e in await ours(google_sandbox, account)
            if e["status"] != "cancelled" and e["extendedProperties"]["private"]["rentcal_key"] == key
        ]
        return found or None

    first = (await eventually(live_events, what="the event"))[0]
    async with httpx.AsyncClient() as client:
        deleted = await client.delete(f"{google_sandbox}/_sandbox/calendars/{account}/events/{first['id']}")
        assert deleted.status_code in (200, 204)

    async def restored() -> list[dict[str, Any]] | None:
        found = await live_events()
        return found if found and found[0]["id"] != first["id"] else None

    again = await eventually(restored, what="the event to be restored")
    assert len(again) == 1
    # cancelling the booking removes it from Google
    await bookings.cancel_booking(tenant, booking.id)

    async def removed() -> bool:
        return not await live_events()

    await eventually(removed, what="the cancelled booking to leave Google")


async def test_revoked_grant_marks_needs_reconnect_and_loses_nothing(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    ctx = await setup_connected(live_server)
    account = ctx["account"]
    async with httpx.AsyncClient() as client:
        # the person revokes access in their Google account; access tokens die with the grant
        row = await CalendarIntegration.select().where(CalendarIntegration.id == ctx["integration"]["id"]).first()
        from calendars.vault import open_credentials

        credentials = open_credentials(row["credentials"])
        assert (await client.post(f"{google_sandbox}/revoke", data={"token": credentials.refresh_token})).is_success
    start = datetime(2027, 12, 6, 9, tzinfo=LA)
    booking = await book_for(ctx, start, timedelta(hours=5), "Rev")

    async def flagged() -> bool:
        row = await CalendarIntegration.select().where(CalendarIntegration.id == ctx["integration"]["id"]).first()
        return row is not None and row["status"] == "needs_reconnect"

    await eventually(flagged, what="needs_reconnect")
    assert (await Booking.select().where(Booking.id == booking.id).first()) is not None
    async with httpx.AsyncClient() as client:
        listed = (
            await client.get(
                f"{live_server}/api/v1/calendar_integrations", headers={"Authorization": f"Bearer {ctx['token']}"}
            )
        ).json()
    assert listed[0]["status"] == "needs_reconnect"
    # reconnecting brings the missed booking into the calendar
    await connect_google(live_server, ctx["token"], account)

    async def arrived() -> bool:
        return any(
            e["extendedProperties"]["private"]["rentcal_key"] == f"booking:{booking.id}"
            for e in await ours(google_sandbox, account)
            if e["status"] != "cancelled"
        )

    await eventually(arrived, what="the booking after reconnecting")
