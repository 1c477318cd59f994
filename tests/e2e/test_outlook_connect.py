"""Outlook / Microsoft 365 in Chromium: connect through the sandbox's consent screen (account picker), see a
booking arrive with its category colour, move and delete it in the sandbox's Outlook web view, then lose the
grant and reconnect without losing anything."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Locator, Page, expect

from calendars.palette import DEFAULT_STATUS_COLORS, PALETTE
from calendars.providers import microsoft_wire as wire
from calendars.tables import CalendarIntegration, SyncConflict
from rental.tables import Booking
from tests.factories import make_product, make_staff, make_tenant
from tests.support.connect_scenario import book
from tests.support.google_flow import eventually
from tests.support.microsoft_flow import mailbox, our_key, outlook_events, outlook_keys
from tests.support.worker import WorkerHandle

pytestmark = pytest.mark.e2e
ZONE = "America/Los_Angeles"


async def event_id_of(sandbox: str, calendar_id: str, key: str) -> str | None:
    return next((e["id"] for e in await outlook_events(sandbox, calendar_id) if our_key(e) == key), None)


async def booking_starts(booking_id: int) -> datetime:
    row = await Booking.select(Booking.starts_at).where(Booking.id == booking_id).first()
    assert row is not None
    return row["starts_at"]


def event_row(page: Page, event_id: str) -> Locator:
    """The event's row in the sandbox's web view (Graph ids end in "=", so not a #id selector)."""
    return page.locator(f"tr[id='event-{event_id}']")


async def consent(page: Page, account: str) -> None:
    """The sandbox's Microsoft sign-in: "Use another account" in the account picker, accept the permissions."""
    await expect(page.get_by_role("button", name="Accept")).to_be_visible()
    await page.get_by_label("Use another account").fill(account)
    await page.get_by_role("button", name="Accept").click()


async def move_in_web_view(page: Page, sandbox: str, account: str, event_id: str, start: datetime) -> None:
    """Open the account's calendar in the sandbox's Outlook web view and move the event (times in Los Angeles)."""
    await page.goto(f"{sandbox}/?account={account}&tz={ZONE}")
    row = event_row(page, event_id)
    local = start.astimezone(ZoneInfo(ZONE))
    await row.get_by_label("Start").fill(local.strftime("%Y-%m-%dT%H:%M"))
    await row.get_by_label("End").fill((local + timedelta(hours=20)).strftime("%Y-%m-%dT%H:%M"))
    await row.get_by_role("button", name="Move").click()
    await expect(page).to_have_url(re.compile(r"#event-"))  # the web view answered the move with the event


async def test_connect_outlook_move_delete_revoke_and_reconnect(
    page: Page, live_server: str, worker_process: WorkerHandle, microsoft_sandbox: str
) -> None:
    tenant = await make_tenant(ZONE)
    staff_id, email = await make_staff(tenant, "manager")
    product, _ = await make_product(tenant, units=1)
    account = f"{tenant.slug}.e2e@contoso.test"
    calendar_id = await mailbox(microsoft_sandbox, account)
    first = datetime.now(ZoneInfo(ZONE)).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=3)
    moved, taken = [await book(tenant, product, staff_id, first + timedelta(days=2 * i), f"Cust {i}") for i in (0, 1)]
    keys = {f"booking:{moved}", f"booking:{taken}"}

    await page.goto(f"{live_server}/login")
    await page.fill("#email", email)
    await page.fill("#password", "secret-pass")
    await page.click("button[type=submit]")
    await page.get_by_role("link", name="Calendar integrations").click()
    await page.get_by_role("button", name="Connect Outlook / Microsoft 365").click()
    await consent(page, account)
    await expect(page.get_by_role("status")).to_contain_text("connected")
    await expect(page.locator("section[data-status=active]")).to_contain_text(account)

    async def both_there_once() -> bool:
        counts = await outlook_keys(microsoft_sandbox, calendar_id)
        return set(counts) == keys and max(counts.values()) == 1

    await eventually(both_there_once, timeout=90, what="the bookings in the Outlook calendar")

    # the booking's status colour is an Outlook master category with its preset colour, seen in the web view
    status = (await Booking.select(Booking.status).where(Booking.id == moved).first() or {})["status"]
    swatch = PALETTE[DEFAULT_STATUS_COLORS[status]]
    event_id = await event_id_of(microsoft_sandbox, calendar_id, f"booking:{moved}")
    assert event_id
    await page.goto(f"{microsoft_sandbox}/?account={account}&tz={ZONE}")
    chip = event_row(page, event_id).locator(".chip")
    await expect(chip).to_have_text(wire.CATEGORY_PREFIX + swatch.label)
    await expect(chip).to_have_attribute("title", swatch.outlook_preset)

    # a move to a free day in Outlook moves the booking
    free_day = first + timedelta(days=10)
    await move_in_web_view(page, microsoft_sandbox, account, event_id, free_day)

    async def followed() -> bool:
        return await booking_starts(moved) == free_day

    await eventually(followed, timeout=60, what="the booking to follow the move")

    # a move onto the other booking's days (the only unit is taken) is refused and flagged, the booking stays
    await move_in_web_view(page, microsoft_sandbox, account, event_id, first + timedelta(days=2))

    async def flagged() -> bool:
        found = await SyncConflict.select().where(SyncConflict.item_key == f"booking:{moved}").first()
        return found is not None and found["kind"] == "move_refused"

    await eventually(flagged, timeout=60, what="the refused move flagged as a conflict")
    assert await booking_starts(moved) == free_day
    await page.goto(f"{live_server}/portal/integrations")
    await expect(page.locator(f"tr[data-conflict='booking:{moved}']")).to_contain_text("move refused")

    # a delete in Outlook: the default policy puts the event back
    taken_event = await event_id_of(microsoft_sandbox, calendar_id, f"booking:{taken}")
    assert taken_event
    await page.goto(f"{microsoft_sandbox}/?account={account}&tz={ZONE}")
    await event_row(page, taken_event).get_by_role("button", name="Delete").click()
    await expect(event_row(page, taken_event)).to_have_count(0)

    async def restored() -> bool:
        again = await event_id_of(microsoft_sandbox, calendar_id, f"booking:{taken}")
        return again is not None and again != taken_event and await both_there_once()

    await eventually(restored, timeout=60, what="the deleted event put back")

    # the person removes Rentcal's access: the connection needs reconnecting, a booking made meanwhile waits
    async with httpx.AsyncClient(base_url=microsoft_sandbox, timeout=30) as sandbox:
        assert (await sandbox.post("/_sandbox/grants/revoke", json={"email": account})).is_success
    meanwhile = await book(tenant, product, staff_id, first + timedelta(days=20), "Meanwhile")

    async def needs_reconnect() -> bool:
        row = await CalendarIntegration.select().where(CalendarIntegration.account_email == account).first()
        return row is not None and row["status"] == "needs_reconnect"

    await eventually(needs_reconnect, timeout=90, what="the revoked grant to be noticed")
    await page.goto(f"{live_server}/portal/integrations")
    section = page.locator("section[data-status=needs_reconnect]")
    await expect(section).to_contain_text("Nothing is lost")
    await section.get_by_role("button", name="Reconnect").click()
    await consent(page, account)
    await expect(page.locator("section[data-status=active]")).to_contain_text(account)

    async def all_there_once() -> bool:
        counts = await outlook_keys(microsoft_sandbox, calendar_id)
        return set(counts) == keys | {f"booking:{meanwhile}"} and max(counts.values()) == 1

    await eventually(all_there_once, timeout=120, what="every booking once after reconnecting")
    assert await CalendarIntegration.count().where(CalendarIntegration.account_email == account) == 1
    assert await booking_starts(moved) == free_day
