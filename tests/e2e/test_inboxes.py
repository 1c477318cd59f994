"""The requests inbox and the conflict inbox in Chromium: a request sent through the website widget is accepted on
another unit with a person; each conflict resolution (accept the calendar's time on another free unit, keep ours,
cancel, restore a deleted event, cancel a deleted one); counts in the navigation; POST-redirect-GET (a reload posts
nothing); axe-core with no violations on both pages."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

from calendars.providers.base import RemoteEvent
from calendars.sync import store
from calendars.tables import CalendarEvent, CalendarIntegration, CalendarTarget, SyncConflict
from rental import bookings
from rental.schemas import BookingCreate, CustomerIn
from rental.tables import Booking, Outbox, Unit
from rental.tenants import Tenant
from tests.e2e.test_team_and_today import DESKTOP, named, sign_in
from tests.factories import make_product, make_tenant
from tests.ical_integration.test_request_holds import _request, client
from tests.widget.test_widget_pages import a_monday_ahead, company_with_hours

pytestmark = pytest.mark.e2e


async def no_axe_violations(page: Page) -> None:
    violations = (await Axe().run(page)).response["violations"]
    assert violations == [], [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations]


async def test_a_manager_accepts_a_website_request_on_another_unit_with_a_person(
    browser: Browser, live_server: str
) -> None:
    tenant, product = await company_with_hours()
    spare = await Unit.insert(Unit(company=tenant.id, product=product, name="Trencher #2")).returning(Unit.id)
    _, email = await named(tenant, "manager", "Maria Manager")
    driver, _ = await named(tenant, "driver", "Dev Driver")
    monday = a_monday_ahead()
    async with httpx.AsyncClient(base_url=live_server, headers=client()) as http:
        _, _, made = await _request(http, f"/widget/{tenant.slug}/{product}", monday, monday, "web@example.test")
    assert made.status_code == 201, made.text
    row = await Booking.select().where(Booking.product == product).first()
    assert row is not None and row["status"] == "pending" and row["hold_until"] is not None

    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, live_server, email)
    await expect(page.locator('[data-count="requests"]')).to_have_text("1")
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Requests").click()
    await expect(page.get_by_role("heading", name="Website requests")).to_be_visible()
    card = page.locator(f'[data-request="{row["id"]}"]')
    await expect(card).to_contain_text("Robin")
    await no_axe_violations(page)

    await card.get_by_label("Unit").select_option(label="Trencher #2")
    await card.get_by_label("Person in charge").select_option(label="Dev Driver (driver)")
    await card.get_by_role("button", name=f"Accept request #{row['id']}").click()
    await expect(page.get_by_role("status")).to_contain_text(f"Request #{row['id']} (Robin) accepted on Trencher #2")
    await expect(page).to_have_url(f"{live_server}/portal/requests")
    booking = await bookings.get_booking(tenant, row["id"])
    assert (booking.status, booking.unit_id, booking.assigned_staff_id) == ("confirmed", spare[0]["id"], driver)
    assert booking.hold_until is None
    events = await Outbox.count().where(Outbox.aggregate_id == row["id"])
    await page.reload()  # a reload repeats the GET, not the POST
    await expect(page.get_by_role("status")).to_have_count(0)
    await expect(page.locator('[data-count="requests"]')).to_have_count(0)
    await expect(page.get_by_text("No requests are waiting.")).to_be_visible()
    assert await Outbox.count().where(Outbox.aggregate_id == row["id"]) == events
    await no_axe_violations(page)
    await context.close()


async def _booking(tenant: Tenant, product: int, unit: int, name: str, day: int) -> int:
    start = datetime.combine(datetime.now(tenant.tz).date() + timedelta(days=day), time(9), tzinfo=tenant.tz)
    made = await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            unit_id=unit,
            starts_at=start,
            ends_at=start + timedelta(hours=8),
            customer=CustomerIn(name=name, email=f"{name.split()[0].lower()}@example.test"),
            status="confirmed",
        ),
    )
    return made.id


async def test_a_manager_resolves_each_kind_of_conflict_in_one_click(browser: Browser, live_server: str) -> None:
    tenant = await make_tenant(name="Lift & Co")
    product, units = await make_product(tenant, units=2, name="Boom lift")
    manager, email = await named(tenant, "manager", "Mo Manager")
    moved = await _booking(tenant, product, units[0], "Ann Accept", 10)
    blocking = await _booking(
        tenant, product, units[0], "Bea Blocking", 12
    )  # the time Ann's calendar asks for, on her unit
    kept = await _booking(tenant, product, units[0], "Kim Keep", 14)
    dropped = await _booking(tenant, product, units[0], "Carl Cancel", 16)
    restored = await _booking(tenant, product, units[0], "Rita Restore", 18)
    gone = await _booking(tenant, product, units[0], "Dora Deleted", 20)
    integration = await CalendarIntegration.insert(
        CalendarIntegration(company=tenant.id, user=manager, provider="google", account_email="mo@example.test")
    ).returning(CalendarIntegration.id)
    target_row = await CalendarTarget.insert(
        CalendarTarget(company=tenant.id, integration=integration[0]["id"], external_id="primary", name="Work")
    ).returning(CalendarTarget.id)
    target = await store.target(target_row[0]["id"])
    assert target is not None
    bea_time = await bookings.get_booking(tenant, blocking)
    for booking_id in (moved, kept, dropped):
        ours = await bookings.get_booking(tenant, booking_id)
        asked = bea_time if booking_id == moved else ours
        remote = RemoteEvent(
            id=f"ev{booking_id}", etag="2", status="confirmed", starts_at=asked.starts_at + timedelta(hours=1),
            ends_at=asked.ends_at + timedelta(hours=1),
        )  # fmt: skip
        await store.record_conflict(target, f"booking:{booking_id}", "move_refused", "no unit is free: x", remote)
    for booking_id in (restored, gone):
        await CalendarEvent.insert(
            CalendarEvent(company=tenant.id, integration=integration[0]["id"], target=target.id,
                          item_key=f"booking:{booking_id}", external_id=f"ev{booking_id}", state="remote_deleted")
        )  # fmt: skip
        await store.record_conflict(target, f"booking:{booking_id}", "remote_deleted", "deleted there")

    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, live_server, email)
    await expect(page.locator('[data-count="conflicts"]')).to_have_text("5")
    await page.get_by_role("navigation", name="Main").get_by_role("link", name="Conflicts").click()
    await expect(page.get_by_role("heading", name="Sync conflicts")).to_be_visible()
    await no_axe_violations(page)

    def card(booking_id: int):  # type: ignore[no-untyped-def]
        return page.locator(f'[data-conflict="booking:{booking_id}"]')

    await expect(card(moved).get_by_role("link", name=f"Booking {moved} · Ann Accept")).to_have_attribute(
        "href", f"/portal/bookings/{moved}"
    )
    await card(moved).get_by_role("button", name="Accept the calendar's time").click()
    await expect(page.get_by_role("status")).to_contain_text("moved to the calendar's time (on Boom lift #2)")
    ann = await bookings.get_booking(tenant, moved)
    assert (ann.unit_id, ann.starts_at) == (units[1], bea_time.starts_at + timedelta(hours=1))

    resyncs = await Outbox.count().where((Outbox.company == tenant.id) & (Outbox.topic == "sync.item"))
    await card(kept).get_by_role("button", name="Keep our time").click()
    await expect(page.get_by_role("status")).to_contain_text("kept at our time")
    assert (await bookings.get_booking(tenant, kept)).starts_at.astimezone(tenant.tz).hour == 9
    assert await Outbox.count().where((Outbox.company == tenant.id) & (Outbox.topic == "sync.item")) == resyncs + 1

    await card(dropped).get_by_role("button", name="Cancel the booking").click()
    await expect(page.get_by_role("status")).to_contain_text("Resolved: cancelled.")
    assert (await bookings.get_booking(tenant, dropped)).status == "cancelled"

    await card(restored).get_by_role("button", name="Restore it in the calendar").click()
    await expect(page.get_by_role("status")).to_contain_text("restored in the calendar")
    mapping = await CalendarEvent.select(CalendarEvent.state).where(CalendarEvent.item_key == f"booking:{restored}")
    assert mapping == [{"state": "deleted"}]  # the next push creates it anew (a deleted event's id is not reused)
    assert (await bookings.get_booking(tenant, restored)).status == "confirmed"

    await card(gone).get_by_role("button", name="Cancel the booking").click()
    await expect(page.get_by_role("status")).to_contain_text("Resolved: cancelled.")
    assert (await bookings.get_booking(tenant, gone)).status == "cancelled"

    await expect(page).to_have_url(f"{live_server}/portal/conflicts")
    await expect(page.get_by_text("No open conflicts")).to_be_visible()
    await expect(page.locator('[data-count="conflicts"]')).to_have_count(0)
    assert (
        await SyncConflict.count().where((SyncConflict.company == tenant.id) & SyncConflict.resolved_at.is_null()) == 0
    )
    events = await Outbox.count().where(Outbox.company == tenant.id)
    await page.reload()  # nothing is posted again
    await expect(page.get_by_role("status")).to_have_count(0)
    assert await Outbox.count().where(Outbox.company == tenant.id) == events
    await no_axe_violations(page)

    # the people concerned were told of each refused change (the worker turns the outbox rows into notifications)
    assert await Outbox.count().where((Outbox.company == tenant.id) & (Outbox.topic == "calendar.change_refused")) == 5
    await context.close()
