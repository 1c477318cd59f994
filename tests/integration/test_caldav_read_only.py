"""Read-only CalDAV calendars (a calendar shared with the person read-only, as iCloud does), through the
iCloud proxy in front of a real Radicale: discovery stores whether a calendar is writable, nothing can be
routed into a read-only one (service, API 422 problem+json, portal), it stays a busy-time source, and a
calendar that becomes read-only after it was chosen (403 on a write) stops receiving items, with the reason
shown on the integration and nothing left to retry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from calendars.accounts import integrations
from calendars.schemas import CalendarSetting, IntegrationSettings
from calendars.sync import inbound, push
from calendars.tables import CalendarEvent, CalendarSyncLog, CalendarTarget, ExternalBusy
from rental.accounts import Staff, create_api_token, staff_by_id
from rental.errors import InvalidInput
from rentcal.caldav_demo import DEMO_PASSWORD
from tests.factories import make_product, make_staff, make_tenant
from tests.support.caldav_flow import api, book, connect, keys_of
from tests.support.caldav_server import Account, caldav_server, next_account_name  # noqa: F401
from tests.support.dav_proxy import DavProxy, Quirks, run_dav_proxy
from tests.support.google_flow import eventually
from tests.support.portal import signed_in

LA = ZoneInfo("America/Los_Angeles")
SHARED = "/personal/"  # the account's "Personal" calendar is shared with it read-only
LABEL = "read-only — can only be read for busy time"


@pytest.fixture
def icloud(caldav_server: str) -> Iterator[DavProxy]:  # noqa: F811
    with run_dav_proxy(caldav_server, Quirks(read_only=(SHARED,))) as proxy:
        yield proxy


@pytest.fixture
async def account(caldav_server: str) -> AsyncIterator[Account]:  # noqa: F811
    one = Account(caldav_server, next_account_name())  # talks to Radicale directly, like the person's phone
    yield one
    await one.aclose()


def by_name(calendars: list[Any], name: str) -> Any:
    return next(c for c in calendars if (c["name"] if isinstance(c, dict) else c.name) == name)


async def manager() -> tuple[Any, Staff, str]:
    tenant = await make_tenant()
    staff_id, email = await make_staff(tenant, "manager")
    staff = await staff_by_id(staff_id)
    assert staff is not None
    return tenant, staff, email


async def test_a_calendar_that_turns_read_only_stops_receiving_items_and_stays_a_busy_time_source(
    icloud: DavProxy, account: Account
) -> None:
    tenant, staff, _ = await manager()
    product, _ = await make_product(tenant, units=2)
    integration_id = await integrations.connect_caldav(tenant, staff, icloud.front_url, account.user, DEMO_PASSWORD)
    view = await integrations.get_integration(tenant, staff, integration_id)
    rentcal, personal = by_name(view.calendars, "Rentcal"), by_name(view.calendars, "Personal")
    assert personal.writable is False and personal.write_kinds == []
    assert rentcal.writable is True and rentcal.write_kinds == ["bookings"]

    # the shared calendar cannot receive anything, and nothing was changed by the refused request
    refused = IntegrationSettings(
        direction="one_way_to_external",
        calendars=[
            CalendarSetting(rentcal.id, ["bookings"], read_busy=True),
            CalendarSetting(personal.id, ["maintenance"], read_busy=True),
        ],
    )
    with pytest.raises(InvalidInput, match="“Personal” is read-only"):
        await integrations.configure(tenant, staff, integration_id, refused)
    unchanged = await integrations.get_integration(tenant, staff, integration_id)
    assert unchanged.direction == "two_way" and by_name(unchanged.calendars, "Personal").read_busy is False
    # ... but it can be read for busy time
    busy_only = [CalendarSetting(rentcal.id, ["bookings"], True), CalendarSetting(personal.id, [], True)]
    await integrations.configure(tenant, staff, integration_id, IntegrationSettings(calendars=busy_only))
    year = datetime.now(UTC).year + 1
    dentist = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Phone//EN\r\nBEGIN:VEVENT\r\nUID:dentist\r\n"
        f"DTSTAMP:20260101T000000Z\r\nDTSTART:{year}0302T090000Z\r\nDTEND:{year}0302T100000Z\r\n"
        "SUMMARY:Dentist\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    assert (await account.put(account.calendar("personal") + "dentist.ics", dentist)).is_success
    await inbound.sync_inbound(personal.id)
    busy = await ExternalBusy.select(ExternalBusy.starts_at).where(ExternalBusy.target == personal.id)
    assert [r["starts_at"] for r in busy] == [datetime(year, 3, 2, 9, tzinfo=UTC)]

    # the Rentcal calendar receives a booking, then its owner shares it with us read-only
    start = datetime.now(LA).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=3)
    first = await book(tenant, product, staff.id, start, "Before")
    await push.sync_item(f"booking:{first}")
    assert keys_of(await account.stored(account.calendar("rentcal"))) == {f"booking:{first}": 1}
    icloud.quirks.read_only = (SHARED, "/rentcal/")
    second = await book(tenant, product, staff.id, start + timedelta(days=1), "After")
    await push.sync_item(f"booking:{second}")  # the 403 is no crash

    view = await integrations.get_integration(tenant, staff, integration_id)
    stopped = by_name(view.calendars, "Rentcal")
    assert stopped.writable is False and stopped.write_kinds == [] and "read-only" in stopped.write_error
    assert stopped.read_busy is True
    due = await CalendarEvent.raw("SELECT count(*) AS n FROM sync_due WHERE target = {}", rentcal.id)
    assert due[0]["n"] == 0 and view.refused_items == 0  # not tried again and again
    logged = await CalendarSyncLog.select(CalendarSyncLog.detail).where(
        (CalendarSyncLog.integration == integration_id) & (CalendarSyncLog.outcome == "error")
    )
    assert any("403" in r["detail"] for r in logged)

    # later changes send nothing there; what was there stays; the calendar is still read
    icloud.seen.clear()
    third = await book(tenant, product, staff.id, start + timedelta(days=2), "Later")
    for key in (f"booking:{first}", f"booking:{second}", f"booking:{third}"):
        await push.sync_item(key)
    assert not [s for s in icloud.seen if s.method in ("PUT", "DELETE")]
    assert keys_of(await account.stored(account.calendar("rentcal"))) == {f"booking:{first}": 1}
    await inbound.sync_inbound(rentcal.id)  # read now, or by the session worker's run that holds the calendar

    async def read_cleanly() -> dict[str, Any] | None:
        row = (
            await CalendarTarget.select(CalendarTarget.read_error, CalendarTarget.last_read_at)
            .where(CalendarTarget.id == rentcal.id)
            .first()
        )
        return row if row is not None and row["last_read_at"] is not None else None

    assert (await eventually(read_cleanly, timeout=60, what="a read of the read-only calendar"))["read_error"] == ""

    # shared writable again: the next look at the account's calendars clears the warning
    icloud.quirks.read_only = (SHARED,)
    assert (await integrations.test_connection(tenant, staff, integration_id)).ok
    again = by_name((await integrations.get_integration(tenant, staff, integration_id)).calendars, "Rentcal")
    assert again.writable is True and again.write_error == ""


async def test_api_and_portal_show_read_only_calendars_and_refuse_routing_into_them(
    live_server: str, icloud: DavProxy, account: Account
) -> None:
    _, _, email = await manager()
    token = await create_api_token(email)
    response = await connect(live_server, token, account, server_url=icloud.front_url)
    assert response.status_code == 201, response.text
    integration = response.json()
    personal, rentcal = by_name(integration["calendars"], "Personal"), by_name(integration["calendars"], "Rentcal")
    assert personal["writable"] is False and rentcal["writable"] is True
    path = f"/api/v1/calendar_integrations/{integration['id']}"
    listed = (await api(live_server, token, "GET", "/api/v1/calendar_integrations/")).json()
    assert by_name(listed[0]["calendars"], "Personal")["writable"] is False

    body = {"calendars": [{"id": personal["id"], "write_kinds": ["deliveries"], "read_busy": True}]}
    refused = await api(live_server, token, "PATCH", path, json=body)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "“Personal” is read-only" in refused.json()["detail"]
    body = {"calendars": [{"id": personal["id"], "write_kinds": [], "read_busy": True}]}
    accepted = await api(live_server, token, "PATCH", path, json=body)
    assert accepted.status_code == 200 and by_name(accepted.json()["calendars"], "Personal")["read_busy"] is True

    schema = (await api(live_server, token, "GET", "/schema/openapi.json")).json()
    choice = schema["components"]["schemas"]["CalendarChoice"]
    assert choice["properties"]["writable"]["type"] == "boolean"

    async with signed_in(live_server, email) as portal:
        page = (await portal.get("/portal/integrations")).text
        assert LABEL in page
        assert f'name="write_{personal["id"]}_bookings"' in page
        row = page.split(f'data-calendar="{personal["id"]}"', 1)[1].split("</tr>", 1)[0]
        assert "data-read-only" not in page.split(f'data-calendar="{rentcal["id"]}"', 1)[1].split(">", 1)[0]
        assert row.count("disabled") == 3  # bookings, maintenance, deliveries
        form = {
            "calendar_ids": [str(personal["id"]), str(rentcal["id"])],
            f"write_{personal['id']}_bookings": "on",
            f"write_{rentcal['id']}_bookings": "on",
            "direction": "two_way",
            "on_remote_delete": "restore",
        }
        saved = await portal.post(f"/portal/integrations/{integration['id']}/settings", data=form)
        assert saved.status_code == 200
        assert "“Personal” is read-only for this account: Rentcal can only read busy times there." in saved.text
        assert "Saved." not in saved.text
    stored = await CalendarTarget.select(CalendarTarget.write_kinds).where(CalendarTarget.id == personal["id"]).first()
    assert stored is not None and stored["write_kinds"] in ([], "[]")
