"""Creating a booking from an empty cell of the team calendar: by mouse (a clash answers inline, nothing is
created; a free unit takes it) and by keyboard alone, in the staff view with the person preset; axe-clean."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from rental import bookings
from rental.booking_search import BookingQuery, search_bookings
from rental.schemas import BookingCreate, CustomerIn
from rental.tables import Company, Outbox
from tests.e2e.test_team_and_today import named, no_serious_axe_violations, sign_in
from tests.factories import make_product, make_staff, make_tenant

pytestmark = pytest.mark.e2e
LA = ZoneInfo("America/Los_Angeles")
NEXT_MONDAY = datetime.now(LA).date() - timedelta(days=datetime.now(LA).weekday()) + timedelta(days=7)
TEAM_WEEK = f"/portal/team?from={NEXT_MONDAY.isoformat()}"
HOURS = {day: ["07:30", "16:30"] for day in ("mon", "tue", "wed", "thu", "fri")}


def at(day_offset: int, hour: int) -> datetime:
    return datetime.combine(NEXT_MONDAY + timedelta(days=day_offset), time(hour), tzinfo=LA)


async def test_click_an_empty_cell_refused_by_a_clash_then_created_on_a_free_unit(page: Page, live_server: str) -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=2, name="Scissor lift")
    _, email = await make_staff(tenant, "manager")
    await bookings.create_booking(tenant, BookingCreate(
        product_id=product, unit_id=units[0], starts_at=at(2, 6), ends_at=at(2, 20),
        customer=CustomerIn(name="Bo Blocker", email="bo@example.test")))  # fmt: skip
    await Company.update({Company.business_hours: HOURS}).where(Company.id == tenant.id)
    await page.set_viewport_size({"width": 1280, "height": 900})
    await sign_in(page, live_server, email)
    await page.goto(f"{live_server}{TEAM_WEEK}")
    wednesday = (NEXT_MONDAY + timedelta(days=2)).strftime("%A %d %B")

    # the early morning, before the blocker's bar, is the empty part of that cell
    await page.get_by_role("link", name=f"New booking: Scissor lift #1, {wednesday}").click(position={"x": 3, "y": 5})
    form = page.locator("#team-create-form")
    await expect(form).to_be_visible()
    await expect(page.locator("#c-unit")).to_have_value(str(units[0]))
    # the form starts on that day, from opening to closing time
    await expect(page.locator("#c-start")).to_have_value(at(2, 7).strftime("%Y-%m-%dT07:30"))
    await expect(page.locator("#c-end")).to_have_value(at(2, 16).strftime("%Y-%m-%dT16:30"))
    await expect(page.locator("#c-name")).to_be_focused()
    await no_serious_axe_violations(page)
    await page.fill("#c-name", "Cy Cell")
    await page.fill("#c-email", "cy@example.test")
    await page.get_by_role("button", name="Create booking").click()
    await expect(page.locator("#create-error")).to_contain_text("Not created")
    await expect(page.locator("#c-name")).to_have_value("Cy Cell")  # what was typed is kept
    assert (await search_bookings(tenant, BookingQuery(text="Cy Cell"))).total == 0

    await page.locator("#c-unit").select_option(str(units[1]))
    await page.get_by_role("button", name="Create booking").click()
    await expect(page.locator("#move-result")).to_contain_text("created")
    made = (await search_bookings(tenant, BookingQuery(text="Cy Cell"))).items
    assert [(b.unit_id, b.starts_at, b.ends_at) for b in made] == [(units[1], at(2, 7) + timedelta(minutes=30),
                                                                   at(2, 16) + timedelta(minutes=30))]  # fmt: skip
    await expect(page.locator(f"tr[data-row='{units[1]}'] [data-key='booking:{made[0].id}']")).to_be_visible()
    topics = await Outbox.select(Outbox.topic).where(
        (Outbox.aggregate_id == made[0].id) & (Outbox.company == tenant.id)
    )
    assert [t["topic"] for t in topics] == ["booking.created"]  # calendars learn of it like any other booking


async def test_keyboard_only_create_in_the_staff_view(page: Page, live_server: str) -> None:
    tenant = await make_tenant()
    _, units = await make_product(tenant, units=1, name="Mini digger")
    _, email = await make_staff(tenant, "manager")
    driver, _ = await named(tenant, "driver", "Dana Driver")
    await sign_in(page, live_server, email)
    await page.goto(f"{live_server}{TEAM_WEEK}&by=staff")
    tuesday = (NEXT_MONDAY + timedelta(days=1)).strftime("%A %d %B")
    cell = page.get_by_role("link", name=f"New booking: Dana Driver, {tuesday}")
    # Tab from the cell before it, then Enter: no mouse anywhere
    monday = NEXT_MONDAY.strftime("%A %d %B")
    await page.get_by_role("link", name=f"New booking: Dana Driver, {monday}").focus()
    await page.keyboard.press("Tab")
    await expect(cell).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#c-name")).to_be_focused()
    await expect(page.locator("#c-staff")).to_have_value(str(driver))
    await page.keyboard.type("Kim Keys")
    await page.keyboard.press("Tab")
    await page.keyboard.type("kim@example.test")
    await page.locator("#c-unit").focus()
    await page.keyboard.press("ArrowDown")  # Choose… -> the one unit
    await expect(page.locator("#c-unit")).to_have_value(str(units[0]))
    await page.locator("#c-status").focus()
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Create booking")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#move-result")).to_contain_text("created")
    made = (await search_bookings(tenant, BookingQuery(text="Kim Keys"))).items
    assert [(b.unit_id, b.assigned_staff_id, b.starts_at.astimezone(LA).date()) for b in made] == [
        (units[0], driver, NEXT_MONDAY + timedelta(days=1))
    ]
    await expect(page.locator(f"tr[data-row='{driver}'] [data-key='booking:{made[0].id}']")).to_be_visible()
    await no_serious_axe_violations(page)
