"""CAL-107: external feeds served by a local HTTP server become availability blocks; bad ones change nothing."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from calendars.feeds import fetch, imports
from calendars.ical import FeedError
from calendars.ical_tables import FeedImport
from rental import availability
from rental.accounts import Staff, staff_by_id
from rental.errors import Forbidden, InvalidInput, NotFound
from rental.tables import AvailabilityBlock
from rental.tenants import Tenant
from tests.factories import make_product, make_staff, make_tenant
from tests.ical_integration.helpers import LA
from tests.unit.ical.test_imports import MALFORMED

HOLIDAYS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//Test//Holidays//EN\r
BEGIN:VEVENT\r
UID:christmas@holidays.test\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20201225\r
DTEND;VALUE=DATE:20201226\r
RRULE:FREQ=YEARLY\r
SUMMARY:Christmas Day\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:newyear@holidays.test\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20270101\r
SUMMARY:New Year's Day\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:old@holidays.test\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20200704\r
SUMMARY:Long ago\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:off@holidays.test\r
DTSTAMP:20260101T000000Z\r
DTSTART;VALUE=DATE:20270704\r
STATUS:CANCELLED\r
SUMMARY:Cancelled\r
END:VEVENT\r
END:VCALENDAR\r
"""


def personal(*events: tuple[str, str, str]) -> bytes:
    body = "".join(
        f"BEGIN:VEVENT\r\nUID:{u}\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Berlin:{s}\r\n"
        f"DTEND;TZID=Europe/Berlin:{e}\r\nSUMMARY:Dentist (private)\r\nEND:VEVENT\r\n"
        for u, s, e in events
    )
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//Me//EN\r\n{body}END:VCALENDAR\r\n".encode()


