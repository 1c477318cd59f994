"""Public availability JSON over real HTTP: shape, privacy, CORS, caching, errors, rate limit."""

from __future__ import annotations

import asyncio
import gzip
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from rental.bookings import create_booking
from rental.schemas import BookingCreate, CustomerIn
from tests.factories import make_api_token, make_product, make_tenant
from tests.widget.conftest import LOW_LIMIT, client_address

LA = ZoneInfo("America/Los_Angeles")
CUSTOMER = CustomerIn(name="Priya Private", email="priya.private@example.test", phone="+1 555 0142")


async def book(tenant, product: int, start: datetime, end: datetime) -> int:  # type: ignore[no-untyped-def]
    booking = await create_booking(
        tenant, BookingCreate(product_id=product, starts_at=start, ends_at=end, customer=CUSTOMER)
    )
    return booking.id


async def test_catalogue_and_availability_match_the_staff_calendar_without_personal_data(live_server: str) -> None:
    tenant = await make_tenant()
    token = await make_api_token(tenant)
    product, _ = await make_product(tenant, units=2, name="Boom lift")
    hidden, _ = await make_product(tenant, units=1, name="Workshop crane", public=False)
    await book(tenant, product, datetime(2027, 6, 2, 8, tzinfo=LA), datetime(2027, 6, 3, 17, tzinfo=LA))
    await book(tenant, hidden, datetime(2027, 6, 2, 8, tzinfo=LA), datetime(2027, 6, 3, 17, tzinfo=LA))
    params = {"from": "2027-06-01", "to": "2027-06-04"}
    async with httpx.AsyncClient(base_url=live_server, headers=client_address()) as client:
        products = await client.get(f"/public/v1/{tenant.slug}/products")
        public = await client.get(f"/public/v1/{tenant.slug}/products/{product}/availability", params=params)
        staff = await client.get(
            f"/api/v1/products/{product}/calendar", params=params, headers={"Authorization": f"Bearer {token}"}
        )
    assert products.status_code == 200
    assert products.json() == [
        {
            "id": product,
            "name": "Boom lift",
            "unit_count": 2,
            "description": "",
            "public": True,
            "active": True,
            "min_rental_days": 1,
            "max_rental_days": None,
        }
    ]
    assert public.status_code == 200 and public.headers["content-type"] == "application/json"
    assert public.json() == staff.json()
    assert public.json()["timezone"] == "America/Los_Angeles"
    assert [(d["date"], d["status"], d["available_units"]) for d in public.json()["days"]] == [
        ("2027-06-01", "available", 2),
        ("2027-06-02", "available", 1),
        ("2027-06-03", "available", 1),
        ("2027-06-04", "available", 2),
    ]
    for response in (products, public):
        text = response.text.lower()
        assert "priya" not in text and "example.test" not in text and "0142" not in text
        assert "customer" not in text and "set-cookie" not in response.headers


async def test_default_range_is_thirty_days_from_today_in_the_company_zone(live_server: str) -> None:
    tenant = await make_tenant(timezone="Pacific/Kiritimati")  # UTC+14: its today is often not UTC's
    product, _ = await make_product(tenant, units=1)
    async with httpx.AsyncClient(base_url=live_server, headers=client_address()) as client:
        days = (await client.get(f"/public/v1/{tenant.slug}/products/{product}/availability")).json()["days"]
    today = datetime.now(ZoneInfo("Pacific/Kiritimati")).date()
    assert len(days) == 30 and days[0]["date"] == today.isoformat()


