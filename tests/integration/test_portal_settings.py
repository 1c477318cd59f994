"""Settings a manager needs (products and units, business hours, the team), plain forms with POST-redirect-GET;
friendly error pages instead of raw JSON for people browsing the portal; the help pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from rental import bookings
from rental.schemas import BookingCreate, CustomerIn
from rental.tables import Company, Product, StaffUser, Unit
from tests.factories import make_product, make_staff, make_tenant
from tests.support.portal import signed_in

PAGE = {"accept": "text/html,application/xhtml+xml"}


async def test_products_units_hours_and_team(live_server: str) -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=1, name="Skid steer")
    _, email = await make_staff(tenant, "manager")
    driver, _ = await make_staff(tenant, "driver")
    async with signed_in(live_server, email) as client:
        added = await client.post("/portal/settings/products", data={"name": "Cement mixer", "description": "110 l"},
                                  follow_redirects=False)  # fmt: skip
        assert added.status_code == 303 and added.headers["location"] == "/portal/settings#products"
        page = await client.get("/portal/settings")
        assert "Product “Cement mixer” added." in page.text
        mixer = await Product.select().where((Product.company == tenant.id) & (Product.name == "Cement mixer")).first()
        assert mixer is not None and mixer["public"] is False  # the box was not ticked
        assert "Product “Cement mixer” added." not in (await client.get("/portal/settings")).text  # reload: no repeat

        await client.post(f"/portal/settings/products/{mixer['id']}", data={"name": "Mixer", "public": "1"})
        await client.post(f"/portal/settings/products/{mixer['id']}/units", data={"name": "Mixer A"})
        assert (await Product.select(Product.public).where(Product.id == mixer["id"]).first())["public"] is True
        assert [u["name"] for u in await Unit.select(Unit.name).where(Unit.product == mixer["id"])] == ["Mixer A"]

        # a unit with a booking ahead stays active, and says why
        start = datetime.now(UTC) + timedelta(days=3)
        await bookings.create_booking(tenant, BookingCreate(product_id=product, unit_id=units[0], starts_at=start,
            ends_at=start + timedelta(days=1), customer=CustomerIn(name="Al", email="al@example.test")))  # fmt: skip
        refused = await client.post(f"/portal/settings/units/{units[0]}", data={"name": "Skid steer #1"})
        assert "Unit not saved: this unit has 1 booking still to come" in refused.text
        assert (await Unit.select(Unit.active).where(Unit.id == units[0]).first())["active"] is True

        hours = {"mon_on": "1", "mon_open": "07:00", "mon_close": "16:00", "sat_on": "1", "sat_open": "09:00",
                 "sat_close": "12:00", "tue_open": "08:00", "tue_close": "17:00"}  # fmt: skip
        saved = await client.post("/portal/settings/hours", data=hours)
        assert "Business hours saved." in saved.text
        stored = (
            await Company.select(Company.business_hours).where(Company.id == tenant.id).output(load_json=True).first()
        )
        assert stored["business_hours"] == {"mon": ["07:00", "16:00"], "sat": ["09:00", "12:00"]}
        backwards = await client.post("/portal/settings/hours", data={**hours, "sat_close": "08:00"})
        assert "Saturday: closing must be after opening" in backwards.text

        await client.post(f"/portal/settings/team/{driver}", data={"role": "technician"})
        member = await StaffUser.select(StaffUser.role, StaffUser.active).where(StaffUser.id == driver).first()
        assert member == {"role": "technician", "active": False}


async def test_drivers_cannot_open_settings_and_get_a_page_not_json(live_server: str) -> None:
    tenant = await make_tenant()
    _, email = await make_staff(tenant, "driver")
    async with signed_in(live_server, email) as client:
        denied = await client.get("/portal/settings", headers=PAGE)
        assert denied.status_code == 403 and denied.headers["content-type"].startswith("text/html")
        assert "You cannot open this page" in denied.text and "This needs an admin or manager account" in denied.text
        missing = await client.get("/portal/bookings/2147483000", headers=PAGE)
        assert missing.status_code == 404 and "Page not found" in missing.text and '"status"' not in missing.text
        # HTMX fragments and API clients keep problem+json (the page's script shows its detail)
        fragment = await client.get("/portal/settings", headers={**PAGE, "hx-request": "true"})
        assert fragment.status_code == 403 and fragment.headers["content-type"] == "application/problem+json"


async def test_help_pages_for_staff_and_customers(live_server: str) -> None:
    tenant = await make_tenant()
    _, email = await make_staff(tenant, "technician")
    async with signed_in(live_server, email) as client:
        index = await client.get("/portal/help")
        assert 'href="/portal/help"' in index.text  # in the navigation for every role
        for topic, words in (("calendars", "app-specific password"), ("colours", "Basil"), ("conflicts", "Keep ours")):
            page = await client.get(f"/portal/help/{topic}")
            assert page.status_code == 200 and words in page.text
    customer = httpx.get(f"{live_server}/help/your-rental")  # no session needed
    assert customer.status_code == 200 and "Download .ics" in customer.text and "Reminders" in customer.text
