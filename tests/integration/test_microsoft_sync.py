"""Outlook / Microsoft 365 end to end: connect through the sandbox's consent screen while notifications are live,
every item exactly once with its category colour, a move made in Outlook moves the booking, and the Graph
subscription is renewed in place (PATCH) rather than replaced."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from calendars.providers import microsoft_wire as wire
from calendars.providers.microsoft import SUBSCRIPTION_MINUTES
from calendars.sync import audit, channels
from calendars.tables import CalendarTarget
from rental.accounts import create_api_token
from rental.tables import Booking
from tests.support.connect_scenario import connect_schedule, full_sync_done
from tests.support.google_flow import eventually
from tests.support.microsoft_flow import (
    connect_microsoft,
    mailbox,
    our_key,
    outlook_events,
    outlook_keys,
    subscriptions,
)
from tests.support.worker import WorkerHandle


async def test_connect_outlook_while_notifications_are_live_then_a_move_in_outlook_moves_the_booking(
    live_server: str, worker_process: WorkerHandle, microsoft_sandbox: str
) -> None:
    plan = await connect_schedule(deliveries_count=0)
    account = f"m.{plan.tenant.slug}@contoso.test"
    calendar_id = await mailbox(microsoft_sandbox, account)
    integration, late = await asyncio.gather(
        connect_microsoft(live_server, await create_api_token(plan.manager_email), account),
        plan.bookings_during_the_connect(),
    )
    expected = {f"booking:{i}" for i in plan.booking_ids + late}

    async def exactly_once() -> bool:
        counts = await outlook_keys(microsoft_sandbox, calendar_id)
        return set(counts) == expected and max(counts.values()) == 1

    await eventually(lambda: full_sync_done(integration["id"]), timeout=180, what="the full sync")
    await eventually(exactly_once, timeout=180, what="every booking exactly once in Outlook")
    assert calendar_id in str(await subscriptions(microsoft_sandbox))  # notifications are live on the calendar
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
    moved_id = plan.booking_ids[0]
    event = next(e for e in events if our_key(e) == f"booking:{moved_id}")
    new_start = plan.first + timedelta(days=60)
    patch = {"start": wire.wire_time(new_start, "America/Los_Angeles"),
             "end": wire.wire_time(new_start + timedelta(hours=20), "America/Los_Angeles")}  # fmt: skip
    async with httpx.AsyncClient(base_url=microsoft_sandbox, timeout=30) as client:
        response = await client.patch(f"/_sandbox/calendars/{calendar_id}/events/{event['id']}", json=patch)
        assert response.is_success, response.text

    async def booking_moved() -> bool:
        row = await Booking.select(Booking.starts_at).where(Booking.id == moved_id).first()
        return row is not None and row["starts_at"] == new_start

    await eventually(booking_moved, timeout=60, what="the booking to follow the move made in Outlook")


async def _calendar_subscriptions(sandbox: str, calendar_id: str) -> list[dict[str, Any]]:
    return [s for s in await subscriptions(sandbox) if s["calendarId"] == calendar_id]


async def _target(calendar_id: str) -> dict[str, Any]:
    row = await CalendarTarget.select().where(CalendarTarget.external_id == calendar_id).first()
    assert row is not None
    return row


async def test_the_graph_subscription_is_renewed_in_place_and_replaced_only_when_graph_removed_it(
    live_server: str, worker_process: WorkerHandle, microsoft_sandbox: str
) -> None:
    plan = await connect_schedule(bookings_count=3, deliveries_count=0)
    account = f"renew.{plan.tenant.slug}@contoso.test"
    calendar_id = await mailbox(microsoft_sandbox, account)
    integration = await connect_microsoft(live_server, await create_api_token(plan.manager_email), account)
    await eventually(lambda: full_sync_done(integration["id"]), timeout=120, what="the full sync")
    target = await _target(calendar_id)
    [opened] = await _calendar_subscriptions(microsoft_sandbox, calendar_id)
    assert opened["id"] == target["channel_id"]

    # the channel is due for renewal: the same subscription is extended (PATCH), no second one is opened.
    # Graph's times are whole seconds: a renewal within the second the subscription was opened cannot extend it.
    opened_until = datetime.fromisoformat(opened["expirationDateTime"][:19]).replace(tzinfo=UTC)

    async def renewal_would_extend() -> bool:
        return datetime.now(UTC) + timedelta(minutes=SUBSCRIPTION_MINUTES) >= opened_until + timedelta(seconds=1)

    await eventually(renewal_would_extend, timeout=5, what="a second later than the subscription was opened")
    soon = datetime.now(UTC) + timedelta(hours=1)
    await CalendarTarget.update({CalendarTarget.channel_expires_at: soon}).where(CalendarTarget.id == target["id"])
    assert await channels.ensure_channel(target["id"])
    [renewed] = await _calendar_subscriptions(microsoft_sandbox, calendar_id)
    assert renewed["id"] == opened["id"] and renewed["clientState"] == opened["clientState"]
    assert renewed["expirationDateTime"] > opened["expirationDateTime"]
    after = await _target(calendar_id)
    assert after["channel_id"] == opened["id"] and after["channel_token_hash"] == target["channel_token_hash"]
    assert after["channel_expires_at"] > datetime.now(UTC) + timedelta(days=2)

    # Graph asks for reauthorization: the renewal (PATCH) reauthorizes the same subscription
    async with httpx.AsyncClient(base_url=microsoft_sandbox, timeout=30) as client:
        sent = await client.post(
            f"/_sandbox/subscriptions/{opened['id']}/lifecycle", json={"event": "reauthorizationRequired"}
        )
        assert sent.is_success and sent.json()["sent"], sent.text

    async def reauthorized() -> bool:
        subs = await _calendar_subscriptions(microsoft_sandbox, calendar_id)
        return [s["id"] for s in subs] == [opened["id"]] and not subs[0]["needsReauthorization"]

    await eventually(reauthorized, timeout=60, what="the subscription reauthorized in place")

    # Graph removed the subscription: renewing finds it gone, so a new one is opened and notifications flow again
    async with httpx.AsyncClient(base_url=microsoft_sandbox, timeout=30) as client:
        removed = {"event": "subscriptionRemoved"}
        sent = await client.post(f"/_sandbox/subscriptions/{opened['id']}/lifecycle", json=removed)
        assert sent.is_success, sent.text

    async def replaced() -> str | None:
        subs = await _calendar_subscriptions(microsoft_sandbox, calendar_id)
        row = await _target(calendar_id)
        fresh = [s["id"] for s in subs]
        return row["channel_id"] if len(fresh) == 1 and fresh[0] == row["channel_id"] != opened["id"] else None

    new_channel = await eventually(replaced, timeout=60, what="a new subscription after Graph removed the old one")

    # a move made in Outlook now is notified on the new subscription and reaches the booking
    moved_id = plan.booking_ids[0]
    event = next(e for e in await outlook_events(microsoft_sandbox, calendar_id) if our_key(e) == f"booking:{moved_id}")
    new_start = plan.first + timedelta(days=30)
    patch = {"start": wire.wire_time(new_start, "America/Los_Angeles"),
             "end": wire.wire_time(new_start + timedelta(hours=20), "America/Los_Angeles")}  # fmt: skip
    async with httpx.AsyncClient(base_url=microsoft_sandbox, timeout=30) as client:
        assert (await client.patch(f"/_sandbox/calendars/{calendar_id}/events/{event['id']}", json=patch)).is_success

    async def booking_moved() -> bool:
        row = await Booking.select(Booking.starts_at).where(Booking.id == moved_id).first()
        return row is not None and row["starts_at"] == new_start

    await eventually(booking_moved, timeout=60, what="the booking to follow a move notified on the new subscription")
    async with httpx.AsyncClient(base_url=microsoft_sandbox, timeout=30) as client:
        log = (await client.get("/_sandbox/notifications")).json()["items"]
    assert any(new_channel in n["subscriptionIds"] and n["status"] == 200 for n in log if n["kind"] == "notification")


async def test_a_connect_whose_calendar_list_stays_throttled_keeps_the_grant_and_the_worker_lists_them_later(
    live_server: str, worker_process: WorkerHandle, microsoft_sandbox: str
) -> None:
    """Graph throttles the calendar list longer than the connect may wait: the consent is not wasted (its code
    is single use); the connect succeeds and the full sync lists the calendars, then fills them."""
    plan = await connect_schedule(deliveries_count=0)
    account = f"t.{plan.tenant.slug}@contoso.test"
    calendar_id = await mailbox(microsoft_sandbox, account)
    throttled = {"fail_next": ["tooManyRequests"] * 5, "operations": ["calendars.list"], "retry_after_seconds": 0}
    async with httpx.AsyncClient(base_url=microsoft_sandbox, timeout=30) as client:
        assert (await client.post("/_sandbox/faults", json=throttled)).is_success
        await client.delete("/_sandbox/stats")
        try:
            integration = await connect_microsoft(live_server, await create_api_token(plan.manager_email), account)
            injected = (await client.get("/_sandbox/stats")).json()["faults_injected"]
        finally:
            await client.delete("/_sandbox/faults")
    assert sum(injected.values()) == 5  # the connect's own attempts were all refused

    async def filled() -> bool:
        counts = await outlook_keys(microsoft_sandbox, calendar_id)
        return set(counts) == {f"booking:{i}" for i in plan.booking_ids} and max(counts.values()) == 1

    await eventually(lambda: full_sync_done(integration["id"]), timeout=180, what="the full sync")
    await eventually(filled, timeout=180, what="every booking exactly once in the calendar listed late")
    target = await CalendarTarget.select().where(CalendarTarget.external_id == calendar_id).first()
    assert target is not None and json.loads(target["write_kinds"]) == ["bookings"]  # the manager's default
