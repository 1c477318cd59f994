"""The CalDAV adapter against a real Radicale (password-checked demo accounts): the shared contract plus
what is CalDAV's own (discovery, If-None-Match/If-Match, sync-collection and ctag reads, remote busy time).

Faults are injected by an httpx transport in front of the real server (like ``Interfering`` in the Google
contract): the server always does the real work, the transport only loses or alters what we hear back.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from defusedxml import ElementTree as SafeET
from icalendar import Calendar

from calendars.ical.vevent import uid_for
from calendars.providers import caldav_xml as dav
from calendars.providers.base import (
    CalendarProvider,
    EventData,
    EventExists,
    FullSyncRequired,
    NeedsReconnect,
    Reminder,
    RequestRejected,
    RetryableError,
)
from calendars.providers.caldav import CaldavProvider, NotCaldavServer, ServerUnreachable, WrongCredentials
from calendars.providers.caldav_model import (
    CaldavRemoteEvent,
    PasswordGrant,
    content_hash_of,
    event_id_of,
    event_url,
)
from rentcal.caldav_demo import DEMO_ACCOUNTS, DEMO_PASSWORD, make_calendar, run_caldav_server
from tests.contract.provider_contract import (
    BASE_START,
    ZONE,
    ExpireSyncTokens,
    ProviderContract,
    RemoteMutation,
    Throttled,
    sample_event,
)

USER = "driver@demo.test"
OTHER = "tech@demo.test"
FAST: dict[str, Any] = {"backoff_base": 0.01, "backoff_max": 0.05}
WINDOW = (datetime(2030, 1, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC))


@dataclass
class Server:
    url: str
    storage: Path


@pytest.fixture(scope="module")
def caldav() -> Iterator[Server]:
    storage = Path(__import__("tempfile").mkdtemp(prefix="caldav-contract-"))
    try:
        with run_caldav_server(storage) as url:
            yield Server(url, storage)
    finally:
        shutil.rmtree(storage, ignore_errors=True)


# ---- a fault-injecting transport in front of the real server --------------------------------------------


@dataclass
class Rule:
    method: str
    match: str  # part of the path, or of the request body for REPORTs
    action: str  # "refuse" | "lose reply" | "strip etag" | "hide sync" | "status <code> <retry-after>"
    times: int = 1


@dataclass
class Faulty(httpx.AsyncBaseTransport):
    rules: list[Rule] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    inner: httpx.AsyncHTTPTransport = field(default_factory=httpx.AsyncHTTPTransport)

    def _rule(self, request: httpx.Request) -> Rule | None:
        for rule in self.rules:
            text = request.url.path + request.content.decode(errors="replace")
            if rule.times and rule.method == request.method and rule.match in text:
                rule.times -= 1
                return rule
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await request.aread()
        self.seen.append(f"{request.method} {request.url.path}")
        rule = self._rule(request)
        if rule is None:
            return await self.inner.handle_async_request(request)
        if rule.action == "refuse":
            raise httpx.ConnectError("injected: connection refused", request=request)
        if rule.action.startswith("status"):
            _, code, retry_after = rule.action.split()
            return httpx.Response(int(code), headers={"Retry-After": retry_after}, request=request)
        response = await self.inner.handle_async_request(request)  # the server does the work...
        body = await response.aread()
        await response.aclose()
        if rule.action == "lose reply":
            raise httpx.ReadTimeout("injected: reply lost", request=request)  # ...but we never hear back
        headers = [
            (k, v)
            for k, v in response.headers.items()
            if k.lower() not in ("etag", "content-length", "content-encoding")
        ]
        if rule.action == "hide sync":  # a server without RFC 6578: no DAV:sync-token, no sync-collection
            rule.times += 1
            body = _without_sync_token(body)
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)


def _without_sync_token(body: bytes) -> bytes:
    root = SafeET.fromstring(body)
    for prop in root.iter(dav.q(dav.DAV, "prop")):
        for token in prop.findall(dav.SYNC_TOKEN):
            prop.remove(token)
    return bytes(SafeET.tostring(root))


class _Fixed(BaseHTTPRequestHandler):
    """A real HTTP server for discovery tests: redirect everything to ``target``, or answer like a web site."""

    target = ""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.target:
            self.send_response(301)
            self.send_header("Location", self.target + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        page = b"<html><body>Welcome to our shop</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    do_GET = do_PROPFIND = do_REPORT = do_PUT = _answer

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def plain_server() -> Iterator[Callable[[str], str]]:
    servers: list[ThreadingHTTPServer] = []

    def start(target: str) -> str:
        handler = type("Handler", (_Fixed,), {"target": target})
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# ---- the contract, wired to Radicale ------------------------------------------------------------------


class TestCaldavProvider(ProviderContract):
    @pytest.fixture
    async def api(self) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(timeout=10) as client:
            yield client

    @pytest.fixture
    async def raw(self, caldav: Server) -> AsyncIterator[httpx.AsyncClient]:
        """Another CalDAV client, acting as the person in their own calendar app."""
        async with httpx.AsyncClient(base_url=caldav.url, auth=(USER, DEMO_PASSWORD), timeout=10) as client:
            yield client

    @pytest.fixture
    def make_provider(self, caldav: Server, api: httpx.AsyncClient) -> Callable[..., CaldavProvider]:
        def make(**options: Any) -> CaldavProvider:
            settings: dict[str, Any] = {"max_attempts": 4, "zone": ZONE, **FAST, **options}
            client = settings.pop("client", api)
            grant = settings.pop("grant", PasswordGrant(caldav.url, USER, DEMO_PASSWORD))
            return CaldavProvider(grant, client, **settings)

        return make

    @pytest.fixture
    def provider(self, make_provider: Callable[..., CaldavProvider]) -> CaldavProvider:
        return make_provider()

    @pytest.fixture
    def throttled_once(self, make_provider: Callable[..., CaldavProvider]) -> Throttled:
        @asynccontextmanager
        async def throttled(seconds: int) -> AsyncIterator[CalendarProvider]:
            transport = Faulty([Rule("PUT", ".ics", f"status 503 {seconds}")])
            async with httpx.AsyncClient(transport=transport, timeout=10) as busy:
                yield make_provider(client=busy, max_wait=1)

        return throttled

    @pytest.fixture
    def revoked_provider(self, caldav: Server, make_provider: Callable[..., CaldavProvider]) -> CalendarProvider:
        """The person withdrew the app-specific password (iCloud: Sign-In and Security)."""
        return make_provider(grant=PasswordGrant(caldav.url, USER, "withdrawn-app-password"))

    @pytest.fixture
    def calendar_id(self, caldav: Server) -> str:
        slug = f"cal-{uuid.uuid4().hex[:12]}"
        with httpx.Client(base_url=caldav.url, auth=(USER, DEMO_PASSWORD), timeout=10) as client:
            make_calendar(client, f"/{USER}/{slug}/", f"Contract {slug}", "#F4511EFF")
        return f"{caldav.url}/{quote(USER)}/{slug}/"

    @pytest.fixture
    def event_id_for(self) -> Callable[[str], str]:
        return uid_for

    @pytest.fixture
    def webhook_url(self) -> str:
        return "http://127.0.0.1:9/hooks/caldav"  # CalDAV has no push: the capability check skips those tests

    @pytest.fixture
    def mutate_remotely(self, api: httpx.AsyncClient) -> RemoteMutation:
        async def mutate(
            calendar_id: str,
            event_id: str,
            *,
            summary: str | None = None,
            starts_at: datetime | None = None,
            ends_at: datetime | None = None,
            delete: bool = False,
        ) -> None:
            url = event_url(calendar_id, event_id)
            auth = (USER, DEMO_PASSWORD)
            if delete:
                assert (await api.delete(url, auth=auth)).status_code in (200, 204)
                return
            calendar = Calendar.from_ical((await api.get(url, auth=auth)).content)
            vevent: Any = calendar.walk("VEVENT")[0]
            for name, value in (("SUMMARY", summary), ("DTSTART", starts_at), ("DTEND", ends_at)):
                if value is not None:
                    vevent.pop(name)
                    vevent.add(name, value)
            response = await api.put(url, content=calendar.to_ical(), auth=auth)
            assert response.status_code in (201, 204), response.text

        return mutate

    @pytest.fixture
    def expire_sync_tokens(self, caldav: Server, raw: httpx.AsyncClient) -> ExpireSyncTokens:
        """Radicale forgets every stored token state of the calendar, and the calendar moves on meanwhile."""

        async def expire(calendar_id: str) -> None:
            slug = calendar_id.rstrip("/").rsplit("/", 1)[-1]
            folders = [p for p in caldav.storage.rglob("sync-token") if slug in p.parts]
            assert folders
            for folder in folders:
                shutil.rmtree(folder)
            await put_raw(raw, calendar_id, "foreign-after-expiry.ics", foreign("x", "DTSTART:20300702T070000Z"))

        return expire

    # ---- discovery and calendars --------------------------------------------------------------------

    async def test_discovery_from_a_bare_server_url(self, make_provider: Callable[..., CaldavProvider]) -> None:
        provider = make_provider()
        found = await provider.discover()
        assert found.principal_url.endswith(f"/{quote(USER)}/")
        assert found.addresses == frozenset({USER})
        calendars = {c.name: c for c in await provider.list_calendars()}
        assert {"Rentcal", "Personal"} <= set(calendars)
        assert calendars["Rentcal"].color == "#1E88E5" and calendars["Personal"].color == "#43A047"
        assert all(c.writable and not c.primary for c in calendars.values())

    async def test_discovery_follows_a_redirect_to_another_host(
        self, caldav: Server, make_provider: Callable[..., CaldavProvider], plain_server: Callable[[str], str]
    ) -> None:
        front = plain_server(caldav.url)  # like caldav.icloud.com sending each account to its pNN host
        provider = make_provider(grant=PasswordGrant(front, USER, DEMO_PASSWORD))
        found = await provider.discover()
        assert found.principal_url.startswith(caldav.url)
        assert "Rentcal" in {c.name for c in await provider.list_calendars()}

    async def test_wrong_password_is_a_clear_reconnect(
        self, caldav: Server, make_provider: Callable[..., CaldavProvider]
    ) -> None:
        provider = make_provider(grant=PasswordGrant(caldav.url, USER, "not-the-password"))
        with pytest.raises(WrongCredentials, match="user name or password") as raised:
            await provider.list_calendars()
        assert isinstance(raised.value, NeedsReconnect)
        assert "not-the-password" not in str(raised.value)

    async def test_unreachable_server_is_a_clear_retryable_error(
        self, make_provider: Callable[..., CaldavProvider]
    ) -> None:
        provider = make_provider(grant=PasswordGrant("http://127.0.0.1:9", USER, "x"), max_attempts=2)
        with pytest.raises(ServerUnreachable, match=r"Could not reach the CalDAV server 127\.0\.0\.1:9") as raised:
            await provider.list_calendars()
        assert isinstance(raised.value, RetryableError)

    async def test_a_web_site_is_not_a_caldav_server(
        self, make_provider: Callable[..., CaldavProvider], plain_server: Callable[[str], str]
    ) -> None:
        provider = make_provider(grant=PasswordGrant(plain_server(""), USER, "x"))
        with pytest.raises(NotCaldavServer, match="does not answer as a CalDAV server"):
            await provider.list_calendars()

    async def test_every_demo_account_has_its_calendars(self, caldav: Server, api: httpx.AsyncClient) -> None:
        for user in DEMO_ACCOUNTS:
            provider = CaldavProvider(PasswordGrant(caldav.url, user, DEMO_PASSWORD), api)
            assert {"Rentcal", "Personal"} <= {c.name for c in await provider.list_calendars()}

    async def test_someone_elses_calendar_refuses_writes(
        self, caldav: Server, make_provider: Callable[..., CaldavProvider], key: str
    ) -> None:
        theirs = f"{caldav.url}/{quote(OTHER)}/rentcal/"
        with pytest.raises(RequestRejected, match="403"):
            await make_provider().create_with_id(theirs, uid_for(key), sample_event(key))

    # ---- writes: idempotency, preconditions, etags ---------------------------------------------------

    async def test_lost_reply_to_a_create_still_creates_once(
        self, make_provider: Callable[..., CaldavProvider], calendar_id: str, key: str
    ) -> None:
        transport = Faulty([Rule("PUT", ".ics", "lose reply")])
        async with httpx.AsyncClient(transport=transport, timeout=10) as flaky:
            created = await make_provider(client=flaky).create_with_id(calendar_id, uid_for(key), sample_event(key))
        # the create, its retry (412: ours, adopted), and the adopted event brought up to date
        assert [s for s in transport.seen if s.startswith("PUT")] == [f"PUT {event_url_path(calendar_id, key)}"] * 3
        listing = (await make_provider().list_changes(calendar_id, None)).events
        assert [(e.id, e.key, e.etag) for e in listing] == [(created.id, key, created.etag)]

    async def test_retried_create_of_someone_elses_event_is_still_a_conflict(
        self, make_provider: Callable[..., CaldavProvider], calendar_id: str, key: str
    ) -> None:
        await make_provider().create_with_id(calendar_id, uid_for(key), sample_event("booking:someone-else"))
        async with httpx.AsyncClient(transport=Faulty([Rule("PUT", ".ics", "refuse")]), timeout=10) as flaky:
            with pytest.raises(EventExists):
                await make_provider(client=flaky).create_with_id(calendar_id, uid_for(key), sample_event(key))

    async def test_v2_create_with_the_same_idempotency_key_gives_one_event(
        self, provider: CaldavProvider, calendar_id: str, key: str
    ) -> None:
        first = await provider.create_event(calendar_id, sample_event(key), idempotency_key=f"7:{key}:0")
        again = await provider.create_event(calendar_id, sample_event(key), idempotency_key=f"7:{key}:0")
        assert first.id == again.id == uid_for(f"7:{key}:0")
        assert len((await provider.list_changes(calendar_id, None)).events) == 1
        other = sample_event("booking:other")
        with pytest.raises(EventExists):
            await provider.create_event(calendar_id, other, idempotency_key=f"7:{key}:0")

    async def test_put_without_etag_in_the_reply_reads_it_back(
        self, make_provider: Callable[..., CaldavProvider], calendar_id: str, key: str
    ) -> None:
        transport = Faulty([Rule("PUT", ".ics", "strip etag", times=2)])
        async with httpx.AsyncClient(transport=transport, timeout=10) as stripping:
            provider = make_provider(client=stripping)
            created = await provider.create_with_id(calendar_id, uid_for(key), sample_event(key))
            moved = sample_event(key, starts_at=BASE_START + timedelta(hours=1))
            updated = await provider.update_event(calendar_id, created.id, moved, etag=created.etag)
        assert transport.seen.count(f"GET {event_url_path(calendar_id, key)}") == 2
        assert created.etag and updated.etag and updated.etag != created.etag
        (listed_event,) = (await make_provider().list_changes(calendar_id, None)).events
        assert listed_event.etag == updated.etag

    @pytest.mark.parametrize("code", ["429", "503"])
    async def test_busy_server_is_retried_after_its_retry_after(
        self, make_provider: Callable[..., CaldavProvider], calendar_id: str, key: str, code: str
    ) -> None:
        transport = Faulty([Rule("PUT", ".ics", f"status {code} 0")])
        async with httpx.AsyncClient(transport=transport, timeout=10) as busy:
            created = await make_provider(client=busy).create_with_id(calendar_id, uid_for(key), sample_event(key))
        assert created.key == key
        assert len([s for s in transport.seen if s.startswith("PUT")]) == 2

    # ---- what we write, read back ----------------------------------------------------------------------

    async def test_storage_object_reminders_colour_and_no_attendees(
        self, provider: CaldavProvider, raw: httpx.AsyncClient, calendar_id: str, key: str
    ) -> None:
        created = await provider.create_with_id(calendar_id, uid_for(key), sample_event(key))
        stored = (await raw.get(event_url(calendar_id, created.id))).content
        vevent: Any = Calendar.from_ical(stored).walk("VEVENT")[0]
        assert "ORGANIZER" not in vevent and "ATTENDEE" not in vevent
        assert str(vevent["COLOR"]) == "gold" and str(vevent["X-RENTCAL-KEY"]) == key
        assert [a["TRIGGER"].dt for a in vevent.walk("VALARM")] == [timedelta(minutes=-30), timedelta(days=-1)]
        for remote in (created, await provider.get_event(calendar_id, created.id)):
            assert isinstance(remote, CaldavRemoteEvent)
            assert remote.color == "banana"
            assert remote.reminders == (Reminder("popup", 30), Reminder("email", 24 * 60))
            assert remote.busy and not remote.deleted
            assert remote.content_hash == content_hash_of(sample_event(key))
        assert content_hash_of(sample_event(key, summary="Other")) != created.content_hash

    async def test_special_characters_round_trip(self, provider: CaldavProvider, calendar_id: str) -> None:
        text = 'Bagger; "Müller", a\\b\nZeile 2 — 🚜 挖掘机 <&> ' + "ü" * 80
        key = f"booking:{text}"
        event = EventData(
            summary=text, starts_at=BASE_START, ends_at=BASE_START + timedelta(hours=1), timezone=ZONE,
            description=text, location=text, key=key,
        )  # fmt: skip
        created = await provider.create_with_id(calendar_id, uid_for(key), event)
        (listed_event,) = (await provider.list_changes(calendar_id, None)).events
        for remote in (created, await provider.get_event(calendar_id, created.id), listed_event):
            assert (remote.summary, remote.key) == (text, key)

    async def test_foreign_resource_names_map_both_ways(
        self, provider: CaldavProvider, raw: httpx.AsyncClient, calendar_id: str
    ) -> None:
        names = ["Lunch with Zoë & Co @ noon.ics", "no-extension", "~tilde.ics"]
        for index, name in enumerate(names):
            await put_raw(raw, calendar_id, quote(name), foreign(f"f{index}", "DTSTART:20300702T070000Z"))
        ids = {e.id for e in (await provider.list_changes(calendar_id, None)).events}
        assert ids == {"Lunch with Zoë & Co @ noon", "~no-extension", "~~tilde.ics"}
        for event_id in ids:
            assert event_id_of(event_url(calendar_id, event_id)) == event_id
            assert (await provider.get_event(calendar_id, event_id)).id == event_id

    async def test_dst_in_30_zones_round_trips_through_the_server(
        self, provider: CaldavProvider, calendar_id: str
    ) -> None:
        from tests.unit.ical.test_vevent import ZONES

        wanted: dict[str, datetime] = {}
        for zone in ZONES:
            tz = ZoneInfo(zone)
            for label, day in (("spring", date(2030, 3, 31)), ("autumn", date(2030, 10, 27))):
                start = datetime(day.year, day.month, day.day, 0, 30, tzinfo=tz).astimezone(UTC)
                key = f"booking:{zone}:{label}"
                event = EventData("DST", start, start + timedelta(hours=4), zone, key=key)
                await provider.create_with_id(calendar_id, uid_for(key), event)
                wanted[uid_for(key)] = start
        listing = (await provider.list_changes(calendar_id, None)).events
        assert {e.id: e.starts_at for e in listing} == wanted
        assert all(e.ends_at == wanted[e.id] + timedelta(hours=4) for e in listing)

    # ---- reading: cursors ------------------------------------------------------------------------------

    async def test_invalid_or_unknown_cursor_requires_a_full_read(
        self, provider: CaldavProvider, calendar_id: str
    ) -> None:
        for cursor in ("sync:http://radicale.org/ns/sync/" + "0" * 64, "sync:garbage", "ctag:%%%", "v0:whatever"):
            with pytest.raises(FullSyncRequired):
                await provider.list_changes(calendar_id, cursor)
        assert (await provider.list_changes(calendar_id, None)).full

    async def test_without_sync_collection_ctag_and_etags_find_the_changes(
        self,
        make_provider: Callable[..., CaldavProvider],
        calendar_id: str,
        mutate_remotely: RemoteMutation,
    ) -> None:
        transport = Faulty([Rule("PROPFIND", "", "hide sync"), Rule("REPORT", "sync-collection", "status 501 0", 99)])
        async with httpx.AsyncClient(transport=transport, timeout=10) as old_server:
            provider = make_provider(client=old_server)
            keys = [f"booking:{uuid.uuid4().hex}" for _ in range(3)]
            for index, k in enumerate(keys):
                await provider.create_with_id(
                    calendar_id, uid_for(k), sample_event(k, starts_at=BASE_START + timedelta(days=index))
                )
            full = await provider.list_changes(calendar_id, None)
            assert full.full and full.next_sync_token and full.next_sync_token.startswith("ctag:")
            assert {e.key for e in full.events} == set(keys)
            transport.seen.clear()
            quiet = await provider.list_changes(calendar_id, full.next_sync_token)
            assert quiet.events == [] and not quiet.full
            assert [s.split()[0] for s in transport.seen] == ["PROPFIND"]  # the ctag alone says "nothing new"
            await mutate_remotely(calendar_id, uid_for(keys[0]), summary="Moved by a person")
            await mutate_remotely(calendar_id, uid_for(keys[1]), delete=True)
            delta = await provider.list_changes(calendar_id, quiet.next_sync_token)
            by_id = {e.id: e for e in delta.events}
            assert set(by_id) == {uid_for(keys[0]), uid_for(keys[1])} and not delta.full
            assert by_id[uid_for(keys[0])].summary == "Moved by a person"
            assert isinstance(by_id[uid_for(keys[1])], CaldavRemoteEvent)
            assert by_id[uid_for(keys[1])].deleted  # type: ignore[attr-defined]
            assert (await provider.list_changes(calendar_id, delta.next_sync_token)).events == []
        assert not any("sync-collection" in s for s in transport.seen)

    # ---- reading: busy time of the person's own events ---------------------------------------------------

    async def test_remote_events_give_the_right_busy_answer(
        self, provider: CaldavProvider, raw: httpx.AsyncClient, calendar_id: str
    ) -> None:
        series = foreign(
            "series",
            "DTSTART;TZID=Europe/Berlin:20300301T090000\nDTEND;TZID=Europe/Berlin:20300301T100000\n"
            "RRULE:FREQ=WEEKLY;COUNT=4\nEXDATE;TZID=Europe/Berlin:20300308T090000",
            extra_events=[
                "UID:series\nRECURRENCE-ID;TZID=Europe/Berlin:20300315T090000\n"
                "DTSTART;TZID=Europe/Berlin:20300315T090000\nDTEND;TZID=Europe/Berlin:20300315T100000\n"
                "STATUS:CANCELLED"
            ],
        )
        cases = {
            "series.ics": series,
            "holiday.ics": foreign("holiday", "DTSTART;VALUE=DATE:20300803\nDTEND;VALUE=DATE:20300805"),
            "free.ics": foreign("free", "DTSTART:20300702T070000Z\nDTEND:20300702T080000Z\nTRANSP:TRANSPARENT"),
            "off.ics": foreign("off", "DTSTART:20300703T070000Z\nDTEND:20300703T080000Z\nSTATUS:CANCELLED"),
            "declined.ics": foreign(
                "declined",
                "DTSTART:20300704T070000Z\nDTEND:20300704T080000Z\nORGANIZER:mailto:boss@elsewhere.test\n"
                f"ATTENDEE;PARTSTAT=DECLINED:mailto:{USER}",
            ),
        }
        for name, body in cases.items():
            await put_raw(raw, calendar_id, name, body)
        page = await provider.list_changes(calendar_id, None, window=WINDOW)
        events = {e.id: e for e in page.events if isinstance(e, CaldavRemoteEvent)}
        assert page.covers is None
        # v2 core: a series arrives as its occurrences (unique ids, series_id, busy each), after a cancelled
        # stub under the series id that makes the core forget the series' earlier occurrences
        assert events["series"].deleted and not events["series"].busy
        berlin = ZoneInfo("Europe/Berlin")
        occurrences = sorted((e for e in events.values() if e.series_id == "series"), key=lambda e: e.id)
        assert [
            (e.id, e.starts_at and e.starts_at.astimezone(berlin).strftime("%m-%d %H:%M"), e.busy) for e in occurrences
        ] == [
            ("series_20300301T080000Z", "03-01 09:00", True),
            ("series_20300315T080000Z", "03-15 09:00", False),
            ("series_20300322T080000Z", "03-22 09:00", True),
        ]
        assert {i: e.busy for i, e in events.items() if e.series_id is None and i != "series"} == {
            "holiday": True,
            "free": False,
            "off": False,
            "declined": False,
        }
        assert events["off"].deleted  # a cancelled event is a deleted one for the core
        assert occurrences[0].recurrence[0] == "RRULE:FREQ=WEEKLY;COUNT=4"
        holiday = events["holiday"]
        assert holiday.all_day == (date(2030, 8, 3), date(2030, 8, 5))
        assert (holiday.all_day_start, holiday.all_day_end) == (date(2030, 8, 3), date(2030, 8, 5))
        assert holiday.starts_at == datetime(2030, 8, 2, 22, 0, tzinfo=UTC)  # midnight in Berlin
        assert holiday.ends_at == datetime(2030, 8, 4, 22, 0, tzinfo=UTC)
        busy = await provider.free_busy(
            [calendar_id], datetime(2030, 3, 1, tzinfo=UTC), datetime(2030, 3, 31, tzinfo=UTC)
        )
        assert [(b.starts_at.day, b.starts_at.hour) for b in busy[calendar_id]] == [(1, 8), (22, 8)]


# ---- helpers -------------------------------------------------------------------------------------------


def event_url_path(calendar_id: str, key: str) -> str:
    return httpx.URL(event_url(calendar_id, uid_for(key))).path


def foreign(uid: str, times: str, *, extra_events: list[str] | None = None) -> bytes:
    """A VCALENDAR as another calendar app would write it."""
    blocks = [f"UID:{uid}\nDTSTAMP:20300101T000000Z\nSUMMARY:Own event {uid}\n{times}"]
    blocks += [f"DTSTAMP:20300101T000000Z\n{extra}" for extra in extra_events or []]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Another app//EN"]
    for block in blocks:
        lines += ["BEGIN:VEVENT", *block.splitlines(), "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


async def put_raw(raw: httpx.AsyncClient, calendar_id: str, name: str, body: bytes) -> None:
    response = await raw.put(calendar_id + name, content=body, headers={"Content-Type": "text/calendar"})
    assert response.status_code in (201, 204), response.text
    await asyncio.sleep(0)
