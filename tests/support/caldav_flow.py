"""Steps the CalDAV end-to-end tests share: bookings for a person, a connect through the API, and what
the connected calendar holds (keys of our events, counted)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import httpx

from calendars.tables import CalendarIntegration
from rental import bookings
from rental.schemas import BookingCreate, CustomerIn
from rental.tenants import Tenant
from rentcal.caldav_demo import DEMO_PASSWORD
from tests.support.caldav_server import Account, Stored


async def api(live_server: str, token: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(timeout=120) as client:
        return await client.request(
            method, f"{live_server}{path}", headers={"Authorization": f"Bearer {token}"}, **kwargs
        )


async def book(tenant: Tenant, product: int, staff: int, start: datetime, name: str) -> int:
    booking = await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            starts_at=start,
            ends_at=start + timedelta(hours=20),
            customer=CustomerIn(name=name, email=f"{name.lower().replace(' ', '.')}@example.test"),
            assigned_staff_id=staff,
        ),
    )
    return booking.id


async def connect(
    live_server: str, token: str, account: Account, password: str = DEMO_PASSWORD, *, server_url: str | None = None
) -> httpx.Response:
    body = {"server_url": server_url or account.base_url, "username": account.user, "password": password}
    return await api(live_server, token, "POST", "/api/v1/calendar_integrations/caldav", json=body)


def written_to(integration: dict[str, Any]) -> dict[str, Any]:
    (target,) = [c for c in integration["calendars"] if c["write_kinds"]]
    return target


async def full_sync_done(integration_id: int) -> bool:
    row = (
        await CalendarIntegration.select(CalendarIntegration.last_synced_at)
        .where(CalendarIntegration.id == integration_id)
        .first()
    )
    return row is not None and row["last_synced_at"] is not None


def keys_of(stored: list[Stored]) -> Counter[str]:
    return Counter(str(s.vevent.get("X-RENTCAL-KEY")) for s in stored if s.vevent.get("X-RENTCAL-KEY"))
