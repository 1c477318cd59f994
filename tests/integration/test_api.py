"""REST API v1 over real HTTP against the uvicorn process."""

import asyncio

import httpx
import pytest

from rental.tables import Booking
from tests.factories import make_api_token, make_product, make_tenant

pytestmark = pytest.mark.usefixtures("live_server")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def body(product: int, start: str = "2027-06-01T08:00:00-07:00", end: str = "2027-06-03T17:00:00-07:00", **extra):  # type: ignore[no-untyped-def]
    return {
        "product_id": product,
        "starts_at": start,
        "ends_at": end,
        "customer": {"name": "Casey", "email": "casey@example.test", "phone": "+1 555 0199"},
        **extra,
    }


async def test_fifty_concurrent_conflicting_requests_make_exactly_one_booking(live_server: str) -> None:
    tenant = await make_tenant()
    token = await make_api_token(tenant)
    product, _ = await make_product(tenant, units=1)
    limits = httpx.Limits(max_connections=60)
    async with httpx.AsyncClient(base_url=live_server, headers=auth(token), timeout=60, limits=limits) as client:
        responses = await asyncio.gather(*[client.post("/api/v1/bookings", json=body(product)) for _ in range(50)])
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1 and codes.count(409) == 49, codes
    conflict = next(r for r in responses if r.status_code == 409)
    assert conflict.headers["content-type"].startswith("application/problem+json")
    assert "no unit is free" in conflict.json()["detail"]
    assert await Booking.count().where(Booking.product == product) == 1


async def test_booking_lifecycle_and_calendar(live_server: str) -> None:
    tenant = await make_tenant()
    token = await make_api_token(tenant)
    product, units = await make_product(tenant, units=2)
    async with httpx.AsyncClient(base_url=live_server, headers=auth(token)) as client:
        products = (await client.get("/api/v1/products")).json()
        assert products == [
            {
                "id": product,
                "name": "Excavator XL",
                "unit_count": 2,
                "description": "",
                "public": True,
                "active": True,
                "min_rental_days": 1,
                "max_rental_days": None,
            }
        ]
        created = await client.post("/api/v1/bookings", json=body(product, unit_id=units[1], status="pending"))
        assert created.status_code == 201, created.text
        booking = created.json()
        assert booking["unit_id"] == units[1] and booking["status"] == "pending"
        calendar = (
            await client.get(f"/api/v1/products/{product}/calendar", params={"from": "2027-05-31", "to": "2027-06-04"})
        ).json()
        assert calendar["timezone"] == "America/Los_Angeles"
        assert [(d["date"], d["status"], d["available_units"]) for d in calendar["days"]] == [
            ("2027-05-31", "available", 2),
            ("2027-06-01", "available", 1),
            ("2027-06-02", "available", 1),
            ("2027-06-03", "available", 1),
            ("2027-06-04", "available", 2),
        ]
        moved = await client.patch(
            f"/api/v1/bookings/{booking['id']}",
            json={
                "starts_at": "2027-06-10T08:00:00-07:00",
                "ends_at": "2027-06-11T08:00:00-07:00",
                "status": "confirmed",
            },
        )
        assert moved.status_code == 200 and moved.json()["status"] == "confirmed"
        assert moved.json()["starts_at"] == "2027-06-10T15:00:00Z"
        listed = (
            await client.get(
                "/api/v1/bookings", params={"from": "2027-06-09", "to": "2027-06-12", "status": "confirmed"}
            )
        ).json()
        assert [b["id"] for b in listed] == [booking["id"]]
        assert (await client.get("/api/v1/bookings", params={"status": "pending"})).json() == []
        cancelled = await client.post(f"/api/v1/bookings/{booking['id']}/cancel")
        assert cancelled.json()["status"] == "cancelled"
        shown = await client.get(f"/api/v1/bookings/{booking['id']}")
        assert shown.json()["status"] == "cancelled"


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"starts_at": "2027-06-01T08:00:00"}, "UTC offset"),
        ({"ends_at": "2027-06-01T07:00:00-07:00"}, "ends_at must be after starts_at"),
        ({"product_id": 999999}, "unknown product_id"),
        ({"customer": {"name": "X", "email": "not-an-email"}}, "email"),
        ({"surprise": 1}, "surprise"),
    ],
)
async def test_bad_input_is_a_clear_422(live_server: str, payload: dict, message: str) -> None:  # type: ignore[type-arg]
    tenant = await make_tenant()
    token = await make_api_token(tenant)
    product, _ = await make_product(tenant, units=1)
    async with httpx.AsyncClient(base_url=live_server, headers=auth(token)) as client:
        response = await client.post("/api/v1/bookings", json={**body(product), **payload})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert message in response.json()["detail"]


