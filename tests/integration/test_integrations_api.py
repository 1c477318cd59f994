"""The calendar_integrations API, tenant scoping, 410 recovery in the engine, and the flag policy."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from calendars.sync import inbound
from calendars.tables import CalendarIntegration, CalendarSyncLog, CalendarTarget, SyncConflict
from rental import bookings
from rental.accounts import create_api_token
from rental.schemas import BookingCreate, CustomerIn
from tests.factories import make_api_token, make_product, make_staff, make_tenant
from tests.integration.test_google_sync import listening
from tests.support.google_flow import connect_google, eventually, sandbox_events
from tests.support.worker import WorkerHandle

LA = ZoneInfo("America/Los_Angeles")


async def test_integration_endpoints(live_server: str, worker_process: WorkerHandle, google_sandbox: str) -> None:
    tenant, stranger = await make_tenant(), await make_tenant()
    staff_id, email = await make_staff(tenant, "manager")
    token = await create_api_token(email)
    headers = {"Authorization": f"Bearer {token}"}
    account = f"{tenant.slug}.api@gmail.test"
    integration = await connect_google(live_server, token, account)
    await listening(integration["id"])
    product, _ = await make_product(tenant, units=1)
    start = datetime(2028, 4, 3, 9, tzinfo=LA)
    booking = await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            customer=CustomerIn(name="Api", email="api@example.test"),
            assigned_staff_id=staff_id,
        ),
    )
    base = f"/api/v1/calendar_integrations/{integration['id']}"
    async with httpx.AsyncClient(base_url=live_server, headers=headers) as api:
        tested = (await api.post(f"{base}/test")).json()
        assert tested["ok"] is True and tested["calendars"] >= 3

        async def mapped() -> list[dict[str, Any]] | None:
            events = (await api.get(f"{base}/events")).json()
            return [e for e in events if e["item_key"] == f"booking:{booking.id}"] or None

        events = await eventually(mapped, what="the mapped event in the API")
        assert events[0]["state"] == "synced" and events[0]["calendar"]
        deliveries = next(c for c in integration["calendars"] if c["name"] == "Deliveries")
        changed = await api.patch(
            base,
            json={
                "on_remote_delete": "flag",
                "calendars": [{"id": deliveries["id"], "write_kinds": ["deliveries"], "read_busy": False}],
            },
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["on_remote_delete"] == "flag"
        assert (await api.post(f"{base}/sync")).status_code == 202
        bad = await api.patch(base, json={"calendars": [{"id": 999999, "write_kinds": ["bookings"]}]})
        assert bad.status_code == 422

        other = {"Authorization": f"Bearer {await make_api_token(stranger)}"}
        for method, path in [
            ("GET", base),
            ("POST", f"{base}/test"),
            ("GET", f"{base}/events"),
            ("POST", f"{base}/sync"),
            ("DELETE", base),
        ]:
            assert (await api.request(method, path, headers=other)).status_code == 404, (method, path)

        # flag policy: a deletion in Google is recorded for staff, not fought
        mapping = events[0]
        async with httpx.AsyncClient(base_url=google_sandbox) as sandbox:
            deleted = await sandbox.delete(f"/_sandbox/calendars/{account}/events/{mapping['external_id']}")
            assert deleted.status_code in (200, 204)

        async def flagged() -> bool:
            row = await SyncConflict.select().where(SyncConflict.item_key == f"booking:{booking.id}").first()
            return row is not None and row["kind"] == "remote_deleted"

        await eventually(flagged, what="the deletion to be flagged")
        live = [
            e
            for e in await sandbox_events(google_sandbox, account)
            if e["status"] != "cancelled"
            and e.get("extendedProperties", {}).get("private", {}).get("rentcal_key") == f"booking:{booking.id}"
        ]
        assert live == []  # not restored under the flag policy

        assert (await api.delete(base)).status_code == 204
        row = await CalendarIntegration.select().where(CalendarIntegration.id == integration["id"]).first()
        assert row is not None and row["status"] == "disconnected" and row["credentials"] == ""
        assert all(i["id"] != integration["id"] for i in (await api.get("/api/v1/calendar_integrations")).json())


async def test_stale_sync_token_leads_to_a_full_read(
    live_server: str, worker_process: WorkerHandle, google_sandbox: str
) -> None:
    tenant = await make_tenant()
    _, email = await make_staff(tenant, "technician")
    account = f"{tenant.slug}.410@gmail.test"
    integration = await connect_google(live_server, await create_api_token(email), account)
    await listening(integration["id"])
    target = (
        await CalendarTarget.select()
        .where((CalendarTarget.integration == integration["id"]) & (CalendarTarget.external_id == account))
        .first()
    )
    assert target is not None and target["sync_token"]
    async with httpx.AsyncClient(base_url=google_sandbox) as sandbox:
        assert (await sandbox.post(f"/_sandbox/calendars/{account}/invalidate_sync_tokens")).is_success
    # read now, or (when a read of the worker holds the calendar) leave it to that read, which reads again
    await inbound.sync_inbound(target["id"])

    async def resynced() -> dict[str, Any] | None:
        return await (
            CalendarSyncLog.select()
            .where((CalendarSyncLog.integration == integration["id"]) & (CalendarSyncLog.operation == "full_resync"))
            .first()
        )

    log = await eventually(resynced, what="the full read after the 410")
    assert "410" in log["detail"]
    fresh = await CalendarTarget.select().where(CalendarTarget.id == target["id"]).first()
    assert fresh is not None and fresh["sync_token"] and fresh["sync_token"] != target["sync_token"]
    assert fresh["read_error"] == ""


async def test_booking_colours_are_per_company_and_validated(live_server: str) -> None:
    tenant, other = await make_tenant(), await make_tenant()
    headers = {"Authorization": f"Bearer {await make_api_token(tenant)}"}
    async with httpx.AsyncClient(base_url=live_server, headers=headers) as api:
        initial = (await api.get("/api/v1/settings/booking_colors")).json()
        assert initial["colors"]["confirmed"] == "basil" and initial["palette"]["basil"] == "Basil"
        changed = await api.put("/api/v1/settings/booking_colors", json={"confirmed": "sage", "pending": "Flamingo"})
        assert changed.status_code == 200 and changed.json()["colors"]["confirmed"] == "sage"
        assert changed.json()["colors"]["pending"] == "flamingo"
        legacy = await api.put("/api/v1/settings/booking_colors", json={"returned": "8"})  # a Google colorId
        assert legacy.status_code == 200 and legacy.json()["colors"]["returned"] == "graphite"
        bad = await api.put("/api/v1/settings/booking_colors", json={"confirmed": "99"})
        assert bad.status_code == 422 and "lavender" in bad.json()["detail"]
        unknown = await api.put("/api/v1/settings/booking_colors", json={"lost": "2"})
        assert unknown.status_code == 422
        driver = {"Authorization": f"Bearer {await make_api_token(tenant, role='driver')}"}
        assert (
            await api.put("/api/v1/settings/booking_colors", json={"confirmed": "3"}, headers=driver)
        ).status_code == 403
        untouched = (
            await api.get(
                "/api/v1/settings/booking_colors", headers={"Authorization": f"Bearer {await make_api_token(other)}"}
            )
        ).json()
        assert untouched["colors"]["confirmed"] == "basil"
