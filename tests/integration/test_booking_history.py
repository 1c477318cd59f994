"""The booking page edits unit, customer details, assignee, locations and notes (POST-redirect-GET), and shows
every change with who made it, when, and from where: portal, API, website widget, calendar sync."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx

from rental import audit, bookings
from rental.schemas import BookingCreate, BookingUpdate, CustomerIn
from rental.tables import BookingChange
from tests.e2e.test_team_and_today import named
from tests.factories import make_api_token, make_product, make_tenant
from tests.support.portal import signed_in

TZ = ZoneInfo("Europe/Berlin")


def local(days: int, hour: int) -> datetime:
    return datetime.combine(datetime.now(TZ).date() + timedelta(days=days), time(hour), tzinfo=TZ)


async def test_edit_details_through_the_portal_and_read_the_history(live_server: str) -> None:
    tenant = await make_tenant("Europe/Berlin")
    product, units = await make_product(tenant, units=2, name="Plate compactor")
    manager, email = await named(tenant, "manager", "Mara Manager")
    driver, _ = await named(tenant, "driver", "Dov Driver")
    with audit.acting(audit.Actor("Wendy Web", "widget")):
        booking = await bookings.create_booking(tenant, BookingCreate(
            product_id=product, unit_id=units[0], starts_at=local(5, 9), ends_at=local(6, 17), status="pending",
            customer=CustomerIn(name="Wendy Web", email="wendy@example.test")))  # fmt: skip
    token = await make_api_token(tenant)
    async with httpx.AsyncClient(base_url=live_server, headers={"Authorization": f"Bearer {token}"}) as api:
        confirmed = await api.patch(f"/api/v1/bookings/{booking.id}", json={"status": "confirmed"})
        assert confirmed.status_code == 200, confirmed.text
    with audit.acting(audit.Actor("Google calendar", "calendar")):
        await bookings.update_booking(tenant, booking.id, BookingUpdate(starts_at=local(5, 10)))

    async with signed_in(live_server, email) as client:
        form = {
            "unit_id": str(units[1]), "customer_name": "Wendy Webster", "customer_email": "wendy@example.test",
            "customer_phone": "+49 30 1234567", "assigned_staff_id": str(driver), "pickup_location": "Yard 2",
            "return_location": "Site, Hauptstr. 5", "notes": "Bring the long hose",
        }  # fmt: skip
        saved = await client.post(f"/portal/bookings/{booking.id}/details", data=form, follow_redirects=False)
        assert saved.status_code == 303 and saved.headers["location"] == f"/portal/bookings/{booking.id}"
        page = await client.get(saved.headers["location"])
        assert f"Booking {booking.id} saved." in page.text
        again = await client.get(f"/portal/bookings/{booking.id}")  # a reload neither posts nor repeats the notice
        assert "saved." not in again.text

        refused = await client.post(
            f"/portal/bookings/{booking.id}/details", data={**form, "customer_email": "not an address"}
        )
        assert "Not saved: not an address is not a valid e-mail address" in refused.text
        assert 'value="not an address"' in refused.text  # what was typed is kept
        assert "regex" not in refused.text and "$." not in refused.text

    changed = await bookings.get_booking(tenant, booking.id)
    assert (changed.unit_id, changed.customer.name, changed.customer.phone, changed.assigned_staff_id) == (
        units[1], "Wendy Webster", "+49 30 1234567", driver)  # fmt: skip
    assert (changed.pickup_location, changed.return_location, changed.notes) == (
        "Yard 2", "Site, Hauptstr. 5", "Bring the long hose")  # fmt: skip

    rows = await BookingChange.select(BookingChange.actor, BookingChange.via, BookingChange.staff).where(
        BookingChange.booking == booking.id
    ).order_by(BookingChange.id)  # fmt: skip
    assert [(r["actor"], r["via"]) for r in rows] == [
        ("Wendy Web", "widget"), (f"Manager {tenant.slug}", "api"), ("Google calendar", "calendar"),
        ("Mara Manager", "portal"),
    ]  # fmt: skip
    assert rows[-1]["staff"] == manager

    history = again.text.split('id="history-table"')[1].split("<tbody>")[1].split("</tbody>")[0]
    cells = [re.sub(r"<[^>]+>", " ", row) for row in re.findall(r"<tr>(.*?)</tr>", history, re.S)]
    assert "website widget" in cells[0] and "created (pending, Plate compactor · Plate compactor #1)" in cells[0]
    assert "API" in cells[1] and "status: pending → confirmed" in cells[1]
    assert "calendar sync" in cells[2] and "pickup: " in cells[2] and local(5, 10).strftime("%H:%M") in cells[2]
    assert "Mara Manager" in cells[3] and "portal" in cells[3]
    assert "unit: Plate compactor · Plate compactor #1 → Plate compactor · Plate compactor #2" in cells[3]
    assert "assigned staff: nothing → Dov Driver" in cells[3] and "customer name: Wendy Web → Wendy Webster" in cells[3]
    assert "+00:00" not in history and "T10:00" not in history  # local times, not RFC 3339
