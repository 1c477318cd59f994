"""Apple iCloud / CalDAV end to end against a real, password-checked Radicale: connect through the API,
bookings written exactly once (no ORGANIZER/ATTENDEE, alarms, colour), moves made on the server come back
or become conflicts, busy time from the person's own calendar, readable connect errors, the SSRF guard,
and exactly once for 100+ items while reads run beside the pushes."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from calendars import vault
from calendars.accounts import integrations
from calendars.accounts.caldav import caldav_client
from calendars.sync import audit, inbound, polling
from calendars.tables import CalendarIntegration, CalendarTarget, ExternalBusy, SyncConflict
from rental import bookings
from rental.accounts import create_api_token
from rental.errors import InvalidInput
from rental.schemas import BookingCreate, CustomerIn
from rental.tables import Booking
from rental.tenants import Tenant
from rentcal.caldav_demo import DEMO_PASSWORD
from rentcal.settings import get_settings
from tasks.schedule import PERIODIC
from tasks.sync import schedule_polled_reads
from tests.factories import make_product, make_staff, make_tenant
from tests.support.caldav_server import ACCOUNTS, Account, caldav_server  # noqa: F401
from tests.support.google_flow import eventually
from tests.support.worker import WorkerHandle

LA = ZoneInfo("America/Los_Angeles")
_accounts = iter(sorted(ACCOUNTS))


@pytest.fixture
async def account(caldav_server: str) -> AsyncIterator[Account]:  # noqa: F811
    one = Account(caldav_server, next(_accounts))
    yield one
    await one.aclose()


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


async def connect(live_server: str, token: str, account: Account, password: str = DEMO_PASSWORD) -> httpx.Response:
    body = {"server_url": account.base_url, "username": account.user, "password": password}
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


async def last_read(target_id: int) -> bool:
    row = await CalendarTarget.select(CalendarTarget.last_read_at).where(CalendarTarget.id == target_id).first()
    return row is not None and row["last_read_at"] is not None


def keys_of(stored: list[Any]) -> Counter[str]:
    return Counter(str(s.vevent.get("X-RENTCAL-KEY")) for s in stored if s.vevent.get("X-RENTCAL-KEY"))


async def test_connect_pushes_once_and_moves_on_the_server_come_back_or_conflict(
    live_server: str, worker_process: WorkerHandle, account: Account
) -> None:
    tenant = await make_tenant()
    manager_id, manager_email = await make_staff(tenant, "manager")
    product, _ = await make_product(tenant, units=1)
    first = datetime.now(LA).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=3)
    ids = [await book(tenant, product, manager_id, first + timedelta(days=2 * i), f"Cust {i}") for i in range(3)]
    token = await create_api_token(manager_email)

    response = await connect(live_server, token, account)
    assert response.status_code == 201, response.text
    integration = response.json()
    assert integration["provider"] == "caldav" and integration["account_email"] == account.user
    assert integration["live_updates"] is False and integration["read_every_minutes"] == 5
    assert sorted(c["name"] for c in integration["calendars"]) == ["Personal", "Rentcal"]
    target = written_to(integration)  # the first writable calendar stands for the primary one
    assert target["write_kinds"] == ["bookings"] and target["read_busy"] is True
    row = await CalendarIntegration.select().where(CalendarIntegration.id == integration["id"]).first()
    assert row is not None and DEMO_PASSWORD not in row["credentials"]
    assert vault.open_password(row["credentials"]).password == DEMO_PASSWORD

    expected = {f"booking:{i}" for i in ids}
    await eventually(lambda: full_sync_done(integration["id"]), timeout=120, what="the first full sync")
    # no push: its calendars are among those read every RENTCAL_CALDAV_POLL_MINUTES, and read when that job runs
    assert target["id"] in await polling.polled_targets()
    assert (get_settings().caldav.poll_minutes * 60, schedule_polled_reads) in PERIODIC
    await CalendarTarget.update({CalendarTarget.last_read_at: None}).where(CalendarTarget.id == target["id"])
    await schedule_polled_reads()
    await eventually(lambda: last_read(target["id"]), timeout=60, what="the periodic read of the CalDAV calendar")

    async def all_there() -> list[Any] | None:
        stored = await account.stored(target["external_id"])
        return stored if set(keys_of(stored)) == expected else None

    stored = await eventually(all_there, timeout=60, what="every booking in the CalDAV calendar")
    assert max(keys_of(stored).values()) == 1
    for one in stored:
        text = one.ics.decode()
        assert "ORGANIZER" not in text and "ATTENDEE" not in text
        assert "BEGIN:VALARM" in text and one.vevent.get("COLOR")
        assert str(one.vevent.get("X-RENTCAL-ORIGIN")) == str(target["id"])

    # another CalDAV client moves booking 0 a day later: after a read the booking has moved
    by_key = {str(s.vevent.get("X-RENTCAL-KEY")): s for s in stored}
    moved = by_key[f"booking:{ids[0]}"]
    new_start = first + timedelta(days=1, hours=1)
    changed = shifted(moved.ics, new_start, new_start + timedelta(hours=20))
    assert (await account.put(moved.url, changed, etag=moved.etag)).status_code in (200, 201, 204)
    await inbound.sync_inbound(target["id"])
    row = await Booking.select(Booking.starts_at, Booking.ends_at).where(Booking.id == ids[0]).first()
    assert row is not None and row["starts_at"] == new_start.astimezone(UTC)

    # a move onto booking 2's time on the only unit is refused: flagged, and the calendar is put back
    clash = by_key[f"booking:{ids[1]}"]
    current = next(s for s in await account.stored(target["external_id"]) if s.url == clash.url)
    onto = first + timedelta(days=4)
    assert (
        await account.put(clash.url, shifted(current.ics, onto, onto + timedelta(hours=20)), etag=current.etag)
    ).is_success
    await inbound.sync_inbound(target["id"])
    conflict = await SyncConflict.select().where(SyncConflict.item_key == f"booking:{ids[1]}").first()
    assert conflict is not None and conflict["kind"] == "move_refused"
    back = next(s for s in await account.stored(target["external_id"]) if s.url == clash.url)
    original = first + timedelta(days=2)
    assert back.vevent.decoded("DTSTART").astimezone(UTC) == original.astimezone(UTC)
    assert Counter(keys_of(await account.stored(target["external_id"]))) == Counter(expected)


def shifted(ics: bytes, start: datetime, end: datetime) -> bytes:
    """The stored object with new times, as a phone would save it (UTC times, a new SEQUENCE)."""
    from icalendar import Calendar

    calendar = Calendar.from_ical(ics)
    for event in calendar.walk("VEVENT"):
        for name, value in (("DTSTART", start), ("DTEND", end)):
            del event[name]
            event.add(name, value.astimezone(UTC))
        event["SEQUENCE"] = int(event.get("SEQUENCE", 0)) + 1
    return bytes(calendar.to_ical())


FOREIGN = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Phone//EN\r
BEGIN:VEVENT\r
UID:{uid}\r
DTSTAMP:20260101T000000Z\r
{body}\r
SUMMARY:{uid}\r
END:VEVENT\r
{extra}END:VCALENDAR\r
"""


