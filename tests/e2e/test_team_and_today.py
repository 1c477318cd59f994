"""The day's work in Chromium: Today page and its check-out / check-in buttons, the team calendar (units and people,
HTMX navigation, filters, clashes, busy time), a driver's day on a phone, the booking page buttons, axe.

Screenshots go to $RENTCAL_SCREENSHOTS when set (docs/screenshots is where the committed ones live)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

from calendars.palette import PALETTE
from calendars.tables import CalendarIntegration, CalendarTarget, ExternalBusy
from rental import blocks, bookings, schedules
from rental.schemas import BlockCreate, BookingCreate, BookingUpdate, CustomerIn, DeliveryCreate, MaintenanceCreate
from rental.tables import Booking, Outbox, StaffUser
from rental.tenants import Tenant
from tests.factories import make_product, make_staff, make_tenant
from tests.support.portal import PASSWORD

pytestmark = pytest.mark.e2e
LA = ZoneInfo("America/Los_Angeles")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


async def shoot(page: Page, name: str) -> None:
    folder = os.environ.get("RENTCAL_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / name), full_page=True)


async def sign_in(page: Page, live_server: str, email: str) -> None:
    """The plain login: no `next`, so the home page decides where a person lands."""
    await page.goto(f"{live_server}/login")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit]")


async def no_serious_axe_violations(page: Page) -> None:
    results = await Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in serious]


def at(day_offset: int, hour: int, minute: int = 0) -> datetime:
    today = datetime.now(LA).date()
    return datetime.combine(today + timedelta(days=day_offset), time(hour, minute), tzinfo=LA)


async def book(tenant: Tenant, product: int, unit: int, name: str, start: datetime, end: datetime, **extra):  # type: ignore[no-untyped-def]
    customer = CustomerIn(name=name, email=f"{name.split()[0].lower()}@example.test", phone="+1 555 0142")
    return await bookings.create_booking(
        tenant,
        # today's work may have started already: staff record it on purpose
        BookingCreate(
            product_id=product,
            unit_id=unit,
            starts_at=start,
            ends_at=end,
            customer=customer,
            confirm_past=True,
            **extra,
        ),
    )


async def named(tenant: Tenant, role: str, name: str) -> tuple[int, str]:
    staff_id, email = await make_staff(tenant, role)
    await StaffUser.update({StaffUser.name: name}).where(StaffUser.id == staff_id)
    return staff_id, email


async def test_manager_runs_the_day_and_reads_the_team_calendar(browser: Browser, live_server: str) -> None:
    tenant = await make_tenant(name="Acme Hire")
    lifts, lift_units = await make_product(tenant, units=2, name="Scissor lift")
    saws, saw_units = await make_product(tenant, units=1, name="Tile saw")
    _, email = await named(tenant, "manager", "Maria Manager")
    driver, _ = await named(tenant, "driver", "Dev Driver")
    tech, _ = await named(tenant, "technician", "Tess Technician")
    pickup = await book(tenant, lifts, lift_units[0], "Pia Pickup", at(0, 9), at(2, 17), assigned_staff_id=driver)
    back = await book(tenant, saws, saw_units[0], "Rudi Return", at(-2, 9), at(0, 16))
    await bookings.update_booking(tenant, back.id, BookingUpdate(status="picked_up"))
    request = await book(tenant, lifts, lift_units[1], "Quinn Request", at(5, 9), at(6, 17), status="pending")
    await schedules.create_delivery(tenant, DeliveryCreate(
        booking_id=pickup.id, kind="delivery", starts_at=at(0, 7), ends_at=at(0, 8), address="12 Harbour Rd",
        driver_id=driver, route_order=1))  # fmt: skip
    await schedules.create_maintenance(tenant, MaintenanceCreate(
        unit_id=lift_units[1], starts_at=at(0, 13), ends_at=at(0, 16), description="Hydraulics check",
        technician_id=tech))  # fmt: skip
    # a closure on the day Pia's rental is due back, saved anyway: a rental may run over closed days, but its
    # return cannot happen on one, so the team calendar flags it
    await blocks.create_block(tenant, BlockCreate(blocked_from=at(2, 0), blocked_until=at(3, 0), reason="Stocktake",
                                                  confirm=True))  # fmt: skip
    integration = await CalendarIntegration.insert(
        CalendarIntegration(company=tenant.id, user=driver, provider="google", account_email="d@example.test")
    ).returning(CalendarIntegration.id)
    target = await CalendarTarget.insert(
        CalendarTarget(
            company=tenant.id,
            integration=integration[0]["id"],
            external_id="primary",
            name="Driver's calendar",
            read_busy=True,
            last_read_at=datetime.now(UTC),
        ),
    ).returning(CalendarTarget.id)
    await ExternalBusy.insert(ExternalBusy(company=tenant.id, staff=driver, target=target[0]["id"], external_id="x",
                                           starts_at=at(0, 7, 30), ends_at=at(0, 11)))  # fmt: skip

    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await sign_in(page, live_server, email)
    await expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    await expect(page.locator("#pickups").locator("..")).to_contain_text("Pia Pickup")
    await expect(page.locator("#returns").locator("..")).to_contain_text("Rudi Return")
    await expect(page.locator("#requests").locator("..")).to_contain_text("Quinn Request")
    await expect(page.locator("#runs").locator("..")).to_contain_text("12 Harbour Rd")
    await expect(page.locator("#maintenance").locator("..")).to_contain_text("Hydraulics check")
    await no_serious_axe_violations(page)
    await shoot(page, "today.png")

    await page.get_by_role("button", name=f"Mark booking {pickup.id} for Pia Pickup as picked up").click()
    await expect(page.get_by_role("status")).to_contain_text("Pia Pickup) marked as picked up")
    await expect(page).to_have_url(f"{live_server}/portal/today")  # POST, then redirect: a reload presses nothing
    await page.get_by_role("button", name=f"Mark booking {back.id} for Rudi Return as returned").click()
    await expect(page.get_by_role("status")).to_contain_text("marked as returned")
    await page.get_by_role("button", name=f"Confirm booking {request.id} for Quinn Request").click()
    await expect(page.get_by_role("status")).to_contain_text("Quinn Request) confirmed")
    statuses = {r["id"]: r["status"] for r in await Booking.select(Booking.id, Booking.status).where(
        Booking.company == tenant.id)}  # fmt: skip
    assert statuses == {pickup.id: "picked_up", back.id: "returned", request.id: "confirmed"}
    topics = (
        await Outbox.select(Outbox.topic)
        .where((Outbox.aggregate_id == pickup.id) & (Outbox.company == tenant.id) & Outbox.topic.like("booking.%"))
        .order_by(Outbox.id)
    )  # in the order they happened
    assert [t["topic"] for t in topics] == ["booking.created", "booking.updated"]  # calendars learn of it

    # team calendar, units as rows: the booking on its unit, the closure over it highlighted as a clash
    await page.get_by_role("link", name="Team calendar").click()
    await expect(page.get_by_role("heading", name="Team calendar")).to_be_visible()
    row = page.locator(f"tr[data-row='{lift_units[0]}']")
    bar = row.locator(f"[data-key='booking:{pickup.id}']")
    await expect(bar).to_contain_text("Pia Pickup")
    await expect(bar).to_have_class(lambda_class("clash"))
    await expect(bar).to_have_attribute("aria-label", lambda_text("Booked while closed"))
    # coloured as in the calendars: picked up is blueberry unless the company chose otherwise
    await expect(bar).to_have_attribute("style", lambda_text(f"--c: {PALETTE['blueberry'].hex}"))
    await expect(page.locator("tr.group").first).to_contain_text("Scissor lift")
    await expect(page.locator(".now")).to_have_count(3)  # the today line in every unit row
    await no_serious_axe_violations(page)
    await shoot(page, "team-units.png")

    # filters (HTMX): only the tile saw's unit is left
    await page.select_option("#f-product", str(saws))
    await expect(page.locator("tr[data-row]")).to_have_count(1)
    await expect(page).to_have_url(lambda_text(f"product={saws}"))
    await page.select_option("#f-product", "")
    await expect(page.locator("tr[data-row]")).to_have_count(3)

    # people as rows: the driver's delivery, busy time from their calendar (hatched), the clash with it
    await page.get_by_role("link", name="People").click()
    await expect(page.locator("#team-grid")).to_have_attribute("data-by", "staff")
    driver_row = page.locator(f"tr[data-row='{driver}']")
    await expect(driver_row.locator(".bar.busy")).to_have_count(1)
    await expect(driver_row.locator(".bar.busy")).to_have_attribute("aria-label", lambda_text("Busy in their own"))
    await expect(driver_row.locator(".bar.kind-delivery")).to_have_class(lambda_class("clash"))
    await expect(page.locator(f"tr[data-row='{tech}'] .bar.kind-maintenance")).to_contain_text("Hydraulics check")
    await shoot(page, "team-staff.png")

    # week navigation and the month view, without a page load
    title = await page.locator("#team-title").inner_text()
    await page.get_by_role("link", name="Next week →").click()
    await expect(page.locator("#team-title")).not_to_have_text(title)
    await expect(page.locator(".now")).to_have_count(0)
    await page.get_by_role("link", name="Month").click()
    await expect(page.locator("#team-grid")).to_have_attribute("data-view", "month")
    async with page.expect_response(lambda r: "view=month" in r.url):
        await page.get_by_role("link", name="Today", exact=True).last.click()
    await expect(page.locator(f"[data-key='booking:{pickup.id}']").first).to_be_visible()

    # a phone gets a day list instead of the grid
    await page.set_viewport_size(PHONE)
    await page.get_by_role("link", name="Week").click()
    await expect(page.locator("#team-grid")).to_have_attribute("data-view", "week")
    await expect(page.locator(".team-list")).to_be_visible()
    await expect(page.locator(".team-scroll")).to_be_hidden()
    await expect(page.locator(".team-list")).to_contain_text("Hydraulics check")
    await shoot(page, "team-phone.png")
    await context.close()


async def test_driver_sees_their_day_on_a_phone_and_marks_a_delivery_done(browser: Browser, live_server: str) -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1, name="Mini digger")
    driver, email = await named(tenant, "driver", "Dev Driver")
    other, _ = await make_staff(tenant, "driver")
    booking = await book(tenant, product, units[0], "Dora Delivery", at(0, 10), at(3, 17))
    mine = await schedules.create_delivery(tenant, DeliveryCreate(
        booking_id=booking.id, kind="delivery", starts_at=at(0, 8), ends_at=at(0, 9), address="4 Quarry Lane",
        driver_id=driver, route_order=1))  # fmt: skip
    await schedules.create_delivery(tenant, DeliveryCreate(
        booking_id=booking.id, kind="pickup", starts_at=at(3, 17), ends_at=at(3, 18), address="Elsewhere 9",
        driver_id=other))  # fmt: skip

    context = await browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = await context.new_page()
    await sign_in(page, live_server, email)
    await expect(page.get_by_role("heading", name="My day")).to_be_visible()
    item = page.locator(f"li[data-key='delivery:{mine.id}']")
    await expect(item).to_contain_text("4 Quarry Lane")
    await expect(item.get_by_role("link", name="Map")).to_have_attribute("href", lambda_text("Quarry"))
    await expect(item.get_by_role("link", name="+1 555 0142")).to_have_attribute("href", "tel:+1 555 0142")
    await expect(page.get_by_text("Elsewhere 9")).to_have_count(0)
    await expect(page.get_by_role("link", name="Today", exact=True)).to_have_count(
        1
    )  # the date nav, not the manager page
    await no_serious_axe_violations(page)
    await shoot(page, "my-day-phone.png")
    await item.get_by_role("button", name="Delivered: Delivery · Dora Delivery").click()
    await expect(page.get_by_role("status")).to_contain_text("marked as picked up")
    await expect(page.locator(f"li[data-key='delivery:{mine.id}']")).to_contain_text("picked up")
    assert (await bookings.get_booking(tenant, booking.id)).status == "picked_up"

    # the team calendar shows a driver only their own row; the manager's Today page is not theirs
    await page.goto(f"{live_server}/portal/team?by=unit")
    await expect(page.locator("tr[data-row]")).to_have_count(1)
    await expect(page.locator(f"tr[data-row='{driver}']")).to_have_count(1)
    await page.goto(f"{live_server}/portal/today")
    await expect(page).to_have_url(lambda_text("/portal/my"))
    await context.close()


async def test_booking_page_checks_out_and_in(page: Page, live_server: str) -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1, name="Pressure washer")
    _, email = await make_staff(tenant, "manager")
    booking = await book(tenant, product, units[0], "Bea Booking", at(1, 9), at(2, 9))
    await sign_in(page, live_server, email)
    await page.goto(f"{live_server}/portal/bookings/{booking.id}")
    await page.get_by_role("button", name="as picked up").click()
    await expect(page).to_have_url(f"{live_server}/portal/bookings/{booking.id}")
    await expect(page.get_by_role("status")).to_contain_text("marked as picked up")
    await expect(page.locator(".status").first).to_have_text("picked up")
    await page.reload()  # nothing is posted twice, the message is gone
    await expect(page.get_by_role("status")).to_have_count(0)
    await page.get_by_role("button", name="as returned").click()
    await expect(page.locator(".status").first).to_have_text("returned")
    await expect(page.get_by_role("button", name="as picked up")).to_have_count(0)
    assert (await bookings.get_booking(tenant, booking.id)).status == "returned"


def lambda_class(name: str):  # type: ignore[no-untyped-def]
    import re

    return re.compile(rf"(^|\s){re.escape(name)}(\s|$)")


def lambda_text(fragment: str):  # type: ignore[no-untyped-def]
    import re

    return re.compile(re.escape(fragment))
