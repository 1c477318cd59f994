"""What goes where: maintenance to the technician, deliveries to the driver; busy time fails closed."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from calendars.sync.busy import staff_busy
from calendars.tables import CalendarTarget
from rental.accounts import create_api_token
from tests.factories import make_product, make_staff, make_tenant
from tests.integration.test_google_sync import listening
from tests.support.google_flow import connect_google, eventually, sandbox_events
from tests.support.worker import WorkerHandle

LA = ZoneInfo("America/Los_Angeles")


def keyed(events: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [
        e
        for e in events
        if e["status"] != "cancelled" and e.get("extendedProperties", {}).get("private", {}).get("rentcal_key") == key
    ]


async def test_maintenance_and_deliveries_reach_the_right_people(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    tenant = await make_tenant()
    _, manager_email = await make_staff(tenant, "manager")
    technician_id, technician_email = await make_staff(tenant, "technician")
    driver_id, driver_email = await make_staff(tenant, "driver")
    product, (unit,) = await make_product(tenant, units=1)
    manager = {"Authorization": f"Bearer {await create_api_token(manager_email)}"}
    tech_account, driver_account = f"{tenant.slug}.tech@gmail.test", f"{tenant.slug}.driver@gmail.test"
    tech = await connect_google(live_server, await create_api_token(technician_email), tech_account)
    driver = await connect_google(live_server, await create_api_token(driver_email), driver_account)
    await listening(tech["id"])
    await listening(driver["id"])
    start = datetime(2028, 2, 7, 8, tzinfo=LA)

    async with httpx.AsyncClient(base_url=live_server, headers=manager) as api:
        maintenance = (
            await api.post(
                "/api/v1/maintenance",
                json={
                    "unit_id": unit,
                    "technician_id": technician_id,
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(hours=4)).isoformat(),
                    "description": "Hydraulic hoses",
                },
            )
        ).json()
        booking = (
            await api.post(
                "/api/v1/bookings",
                json={
                    "product_id": product,
                    "starts_at": (start + timedelta(days=1)).isoformat(),
                    "ends_at": (start + timedelta(days=3)).isoformat(),
                    "customer": {"name": "Dana Site", "email": "dana@example.test", "phone": "+1 555 0177"},
                },
            )
        ).json()
        clash = await api.post(
            "/api/v1/bookings",
            json={
                "product_id": product,
                "starts_at": (start + timedelta(hours=1)).isoformat(),
                "ends_at": (start + timedelta(hours=2)).isoformat(),
                "customer": {"name": "X", "email": "x@example.test"},
            },
        )
        assert clash.status_code == 409 and "maintenance" in clash.json()["detail"]
        delivery = (
            await api.post(
                "/api/v1/deliveries",
                json={
                    "booking_id": booking["id"],
                    "kind": "delivery",
                    "driver_id": driver_id,
                    "route_order": 2,
                    "address": "42 Quarry Rd, Pasadena",
                    "starts_at": (start + timedelta(days=1, hours=-2)).isoformat(),
                    "ends_at": (start + timedelta(days=1)).isoformat(),
                },
            )
        ).json()

    async def tech_has_it() -> list[dict[str, Any]] | None:
        return keyed(await sandbox_events(google_sandbox, tech_account), f"maintenance:{maintenance['id']}") or None

    event = (await eventually(tech_has_it, what="maintenance in the technician's calendar"))[0]
    assert event["summary"].startswith("Maintenance: ") and "Hydraulic hoses" in event["description"]

    async def driver_has_it() -> list[dict[str, Any]] | None:
        return keyed(await sandbox_events(google_sandbox, driver_account), f"delivery:{delivery['id']}") or None

    stop = (await eventually(driver_has_it, what="the delivery in the driver's calendar"))[0]
    assert stop["summary"].startswith("Delivery #2:") and stop["location"] == "42 Quarry Rd, Pasadena"
    assert "+1 555 0177" in stop["description"] and "google.com/maps/search" in stop["description"]
    # nobody gets what is not theirs
    assert not keyed(await sandbox_events(google_sandbox, driver_account), f"maintenance:{maintenance['id']}")
    assert not keyed(await sandbox_events(google_sandbox, tech_account), f"booking:{booking['id']}")

    # route changes follow; a deleted maintenance window leaves the calendar
    async with httpx.AsyncClient(base_url=live_server, headers=manager) as api:
        assert (await api.patch(f"/api/v1/deliveries/{delivery['id']}", json={"route_order": 1})).status_code == 200
        assert (await api.delete(f"/api/v1/maintenance/{maintenance['id']}")).status_code == 204

    async def rerouted() -> bool:
        found = keyed(await sandbox_events(google_sandbox, driver_account), f"delivery:{delivery['id']}")
        return bool(found) and found[0]["summary"].startswith("Delivery #1:")

    await eventually(rerouted, what="the new route order")

    async def maintenance_gone() -> bool:
        return not await tech_has_it()

    await eventually(maintenance_gone, what="the deleted maintenance to leave the calendar")


async def test_staff_busy_time_from_their_calendar_fails_closed(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    tenant = await make_tenant()
    driver_id, driver_email = await make_staff(tenant, "driver")
    account = f"{tenant.slug}.busy@gmail.test"
    driver = await connect_google(live_server, await create_api_token(driver_email), account)
    await listening(driver["id"])
    start = datetime(2028, 3, 6, 9, tzinfo=LA)
    async with httpx.AsyncClient(base_url=google_sandbox) as sandbox:  # the driver's dentist appointment
        created = await sandbox.post(
            f"/_sandbox/calendars/{account}/events",
            json={
                "summary": "Dentist",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(hours=1)).isoformat()},
            },
        )
        assert created.is_success, created.text

    async def busy() -> bool:
        return bool((await staff_busy(driver_id, start, start + timedelta(hours=2))).clashes)

    await eventually(busy, what="the driver's own appointment as busy time")
    report = await staff_busy(driver_id, start, start + timedelta(hours=2))
    assert report.clashes == ["1 event(s) in their own calendar"] and not report.unknown
    assert (await staff_busy(driver_id, start + timedelta(hours=3), start + timedelta(hours=4))).free

    # the calendar can no longer be read: the driver's time is unknown, not free
    await CalendarTarget.update({CalendarTarget.read_error: "RetryableError: 503"}).where(
        (CalendarTarget.integration == driver["id"]) & (CalendarTarget.read_busy == True)  # noqa: E712
    )
    later = await staff_busy(driver_id, start + timedelta(hours=3), start + timedelta(hours=4))
    assert not later.free and not later.clashes
    assert len(later.unknown) == 1 and later.unknown[0].endswith("could not be read")