def foreign(uid: str, body: str, extra: str = "") -> bytes:
    return FOREIGN.format(uid=uid, body=body.replace("\n", "\r\n"), extra=extra).encode()


async def test_busy_time_of_the_persons_own_calendar(
    live_server: str, worker_process: WorkerHandle, account: Account
) -> None:
    tenant = await make_tenant("Europe/Berlin")
    driver_id, driver_email = await make_staff(tenant, "driver")
    response = await connect(live_server, await create_api_token(driver_email), account)
    assert response.status_code == 201, response.text
    target = written_to(response.json())  # read_busy on the primary-ish calendar
    year = datetime.now(UTC).year + 1
    calendar = target["external_id"]
    series_start = f"{year}0302T090000"
    cases = {
        # weekly, 4 times; the 2nd removed (EXDATE), the 3rd cancelled (override)
        "series": foreign(
            "series",
            f"DTSTART;TZID=Europe/Berlin:{series_start}\nDTEND;TZID=Europe/Berlin:{year}0302T100000\n"
            f"RRULE:FREQ=WEEKLY;COUNT=4\nEXDATE;TZID=Europe/Berlin:{year}0309T090000",
            "BEGIN:VEVENT\r\nUID:series\r\nDTSTAMP:20260101T000000Z\r\n"
            f"RECURRENCE-ID;TZID=Europe/Berlin:{year}0316T090000\r\n"
            f"DTSTART;TZID=Europe/Berlin:{year}0316T090000\r\nDTEND;TZID=Europe/Berlin:{year}0316T100000\r\n"
            "STATUS:CANCELLED\r\nEND:VEVENT\r\n",
        ),
        "holiday": foreign("holiday", f"DTSTART;VALUE=DATE:{year}0803\nDTEND;VALUE=DATE:{year}0805"),
        "free": foreign("free", f"DTSTART:{year}0702T070000Z\nDTEND:{year}0702T080000Z\nTRANSP:TRANSPARENT"),
        "off": foreign("off", f"DTSTART:{year}0703T070000Z\nDTEND:{year}0703T080000Z\nSTATUS:CANCELLED"),
    }
    await eventually(lambda: full_sync_done(response.json()["id"]), timeout=120, what="the first full sync")
    for name, body in cases.items():
        assert (await account.put(f"{calendar}{name}.ics", body)).is_success
    await inbound.sync_inbound(target["id"])
    rows = await ExternalBusy.select(ExternalBusy.external_id, ExternalBusy.starts_at, ExternalBusy.ends_at).where(
        ExternalBusy.staff == driver_id
    )
    berlin = ZoneInfo("Europe/Berlin")
    busy = sorted((r["starts_at"].astimezone(berlin), r["ends_at"].astimezone(berlin)) for r in rows)
    assert busy == [
        (datetime(year, 3, 2, 9, tzinfo=berlin), datetime(year, 3, 2, 10, tzinfo=berlin)),
        (datetime(year, 3, 23, 9, tzinfo=berlin), datetime(year, 3, 23, 10, tzinfo=berlin)),
        (datetime(year, 8, 3, tzinfo=berlin), datetime(year, 8, 5, tzinfo=berlin)),  # all-day: local midnights
    ]
    # the series changes on the phone (now 2 occurrences): its removed occurrences stop being busy
    stored = {s.url.rsplit("/", 1)[-1]: s for s in await account.stored(calendar)}
    shorter = stored["series.ics"].ics.replace(b"COUNT=4", b"COUNT=1")
    assert (await account.put(stored["series.ics"].url, shorter, etag=stored["series.ics"].etag)).is_success
    await inbound.sync_inbound(target["id"])
    rows = await ExternalBusy.select(ExternalBusy.starts_at).where(ExternalBusy.staff == driver_id)
    assert sorted(r["starts_at"].astimezone(berlin).date() for r in rows) == [date(year, 3, 2), date(year, 8, 3)]