async def test_malformed_json_is_422(live_server: str) -> None:
    tenant = await make_tenant()
    token = await make_api_token(tenant)
    async with httpx.AsyncClient(base_url=live_server, headers=auth(token)) as client:
        response = await client.post(
            "/api/v1/bookings", content=b'{"product_id": 1,', headers={"content-type": "application/json"}
        )
    assert response.status_code == 422
    assert "malformed" in response.json()["detail"]


async def test_tokens_and_tenant_isolation(live_server: str) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    token, other_token = await make_api_token(tenant), await make_api_token(other)
    product, _ = await make_product(tenant, units=1)
    async with httpx.AsyncClient(base_url=live_server) as client:
        assert (await client.get("/api/v1/products")).status_code == 401
        assert (await client.get("/api/v1/products", headers=auth("rc_wrong"))).status_code == 401
        created = (await client.post("/api/v1/bookings", json=body(product), headers=auth(token))).json()
        for method, path in [
            ("GET", f"/api/v1/bookings/{created['id']}"),
            ("PATCH", f"/api/v1/bookings/{created['id']}"),
            ("POST", f"/api/v1/bookings/{created['id']}/cancel"),
            ("GET", f"/api/v1/products/{product}/calendar?from=2027-06-01&to=2027-06-02"),
        ]:
            response = await client.request(
                method, path, headers=auth(other_token), json={} if method == "PATCH" else None
            )
            assert response.status_code == 404, (method, path, response.text)
        assert (await client.get("/api/v1/products", headers=auth(other_token))).json() == []
        assert (await client.get("/api/v1/bookings", headers=auth(other_token))).json() == []
        assert (await client.get(f"/api/v1/bookings/{created['id']}", headers=auth(token))).status_code == 200


async def test_blocks_endpoint_closes_days_and_can_be_removed(live_server: str) -> None:
    tenant = await make_tenant()
    token = await make_api_token(tenant)
    product, _ = await make_product(tenant, units=1)
    async with httpx.AsyncClient(base_url=live_server, headers=auth(token)) as client:
        created = await client.post(
            "/api/v1/calendar_availability",
            json={
                "blocked_from": "2027-07-04T00:00:00-07:00",
                "blocked_until": "2027-07-05T00:00:00-07:00",
                "reason": "Independence Day",
            },
        )
        assert created.status_code == 201, created.text
        days = (
            await client.get(f"/api/v1/products/{product}/calendar", params={"from": "2027-07-03", "to": "2027-07-05"})
        ).json()["days"]
        assert [(d["status"], d["reason"]) for d in days] == [
            ("available", None),
            ("closed", "Independence Day"),
            ("available", None),
        ]
        refused = await client.post(
            "/api/v1/bookings", json=body(product, "2027-07-04T09:00:00-07:00", "2027-07-04T12:00:00-07:00")
        )
        assert refused.status_code == 409 and "Independence Day" in refused.json()["detail"]
        assert (await client.delete(f"/api/v1/calendar_availability/{created.json()['id']}")).status_code == 204
        assert (await client.delete(f"/api/v1/calendar_availability/{created.json()['id']}")).status_code == 404
        days = (
            await client.get(f"/api/v1/products/{product}/calendar", params={"from": "2027-07-04", "to": "2027-07-04"})
        ).json()["days"]
        assert days[0]["status"] == "available"
        bad = await client.post(
            "/api/v1/calendar_availability",
            json={"blocked_from": "2027-07-04T00:00:00-07:00", "blocked_until": "2027-07-03T00:00:00-07:00"},
        )
        assert bad.status_code == 422


async def test_openapi_schema_lists_the_v1_endpoints(live_server: str) -> None:
    async with httpx.AsyncClient(base_url=live_server) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    for path in [
        "/api/v1/products",
        "/api/v1/products/{product_id}/calendar",
        "/api/v1/bookings",
        "/api/v1/bookings/{booking_id}",
        "/api/v1/bookings/{booking_id}/cancel",
        "/api/v1/calendar_availability",
        "/api/v1/calendar_availability/{block_id}",
    ]:
        assert path in schema["paths"], path
