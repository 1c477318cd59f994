"""Moving work in the team calendar: drag (refused by a clash: 409 inline, nothing moves; accepted on a free unit,
with undo) and the keyboard-only form, all through the booking service and its outbox."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, expect

from rental import bookings
from rental.schemas import BookingCreate, CustomerIn
from rental.tables import Outbox
from tests.e2e.test_team_and_today import sign_in
from tests.factories import make_product, make_staff, make_tenant

pytestmark = pytest.mark.e2e
LA = ZoneInfo("America/Los_Angeles")


# Next week, shown with ?from=: moves stay in the future whatever day the tests run on.
NEXT_MONDAY = datetime.now(LA).date() - timedelta(days=datetime.now(LA).weekday()) + timedelta(days=7)
TEAM_WEEK = f"/portal/team?from={NEXT_MONDAY.isoformat()}"


def at(day_offset: int, hour: int) -> datetime:
    return datetime.combine(NEXT_MONDAY + timedelta(days=day_offset), time(hour), tzinfo=LA)


async def drag_to_row(page: Page, key: str, row: int) -> None:
    bar = page.locator(f"[data-key='{key}']")
    box = await bar.bounding_box()
    target = await page.locator(f"tr[data-row='{row}'] td.track").bounding_box()
    assert box and target
    x, y = box["x"] + min(20, box["width"] / 2), box["y"] + box["height"] / 2
    await page.mouse.move(x, y)
    await page.mouse.down()
    await page.mouse.move(x, y + 10, steps=3)
    await page.mouse.move(x, target["y"] + target["height"] / 2, steps=8)
    await page.mouse.up()


async def test_drag_refused_by_a_clash_then_accepted_on_a_free_unit_and_undone(page: Page, live_server: str) -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=3, name="Telehandler")
    _, email = await make_staff(tenant, "manager")
    customer = CustomerIn(name="Mo Mover", email="mo@example.test")
    moving = await bookings.create_booking(tenant, BookingCreate(confirm_past=True,
        product_id=product, unit_id=units[0], starts_at=at(2, 9), ends_at=at(3, 17), customer=customer))  # fmt: skip
    await bookings.create_booking(tenant, BookingCreate(confirm_past=True,
        product_id=product, unit_id=units[1], starts_at=at(2, 12), ends_at=at(4, 12),
        customer=CustomerIn(name="Bo Blocker", email="bo@example.test")))  # fmt: skip
    await page.set_viewport_size({"width": 1280, "height": 900})
    await sign_in(page, live_server, email)
    await page.goto(f"{live_server}{TEAM_WEEK}")
    key = f"booking:{moving.id}"

    await drag_to_row(page, key, units[1])
    await expect(page.get_by_role("alert")).to_contain_text("Not moved")
    await expect(page.locator(f"tr[data-row='{units[0]}'] [data-key='{key}']")).to_be_visible()
    assert (await bookings.get_booking(tenant, moving.id)).unit_id == units[0]

    await drag_to_row(page, key, units[2])
    await expect(page.locator("#move-result")).to_contain_text("Moved")
    await expect(page.locator(f"tr[data-row='{units[2]}'] [data-key='{key}']")).to_be_visible()
    moved = await bookings.get_booking(tenant, moving.id)
    assert (moved.unit_id, moved.starts_at, moved.ends_at) == (units[2], moving.starts_at, moving.ends_at)
    mine = (Outbox.aggregate_id == moving.id) & (Outbox.company == tenant.id) & Outbox.topic.like("booking.%")
    topics = await Outbox.select(Outbox.topic).where(mine).order_by(Outbox.id)
    assert [t["topic"] for t in topics] == ["booking.created", "booking.updated"]

    await page.get_by_role("button", name="Undo").click()
    await expect(page.locator(f"tr[data-row='{units[0]}'] [data-key='{key}']")).to_be_visible()
    assert (await bookings.get_booking(tenant, moving.id)).unit_id == units[0]


async def test_keyboard_only_move_and_unassign(page: Page, live_server: str) -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1, name="Generator")
    _, email = await make_staff(tenant, "manager")
    helper, _ = await make_staff(tenant, "driver")
    booking = await bookings.create_booking(tenant, BookingCreate(confirm_past=True,
        product_id=product, unit_id=units[0], starts_at=at(1, 9), ends_at=at(1, 12), assigned_staff_id=helper,
        customer=CustomerIn(name="Kai Keys", email="kai@example.test")))  # fmt: skip
    await sign_in(page, live_server, email)
    await page.goto(f"{live_server}{TEAM_WEEK}")
    summary = page.get_by_text("Move, resize or reassign (keyboard)")
    await summary.focus()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Tab")  # into the form: "What"
    await expect(page.locator("#m-key")).to_be_focused()
    await page.locator("#m-key").select_option(f"booking:{booking.id}")
    new_start = at(1, 13)
    await page.locator("#m-start").fill(new_start.strftime("%Y-%m-%dT%H:%M"))
    await page.locator("#m-end").fill((new_start + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    await page.locator("#m-staff").focus()
    await page.keyboard.press("ArrowDown")  # Unchanged -> Nobody (unassign)
    await expect(page.locator("#m-staff")).to_have_value("none")
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("button", name="Save")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#move-result")).to_contain_text("Moved")
    changed = await bookings.get_booking(tenant, booking.id)
    assert (changed.starts_at, changed.ends_at, changed.assigned_staff_id) == (
        new_start, new_start + timedelta(hours=3), None)  # fmt: skip
