"""A deactivated product (portal settings): gone from the widget and the public API, no new bookings through
any door (a 409 that says why), its existing bookings untouched; reactivated, it is offered again."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from rental import bookings
from rental.errors import Conflict
from rental.schemas import BookingCreate, CustomerIn
from rental.tables import Product
from tests.factories import make_api_token, make_product, make_staff, make_tenant
from tests.support.portal import signed_in
from tests.widget.conftest import client_address

LA = ZoneInfo("America/Los_Angeles")
CUSTOMER = CustomerIn(name="Casey Customer", email="casey@example.test")


def _new(product: int, day: int) -> BookingCreate:
    return BookingCreate(product_id=product, starts_at=datetime(2027, 7, day, 8, tzinfo=LA),
                         ends_at=datetime(2027, 7, day + 1, 17, tzinfo=LA), customer=CUSTOMER)  # fmt: skip


async def test_a_deactivated_product_leaves_the_widget_and_takes_no_new_bookings(live_server: str) -> None:
    tenant = await make_tenant()
    _, manager = await make_staff(tenant, "manager")
    token = await make_api_token(tenant)
    product, _ = await make_product(tenant, units=2, name="Plate compactor")
    other, _ = await make_product(tenant, units=1, name="Rammer")
    existing = await bookings.create_booking(tenant, _new(product, 5))

    async with signed_in(live_server, manager) as portal:
        off = await portal.post(f"/portal/settings/products/{product}/active", data={}, follow_redirects=False)
        assert off.status_code == 303 and off.headers["location"] == "/portal/settings#products"
        page = await portal.get("/portal/settings")
        assert "Product “Plate compactor” deactivated: no new bookings, hidden from the widget." in page.text
        assert "Reactivate Plate compactor" in page.text and "Deactivate Rammer" in page.text
        form = await portal.get("/portal/bookings")
        assert "Plate compactor (" not in form.text and "Rammer (" in form.text  # not offered for new bookings
    assert (await Product.select(Product.active).where(Product.id == product).first())["active"] is False

    widget = f"/widget/{tenant.slug}/{product}"
    async with httpx.AsyncClient(base_url=live_server, headers=client_address(), timeout=30) as public:
        listed = await public.get(f"/public/v1/{tenant.slug}/products")
        assert [p["name"] for p in listed.json()] == ["Rammer"]
        days = await public.get(f"/public/v1/{tenant.slug}/products/{product}/availability")
        assert days.status_code == 404
        assert (await public.get(widget)).status_code == 404
        assert (await public.get(f"/widget/{tenant.slug}/{other}")).status_code == 200

    async with httpx.AsyncClient(base_url=live_server, headers={"Authorization": f"Bearer {token}"}) as api:
        refused = await api.post("/api/v1/bookings", json={
            "product_id": product, "starts_at": "2027-07-10T08:00:00-07:00", "ends_at": "2027-07-11T17:00:00-07:00",
            "customer": {"name": "Casey", "email": "casey@example.test"}})  # fmt: skip
        assert refused.status_code == 409
        assert refused.json()["detail"] == (
            "Plate compactor is deactivated and takes no new bookings; a manager can reactivate it under Settings"
        )
        kept = await api.get(f"/api/v1/bookings/{existing.id}")
        assert kept.status_code == 200 and kept.json()["status"] == existing.status  # existing bookings stay
    with pytest.raises(Conflict, match="deactivated"):
        await bookings.create_booking(tenant, _new(product, 12))

    async with signed_in(live_server, manager) as portal:
        on = await portal.post(f"/portal/settings/products/{product}/active", data={"active": "1"})
        assert "Product “Plate compactor” takes bookings again." in on.text
    async with httpx.AsyncClient(base_url=live_server, headers=client_address(), timeout=30) as public:
        listed = await public.get(f"/public/v1/{tenant.slug}/products")
        assert sorted(p["name"] for p in listed.json()) == ["Plate compactor", "Rammer"]
        assert (await public.get(widget)).status_code == 200
    assert (await bookings.create_booking(tenant, _new(product, 12))).product_id == product