class FeedServer:
    """http.server in a thread; `routes[path] = (status, body, headers)`; honours If-None-Match."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.seen: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.seen.append({k.lower(): v for k, v in self.headers.items()} | {"path": self.path})
                status, body, headers = server.routes.get(self.path, (404, b"not here", {}))
                if headers.get("ETag") and self.headers.get("If-None-Match") == headers["ETag"]:
                    status, body = 304, b""
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def serve(self, path: str, body: bytes, status: int = 200, headers: dict[str, str] | None = None) -> str:
        self.routes[path] = (status, body, headers or {})
        return self.url(path)


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    feed_server = FeedServer()
    yield feed_server
    feed_server.httpd.shutdown()


async def member(tenant: Tenant, role: str) -> Staff:
    found = await staff_by_id((await make_staff(tenant, role))[0])
    assert found is not None
    return found


async def blocks(feed_id: int) -> list[tuple[datetime, datetime, str, int | None]]:
    rows = (
        await AvailabilityBlock.select()
        .where(AvailabilityBlock.source == f"feed:{feed_id}")
        .order_by(AvailabilityBlock.blocked_from)
    )
    return [(r["blocked_from"], r["blocked_until"], r["reason"], r["staff"]) for r in rows]


async def test_company_holidays_close_the_company(server: FeedServer) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    manager = await member(tenant, "manager")
    url = server.serve("/holidays.ics", HOLIDAYS, headers={"Content-Type": "text/calendar"})
    added = await imports.add_import(tenant, manager, "US holidays", url, personal=False)
    view = await imports.refresh_for(tenant, manager, added.id)
    assert view.last_error == "" and view.last_success_at is not None and view.event_count == 3
    christmas = datetime(2026, 12, 25, tzinfo=LA)
    found = await blocks(added.id)
    assert (christmas, christmas + timedelta(days=1), "Christmas Day", None) in found
    assert [reason for *_, reason, _ in found] == ["Christmas Day", "New Year's Day", "Christmas Day"]
    days = await availability.available_dates(tenant, product, date(2026, 12, 24), date(2026, 12, 26))
    assert [(d.status, d.reason) for d in days] == [
        ("available", None),
        ("closed", "Christmas Day"),
        ("available", None),
    ]
    assert view.url_display == "http://127.0.0.1/…" and "holidays" not in view.url_display


async def test_a_personal_feed_blocks_its_owner_without_titles(server: FeedServer) -> None:
    tenant = await make_tenant()
    tech, colleague, manager = [await member(tenant, r) for r in ("technician", "technician", "manager")]
    url = server.serve("/tina.ics", personal(("a@me", "20261210T090000", "20261210T100000")))
    with pytest.raises(Forbidden):
        await imports.add_import(tenant, tech, "Company?", url, personal=False)
    added = await imports.add_import(tenant, tech, "My calendar", url, personal=True)
    assert (await imports.refresh_for(tenant, tech, added.id)).event_count == 1
    assert await blocks(added.id) == [
        (datetime(2026, 12, 10, 8, tzinfo=UTC), datetime(2026, 12, 10, 9, tzinfo=UTC), "Busy (My calendar)", tech.id)
    ]
    assert [f.id for f in await imports.list_imports(tenant, colleague)] == []
    assert [f.id for f in await imports.list_imports(tenant, manager)] == [added.id]
    with pytest.raises(NotFound):
        await imports.delete_import(tenant, colleague, added.id)
    await imports.delete_import(tenant, tech, added.id)
    assert await blocks(added.id) == [] and await imports.list_imports(tenant, manager) == []


async def test_bad_feeds_keep_the_last_good_blocks(server: FeedServer) -> None:
    tenant = await make_tenant()
    manager = await member(tenant, "manager")
    url = server.serve("/flaky.ics", HOLIDAYS)
    added = await imports.add_import(tenant, manager, "Holidays", url, personal=False)
    assert await imports.refresh(added.id)
    good = await blocks(added.id)
    [before] = await FeedImport.select().where(FeedImport.id == added.id)

    failures: dict[str, tuple[int, bytes, dict[str, str]]] = {
        name: (200, data, {}) for name, (data, _) in MALFORMED.items()
    }
    failures |= {
        "HTTP 500": (500, b"oops", {}),
        "HTTP 404": (404, b"gone", {}),
        "redirect loop": (302, b"", {"Location": "/flaky.ics"}),
        "too large": (200, b"BEGIN:VCALENDAR\r\n" + b"X" * (10 * 1024 * 1024 + 10), {}),
    }
    for name, route in failures.items():
        server.routes["/flaky.ics"] = route
        assert await imports.refresh(added.id) is False, name
        [row] = await FeedImport.select().where(FeedImport.id == added.id)
        assert row["last_error"] and url not in row["last_error"] and "flaky" not in row["last_error"], name
        assert row["last_success_at"] == before["last_success_at"], name
        assert await blocks(added.id) == good, name

    server.routes.pop("/flaky.ics")
    unreachable = await imports.add_import(tenant, manager, "Down", "http://127.0.0.1:9/x.ics", personal=False)
    assert await imports.refresh(unreachable.id) is False
    [row] = await FeedImport.select().where(FeedImport.id == unreachable.id)
    assert "could not be reached" in row["last_error"]


async def test_refresh_replaces_blocks_atomically_and_uses_conditional_get(server: FeedServer) -> None:
    tenant = await make_tenant()
    tech = await member(tenant, "technician")
    server.serve(
        "/v.ics",
        personal(("a@me", "20261210T090000", "20261210T100000"), ("b@me", "20261211T090000", "20261211T100000")),
        headers={"ETag": '"v1"'},
    )
    url = server.serve("/moved.ics", b"", status=302, headers={"Location": "/v.ics"})
    added = await imports.add_import(tenant, tech, "Mine", url, personal=True)
    await asyncio.gather(imports.refresh(added.id), imports.refresh(added.id))
    assert len(await blocks(added.id)) == 2

    assert await imports.refresh(added.id)  # the server answers 304 to If-None-Match: "v1"
    assert server.seen[-1]["if-none-match"] == '"v1"' and len(await blocks(added.id)) == 2

    server.serve("/v.ics", personal(("c@me", "20261212T090000", "20261212T110000")), headers={"ETag": '"v2"'})
    assert await imports.refresh(added.id)
    assert [(s, e) for s, e, *_ in await blocks(added.id)] == [
        (datetime(2026, 12, 12, 8, tzinfo=UTC), datetime(2026, 12, 12, 10, tzinfo=UTC))
    ]
    later = datetime.now(UTC) + timedelta(hours=2)
    assert added.id in await imports.due_imports(later)
    assert added.id not in await imports.due_imports()


async def test_addresses_are_checked(server: FeedServer) -> None:
    assert fetch.normalize_url(" webcal://cal.example/x.ics ") == "https://cal.example/x.ics"
    assert fetch.normalize_url("webcals://cal.example/x.ics") == "https://cal.example/x.ics"
    for bad in ("ftp://cal.example/x.ics", "cal.example/x.ics", "https:///x.ics"):
        with pytest.raises(InvalidInput):
            fetch.normalize_url(bad)
    url = server.serve("/private.ics", HOLIDAYS)
    with pytest.raises(FeedError, match="private network"):
        await fetch.fetch(url, allow_private=False)
    assert (await fetch.fetch(url, allow_private=True)).body == HOLIDAYS