async def test_connect_errors_are_readable(live_server: str, account: Account) -> None:
    tenant = await make_tenant()
    _, email = await make_staff(tenant, "technician")
    token = await create_api_token(email)
    wrong = await connect(live_server, token, account, password="not-the-password")
    assert wrong.status_code == 422 and wrong.headers["content-type"].startswith("application/problem+json")
    assert "refused the user name or password" in wrong.json()["detail"]
    assert "app-specific password" in wrong.json()["detail"]
    body = {"server_url": "http://127.0.0.1:9", "username": account.user, "password": DEMO_PASSWORD}
    unreachable = await api(live_server, token, "POST", "/api/v1/calendar_integrations/caldav", json=body)
    assert unreachable.status_code == 422 and "Could not reach the CalDAV server" in unreachable.json()["detail"]
    body = {"server_url": f"{live_server}/health", "username": account.user, "password": DEMO_PASSWORD}
    not_caldav = await api(live_server, token, "POST", "/api/v1/calendar_integrations/caldav", json=body)
    assert not_caldav.status_code == 422 and "does not answer as a CalDAV" in not_caldav.json()["detail"]
    missing = await api(live_server, token, "POST", "/api/v1/calendar_integrations/caldav", json={"username": "x"})
    assert missing.status_code == 422 and "server_url" in missing.text  # the schema names what is missing
    assert (await api(live_server, token, "GET", "/api/v1/calendar_integrations/")).json() == []


