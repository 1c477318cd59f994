"""Items 4 and 5: bad input is a 4xx a person can act on, never a 500.

The tests name the families the review found; tests/security/test_openapi_fuzz.py runs schemathesis
over every operation of /schema/openapi.json, and the walk here adds hostile path values to each.
"""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.factories import make_api_token, make_product, make_staff, make_tenant
from tests.security.conftest import as_client, log_in, portal_client

BIG = 2**31
BOOKING = {
    "starts_at": "2027-06-01T08:00:00-07:00",
    "ends_at": "2027-06-03T17:00:00-07:00",
    "customer": {"name": "Casey", "email": "casey@example.test"},
}


def is_problem(response: httpx.Response) -> bool:
    return response.headers.get("content-type", "").startswith("application/problem+json") and bool(
        response.json().get("detail")
    )


@pytest.fixture
async def api(live_server: str) -> Any:
    tenant = await make_tenant()
    token = await make_api_token(tenant, "manager")
    product, units = await make_product(tenant, units=1)
    async with httpx.AsyncClient(
        base_url=live_server, headers={"Authorization": f"Bearer {token}", **as_client()}, timeout=30
    ) as client:
        yield client, tenant, product, units


async def test_ids_beyond_32_bits_are_not_found_or_invalid(api: Any) -> None:
    client, tenant, _product, _ = api
    for path in (
        f"/api/v1/bookings/{BIG}",
        f"/api/v1/maintenance/{BIG}",
        f"/api/v1/deliveries/{BIG}",
        f"/api/v1/calendar_integrations/{BIG}",
        f"/api/v1/products/{BIG}/calendar?from=2027-01-01&to=2027-01-02",
        f"/public/v1/{tenant.slug}/products/99999999999/availability",
    ):
        response = await client.get(path)
        assert response.status_code == 404 and is_problem(response), (path, response.text)
    response = await client.post("/api/v1/bookings", json={**BOOKING, "product_id": BIG})
    assert response.status_code == 422 and is_problem(response)
    response = await client.patch(f"/api/v1/bookings/{BIG}", json={"notes": "x"})
    assert response.status_code in (404, 422) and is_problem(response)


async def test_dates_at_the_edges_of_the_calendar(api: Any) -> None:
    client, tenant, product, units = api
    for start, end in (
        ("0001-01-01T00:00:00Z", "0001-01-02T00:00:00Z"),
        ("9999-12-31T00:00:00Z", "9999-12-31T23:59:59Z"),
    ):
        response = await client.post(
            "/api/v1/bookings", json={**BOOKING, "product_id": product, "starts_at": start, "ends_at": end}
        )
        assert response.status_code == 422 and is_problem(response), response.text
        response = await client.post(
            "/api/v1/maintenance", json={"unit_id": units[0], "starts_at": start, "ends_at": end}
        )
        assert response.status_code == 422 and is_problem(response)
    for first, last in (("0001-01-01", "0001-01-05"), ("9999-12-25", "9999-12-31")):
        response = await client.get(f"/api/v1/products/{product}/calendar", params={"from": first, "to": last})
        assert response.status_code == 422 and is_problem(response)
        response = await client.get(
            f"/widget/{tenant.slug}/{product}/request", params={"pickup": first, "return": last}
        )
        assert response.status_code == 422
    response = await client.get(f"/widget/{tenant.slug}/{product}/", params={"month": "9999-12"})
    assert 400 <= response.status_code < 500


async def test_a_bare_number_is_not_a_date(api: Any) -> None:
    client, _, product, _ = api
    response = await client.post("/api/v1/bookings", json={**BOOKING, "product_id": product, "starts_at": 0})
    assert response.status_code == 422 and "RFC 3339" in response.json()["detail"]


async def test_nul_bytes_are_refused_everywhere(api: Any, live_server: str) -> None:
    client, tenant, product, _ = api
    response = await client.post(
        "/api/v1/bookings", json={**BOOKING, "product_id": product, "customer": {"name": "A\x00B", "email": "a@b.test"}}
    )
    assert response.status_code == 422 and is_problem(response)
    response = await client.get(f"/public/v1/{tenant.slug}%00/products")
    assert 400 <= response.status_code < 500
    async with httpx.AsyncClient(base_url=live_server, headers=as_client()) as anonymous:
        response = await log_in(anonymous, "manager\x00@demo.test", "pass\x00word")
        assert response.status_code == 401 and "wrong e-mail or password" in response.text


