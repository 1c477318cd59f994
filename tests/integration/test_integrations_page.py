"""The sync-conflicts table on the integrations page speaks of items as people know them (a booking's number,
customer, product and unit, its local time), each a link to the item, never an internal key; the page's forms
are POST-redirect-GET."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from calendars.tables import CalendarIntegration, SyncConflict
from rental import bookings
from rental.schemas import BookingCreate, CustomerIn
from tests.factories import make_product, make_staff, make_tenant
from tests.support.portal import signed_in

LA = ZoneInfo("America/Los_Angeles")


async def test_conflicts_name_the_booking_with_a_link_and_local_time(live_server: str) -> None:
    tenant = await make_tenant()
    manager, email = await make_staff(tenant, "manager")
    product, units = await make_product(tenant, units=1, name="Excavator")
    ada = CustomerIn(name="Ada Lovelace", email="ada@example.test")
    booking = await bookings.create_booking(tenant, BookingCreate(
        product_id=product, unit_id=units[0], starts_at=datetime(2027, 1, 14, 9, tzinfo=LA),
        ends_at=datetime(2027, 1, 15, 17, tzinfo=LA), customer=ada,
    ))  # fmt: skip
    integration = await CalendarIntegration.insert(
        CalendarIntegration(company=tenant.id, user=manager, provider="google", account_email="m@example.test")
    ).returning(CalendarIntegration.id)
    await SyncConflict.insert(
        SyncConflict(company=tenant.id, integration=integration[0]["id"], item_key=f"booking:{booking.id}",
                     kind="move_refused", detail="no unit of Excavator is free then: unit_occupancy_excl",
                     remote_starts_at=datetime(2027, 1, 20, 9, tzinfo=LA),
                     remote_ends_at=datetime(2027, 1, 21, 17, tzinfo=LA))
    )  # fmt: skip
    async with signed_in(live_server, email) as client:
        page = await client.get("/portal/integrations")
        conflict = await SyncConflict.select(SyncConflict.id).where(SyncConflict.company == tenant.id).first()
        handled = await client.post(f"/portal/integrations/conflicts/{conflict['id']}/resolve", follow_redirects=False)
        assert handled.status_code == 303 and handled.headers["location"].startswith("/portal/integrations?")
        after = await client.get(handled.headers["location"])  # what the browser shows, and what a reload repeats
        assert "Conflict marked as handled." in after.text and f'data-conflict="booking:{booking.id}"' not in after.text
        synced = await client.post(f"/portal/integrations/{integration[0]['id']}/sync", follow_redirects=False)
        assert (
            synced.status_code == 303
            and "Synchronisation started." in (await client.get(synced.headers["location"])).text
        )
    assert page.status_code == 200
    row = page.text.split(f'data-conflict="booking:{booking.id}"', 1)[1].split("</tr>", 1)[0]
    assert f'<a href="/portal/bookings/{booking.id}">Booking {booking.id} · Ada Lovelace · Excavator, ' in row
    assert "Thu 14 Jan 2027 09:00" in row  # the booking's own time, in the company's zone
    assert "no unit of Excavator is free then" in row and "unit_occupancy_excl" not in row
    assert f">booking:{booking.id}<" not in page.text and "move refused" in row