async def test_a_private_address_is_refused_when_the_guard_is_on(
    account: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = await make_tenant()
    staff_id, _ = await make_staff(tenant, "manager")
    from rental.accounts import staff_by_id

    staff = await staff_by_id(staff_id)
    assert staff is not None
    monkeypatch.setenv("RENTCAL_ALLOW_PRIVATE_FETCH", "0")
    get_settings.cache_clear()
    try:
        assert not get_settings().allow_private_fetch
        with pytest.raises(InvalidInput, match="private network"):
            await integrations.connect_caldav(tenant, staff, account.base_url, account.user, DEMO_PASSWORD)
        assert caldav_client() is not None
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert await CalendarIntegration.count().where(CalendarIntegration.company == tenant.id) == 0


async def test_reconnect_updates_the_password_and_disconnect_deletes_it(account: Account) -> None:
    tenant = await make_tenant()
    staff_id, _ = await make_staff(tenant, "manager")
    from rental.accounts import staff_by_id

    staff = await staff_by_id(staff_id)
    assert staff is not None
    first = await integrations.connect_caldav(tenant, staff, account.base_url, account.user, DEMO_PASSWORD)
    await CalendarIntegration.update({CalendarIntegration.status: "needs_reconnect"}).where(
        CalendarIntegration.id == first
    )
    again = await integrations.connect_caldav(tenant, staff, account.base_url + "/", account.user, DEMO_PASSWORD)
    assert again == first
    view = await integrations.get_integration(tenant, staff, first)
    assert view.status == "active" and len(view.calendars) == 2  # the calendars are not listed twice
    await integrations.disconnect(tenant, staff, first)
    row = await CalendarIntegration.select().where(CalendarIntegration.id == first).first()
    assert row is not None and row["status"] == "disconnected" and row["credentials"] == ""


async def test_exactly_once_for_a_hundred_items_while_reads_run_beside_the_pushes(
    live_server: str, worker_process: WorkerHandle, account: Account
) -> None:
    tenant = await make_tenant()
    manager_id, manager_email = await make_staff(tenant, "manager")
    product, _ = await make_product(tenant, units=2)
    first = datetime.now(LA).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=2)
    ids = [await book(tenant, product, manager_id, first + timedelta(days=i // 2), f"Cust {i}") for i in range(104)]
    token = await create_api_token(manager_email)

    async def more_bookings_during_the_connect() -> list[int]:
        await asyncio.sleep(0.5)
        start = first + timedelta(days=80)
        return [await book(tenant, product, manager_id, start + timedelta(days=i), f"Late {i}") for i in range(8)]

    response, late = await asyncio.gather(connect(live_server, token, account), more_bookings_during_the_connect())
    assert response.status_code == 201, response.text
    integration = response.json()
    target = written_to(integration)
    expected = {f"booking:{i}" for i in ids + late}

    async def read_while_pushing() -> None:
        # reads (full and incremental) run beside the pushes of the full sync: the listing-start rule
        # keeps events written while a listing runs from being taken as deleted and written again
        while not await full_sync_done(integration["id"]):
            await inbound.sync_inbound(target["id"])
            await asyncio.sleep(0.1)

    await asyncio.wait_for(read_while_pushing(), timeout=300)

    async def exactly_once() -> bool:
        counts = keys_of(await account.stored(target["external_id"]))
        return set(counts) == expected and max(counts.values()) == 1

    await eventually(exactly_once, timeout=180, what="every booking exactly once")
    for _ in range(3):
        await inbound.sync_inbound(target["id"])
    counts = keys_of(await account.stored(target["external_id"]))
    assert set(counts) == expected and max(counts.values()) == 1
    report = await audit.audit_integration(integration["id"])
    assert report.problems == 0, report