async def test_update_schemas_have_the_limits_of_create_schemas(api: Any) -> None:
    client, _, product, units = api
    booking = (await client.post("/api/v1/bookings", json={**BOOKING, "product_id": product})).json()
    for change in ({"pickup_location": "x" * 1000}, {"notes": "n" * 9_000_000}, {"return_location": "\x00"}):
        response = await client.patch(f"/api/v1/bookings/{booking['id']}", json=change)
        assert response.status_code == 422 and is_problem(response), list(change)
    maintenance = await client.post(
        "/api/v1/maintenance",
        json={"unit_id": units[0], "starts_at": "2027-07-01T08:00:00Z", "ends_at": "2027-07-01T10:00:00Z"},
    )
    assert maintenance.status_code == 201
    response = await client.patch(f"/api/v1/maintenance/{maintenance.json()['id']}", json={"description": "d" * 5000})
    assert response.status_code == 422


async def test_portal_forms_posted_without_htmx_work_or_answer_4xx(live_server: str) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant)
    _, email = await make_staff(tenant, "manager")
    async with portal_client(live_server, email) as client:
        posts = [
            (
                "/portal/bookings",
                {
                    "product_id": str(product),
                    "starts_at": "2027-05-01T09:00",
                    "ends_at": "2027-05-02T09:00",
                    "customer_name": "Kim",
                    "customer_email": "k@x.test",
                },
            ),
            ("/portal/bookings", {"product_id": "", "customer_name": "Kim"}),
            (
                "/portal/bookings",
                {
                    "product_id": str(product),
                    "starts_at": "9999-12-31T23:00",
                    "ends_at": "9999-12-31T23:30",
                    "customer_name": "K",
                    "customer_email": "k@x.test",
                },
            ),
            ("/portal/blocks", {"applies_to": "company", "from_date": "2027-12-24", "repeat": "none"}),
            ("/portal/blocks", {"applies_to": f"product:{BIG}", "from_date": "0001-01-01"}),
            ("/portal/feeds/subscriptions", {"kind": "assignments"}),
            ("/portal/reminders", {"offsets": "1d", "enabled": "on"}),
        ]
        for path, form in posts:
            response = await client.post(path, data=form)
            assert response.status_code < 500, (path, form, response.text[:300])
        response = await client.get("/portal/products/1", params={"from": "9999-12-31"})
        assert response.status_code < 500


HOSTILE_PATH_VALUES: list[Any] = [BIG, 2**63, -1, 0, "9999-12-31", "\x00", "%00", "x" * 5000, "", 1.5]


def _fill(template: str, values: dict[str, Any]) -> str:
    for name, value in values.items():
        template = re.sub(r"\{" + name + r"(:\w+)?\}", quote(str(value), safe=""), template)  # quoted: no backslash
    return template


async def test_hostile_path_values_in_every_operation(api: Any, live_server: str) -> None:
    """What tests/security/test_openapi_fuzz.py leaves out: it points path parameters at real resources, so
    here every operation gets hostile path values instead, with a manager's token and anonymously."""
    client, tenant, _product, _ = api
    schema = (await client.get("/schema/openapi.json")).json()
    failures: list[str] = []
    async with httpx.AsyncClient(base_url=live_server, headers=as_client(), timeout=30) as anonymous:
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
                if not names:
                    continue
                for value, who in itertools.product(HOSTILE_PATH_VALUES, (client, anonymous)):
                    url = _fill(path, {n: (tenant.slug if n == "company_slug" else value) for n in names})
                    response = await who.request(method.upper(), url, json={} if method != "get" else None)
                    # a refusal is a problem+json a person can act on, never a server error
                    if response.status_code >= 500 or (response.status_code >= 400 and not is_problem(response)):
                        failures.append(f"{method.upper()} {url[:80]} -> {response.status_code}")
    assert not failures, failures[:20]


async def test_a_caldav_address_httpx_cannot_encode_is_invalid_input(api: Any) -> None:
    """Found by schemathesis: a host name IDNA refuses made connecting a CalDAV account a 500."""
    client, _, _, _ = api
    body = {"server_url": "y\U000e2788", "username": "me", "password": "secret"}
    response = await client.post("/api/v1/calendar_integrations/caldav", json=body)
    assert response.status_code == 422 and is_problem(response), response.text
    assert "not a web address" in response.json()["detail"]
