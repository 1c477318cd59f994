"""Item 8: every route x role (manager, driver, technician, anonymous), allowed or denied as declared.

The expectation is written here, independently of the code: a route added without a decision
here fails `test_every_route_is_classified`, and a guard forgotten on a manager-only route fails
the matrix.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from tests.factories import make_product, make_staff, make_tenant
from tests.security.conftest import as_client, portal_client

PUBLIC = {
    "/",
    "/health",
    "/login",
    "/logout",
    "/schema",
    "/schema/openapi.json",
    "/schema/openapi.yaml",
    "/schema/openapi.yml",
    "/schema/swagger",
    "/schema/redoc",
    "/schema/elements",
    "/schema/rapidoc",
    "/schema/stoplight",
    "/schema/oauth2-redirect.html",
    "/static",
    "/oauth/google/callback",
    "/oauth/{provider:str}/callback",  # the state must belong to the session (or staff member) that started it
    "/webhooks/{provider:str}",  # providers post notifications; each is checked against its subscription secret
    "/widget/embed.js",
    "/help/your-rental",  # for customers: adding a rental to their calendar, reminders
    "/join/{token:str}",  # an invited person picks a name and password; the token is the credential
}
PUBLIC_PREFIXES = ("/public/", "/widget/", "/feeds/", "/invite/", "/invites/", "/static", "/schema")
# (method, path) only managers and admins may use.
MANAGERS_ONLY = {
    ("POST", "/api/v1/calendar_availability"),
    ("DELETE", "/api/v1/calendar_availability/{block_id:int}"),
    ("PUT", "/api/v1/settings/booking_colors"),
    ("GET", "/portal/blocks"),
    ("POST", "/portal/blocks"),
    ("DELETE", "/portal/blocks/{block_id:int}"),
    ("GET", "/portal/embed"),
    ("GET", "/portal/reminders"),
    ("POST", "/portal/reminders"),
    ("GET", "/portal/mailbox"),
    ("GET", "/portal/mailbox/{key:str}"),
    ("POST", "/portal/integrations/colors"),
    ("POST", "/portal/integrations/conflicts/{conflict_id:int}/resolve"),
    ("POST", "/portal/team/move"),
    ("GET", "/portal/team/new"),
    ("POST", "/portal/team/create"),
    ("POST", "/portal/bookings/{booking_id:int}/details"),
    ("GET", "/portal/settings"),
    ("POST", "/portal/settings/products"),
    ("POST", "/portal/settings/products/{product_id:int}"),
    ("POST", "/portal/settings/products/{product_id:int}/units"),
    ("POST", "/portal/settings/units/{unit_id:int}"),
    ("POST", "/portal/settings/hours"),
    ("POST", "/portal/settings/team/{staff_id:int}"),
    ("POST", "/portal/settings/products/{product_id:int}/active"),
    ("POST", "/portal/settings/invitations"),
    ("POST", "/portal/settings/invitations/{invitation_id:int}/resend"),
    ("POST", "/portal/settings/invitations/{invitation_id:int}/withdraw"),
    ("GET", "/portal/requests"),
    ("POST", "/portal/requests/{booking_id:int}/accept"),
    ("POST", "/portal/requests/{booking_id:int}/decline"),
    ("GET", "/portal/conflicts"),
    ("POST", "/portal/conflicts/{conflict_id:int}/resolve"),
}
ROLES = ("manager", "driver", "technician")


def app_routes() -> list[tuple[str, str]]:
    from portal.app import create_app

    app = create_app()
    found = []
    for route in app.routes:
        for method in getattr(route, "methods", []):
            if method not in ("HEAD", "OPTIONS"):
                found.append((method, route.path))
    return sorted(set(found))


def is_public(path: str) -> bool:
    return path in PUBLIC or path.startswith(PUBLIC_PREFIXES)


def test_every_route_is_classified() -> None:
    routes = app_routes()
    assert routes
    unknown = [(m, p) for m, p in routes if not is_public(p) and not p.startswith(("/api/", "/portal/"))]
    assert not unknown, f"decide who may use these routes and add them to this test: {unknown}"
    stale = MANAGERS_ONLY - set(routes)
    assert not stale, f"routes named here no longer exist: {stale}"


def _concrete(path: str, ids: dict[str, Any]) -> str:
    return re.sub(r"\{(\w+):(\w+)\}", lambda m: str(ids.get(m.group(1), 1)), path)


@pytest.fixture(scope="module")
async def world(live_server: str) -> dict[str, Any]:
    tenant = await make_tenant()
    product, _ = await make_product(tenant)
    emails = {role: (await make_staff(tenant, role))[1] for role in ROLES}
    return {"tenant": tenant, "product": product, "emails": emails}


async def test_every_route_as_every_role(live_server: str, world: dict[str, Any]) -> None:
    from rental.accounts import create_api_token

    problems: list[str] = []
    routes = [(m, p) for m, p in app_routes() if p.startswith(("/api/", "/portal/"))]
    ids = {"product_id": world["product"], "key": "none"}
    for role in ROLES:
        token = await create_api_token(world["emails"][role])
        async with (
            portal_client(live_server, world["emails"][role]) as portal,
            httpx.AsyncClient(
                base_url=live_server, headers={"Authorization": f"Bearer {token}", **as_client()}, timeout=30
            ) as api,
        ):
            for method, path in routes:
                client = api if path.startswith("/api/") else portal
                response = await client.request(
                    method, _concrete(path, ids), params={"from": "2027-01-01", "to": "2027-01-02"}
                )
                denied = response.status_code == 403
                expect_denied = role != "manager" and (method, path) in MANAGERS_ONLY
                if denied != expect_denied or response.status_code >= 500:
                    problems.append(f"{role} {method} {path}: {response.status_code}")
    async with httpx.AsyncClient(base_url=live_server, headers=as_client(), timeout=30) as anonymous:
        for method, path in routes:
            response = await anonymous.request(method, _concrete(path, ids))
            ok = (
                response.status_code == 401
                if path.startswith("/api/")
                else response.status_code in (302, 303, 401, 403)
            )
            if not ok:
                problems.append(f"anonymous {method} {path}: {response.status_code}")
    assert not problems, problems