async def test_cors_etag_and_304(live_server: str) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    url = f"/public/v1/{tenant.slug}/products/{product}/availability?from=2027-07-01&to=2027-07-03"
    async with httpx.AsyncClient(base_url=live_server, headers=client_address()) as client:
        first = await client.get(url, headers={"Origin": "https://shop.example"})
        assert first.headers["access-control-allow-origin"] == "*"
        assert first.headers["access-control-allow-methods"] == "GET"
        assert first.headers["cache-control"] == "public, max-age=60"
        etag = first.headers["etag"]
        assert etag.startswith('"') and not etag.startswith("W/")

        again = await client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag and again.headers["access-control-allow-origin"] == "*"
        assert (await client.get(url, headers={"If-None-Match": f'"other", W/{etag}'})).status_code == 304

        await book(tenant, product, datetime(2027, 7, 2, 8, tzinfo=LA), datetime(2027, 7, 2, 17, tzinfo=LA))
        changed = await client.get(url, headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.headers["etag"] != etag
        assert changed.json()["days"][1]["status"] == "partial"

        preflight = await client.options(
            url, headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "GET"}
        )
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "if-none-match" in preflight.headers["access-control-allow-headers"].lower()

        # the staff API keeps its own rules: no open CORS there
        assert "access-control-allow-origin" not in (await client.get("/api/v1/products")).headers


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2027-02-30&to=2027-03-02", "'from' must be a date like 2027-03-14, not '2027-02-30'"),
        ("from=2027-03-01&to=tomorrow", "'to' must be a date like 2027-03-14, not 'tomorrow'"),
        ("from=2027-03-05&to=2027-03-01", "'to' must not be before 'from'"),
        ("from=2027-01-01&to=2028-01-02", "a date range may span at most 366 days"),
    ],
)
async def test_bad_dates_are_a_clear_422(live_server: str, query: str, message: str) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    async with httpx.AsyncClient(base_url=live_server, headers=client_address()) as client:
        response = await client.get(f"/public/v1/{tenant.slug}/products/{product}/availability?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["detail"] == message


async def test_tenants_are_isolated_by_slug(live_server: str) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    product, _ = await make_product(tenant, units=1)
    hidden, _ = await make_product(tenant, units=1, public=False)
    await make_product(other, units=3, name="Other's product")
    async with httpx.AsyncClient(base_url=live_server, headers=client_address()) as client:
        assert [p["id"] for p in (await client.get(f"/public/v1/{tenant.slug}/products")).json()] == [product]
        assert [p["name"] for p in (await client.get(f"/public/v1/{other.slug}/products")).json()] == [
            "Other's product"
        ]
        cases = [
            (f"/public/v1/{other.slug}/products/{product}/availability", "product"),
            (f"/public/v1/{tenant.slug}/products/{hidden}/availability", "product"),
            ("/public/v1/no-such-company/products", "no company 'no-such-company'"),
            ("/public/v1/no-such-company/products/1/availability", "no company 'no-such-company'"),
        ]
        for path, message in cases:
            response = await client.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"].startswith("application/problem+json")
            assert message in response.json()["detail"]


async def test_rate_limit_is_per_client_address_with_retry_after(limited_server: str) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    noisy, quiet = client_address(), client_address()
    path = f"/public/v1/{tenant.slug}/products/{product}/availability"
    async with httpx.AsyncClient(base_url=limited_server) as client:
        responses = await asyncio.gather(*[client.get(path, headers=noisy) for _ in range(LOW_LIMIT + 3)])
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] * LOW_LIMIT + [429] * 3, codes
        limited = next(r for r in responses if r.status_code == 429)
        assert limited.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(limited.headers["retry-after"]) <= 60
        assert limited.headers["access-control-allow-origin"] == "*"
        assert f"more than {LOW_LIMIT} requests a minute" in limited.json()["detail"]
        # the widget pages count against the same budget
        assert (await client.get(f"/widget/{tenant.slug}/{product}", headers=noisy)).status_code == 429
        # another address is not affected, and other paths are never limited
        assert (await client.get(path, headers=quiet)).status_code == 200
        for _ in range(LOW_LIMIT + 1):
            assert (await client.get("/login", headers=noisy)).status_code == 200
            assert (await client.get("/widget/embed.js", headers=noisy)).status_code == 200


async def test_embed_js_is_small_self_contained_and_cacheable(live_server: str) -> None:
    async with httpx.AsyncClient(base_url=live_server) as client:
        script = await client.get("/widget/embed.js")
        again = await client.get("/widget/embed.js", headers={"If-None-Match": script.headers["etag"]})
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert script.headers["cache-control"] == "public, max-age=300" and "set-cookie" not in script.headers
    assert again.status_code == 304
    assert len(gzip.compress(script.content, 9)) < 5 * 1024
    code = script.text
    for request_api in ("fetch(", "XMLHttpRequest", "import(", "sendBeacon", 'createElement("script")'):
        assert request_api not in code  # the iframe is its only request, to the script's own origin
    assert 'setAttribute("sandbox", "allow-scripts allow-forms allow-same-origin")' in code
    assert "event.origin !== widget.origin" in code
