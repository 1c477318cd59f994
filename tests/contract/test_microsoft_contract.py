"""The Microsoft Graph adapter against the Microsoft sandbox: the shared contract plus Graph-specific behaviour."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest

from calendars.accounts.oauth import OAuthConfig, OAuthTokenSource, microsoft_oauth_config
from calendars.providers import microsoft_wire as wire
from calendars.providers.base import (
    CalendarProvider,
    Credentials,
    EventData,
    EventExists,
    FullSyncRequired,
    PreconditionFailed,
    Reminder,
    RequestRejected,
    RetryableError,
)
from calendars.providers.microsoft import CategoryCache, MicrosoftCalendarProvider
from calendars.providers.registry import Notification
from tests.contract.provider_contract import (
    BASE_START,
    ExpireSyncTokens,
    ProviderContract,
    RemoteMutation,
    Throttled,
    sample_event,
)
from tests.support.microsoft_sandbox import microsoft_sandbox  # noqa: F401

FAST: dict[str, Any] = {"backoff_base": 0.01, "backoff_max": 0.05}
AHEAD = timedelta(days=8 * 365)


# ---- helpers -------------------------------------------------------------------------------------------


@dataclass
class GraphReceiver:
    """A tiny real HTTP server that answers Graph's validation handshake the way our route does
    (microsoft_wire.parse_notification) and records the notification batches."""

    url: str
    batches: list[list[Notification]] = field(default_factory=list)
    handshakes: int = 0
    cond: threading.Condition = field(default_factory=threading.Condition)

    async def wait_for(self, predicate: Callable[[list[Notification]], bool], timeout: float = 10.0) -> bool:
        def wait() -> bool:
            with self.cond:
                return self.cond.wait_for(lambda: predicate([n for b in self.batches for n in b]), timeout)

        return await asyncio.to_thread(wait)


@pytest.fixture
def graph_receiver() -> Iterator[GraphReceiver]:
    box: list[GraphReceiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            query = dict(parse_qsl(urlsplit(self.path).query))
            parsed = wire.parse_notification(dict(self.headers), query, body)
            answer = parsed.encode() if isinstance(parsed, str) else b""
            self.send_response(200 if isinstance(parsed, str) else 202)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            with box[0].cond:
                if isinstance(parsed, str):
                    box[0].handshakes += 1
                else:
                    box[0].batches.append(parsed)
                box[0].cond.notify_all()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(GraphReceiver(f"http://127.0.0.1:{server.server_address[1]}/webhooks/microsoft"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box[0]
    server.shutdown()
    server.server_close()


class LoseReply(httpx.AsyncBaseTransport):
    """Pass requests through, but lose the reply of the next matching ones (the server did the work)."""

    def __init__(self, method: str, path_part: str, times: int = 1) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.method, self.path_part, self.times = method, path_part, times

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == self.method and request.url.path.endswith(self.path_part) and self.times:
            self.times -= 1
            await response.aread()
            await response.aclose()
            raise httpx.ReadTimeout("injected: reply lost", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


async def stats_count(http: httpx.AsyncClient, operation: str) -> int:
    stats = (await http.get("/_sandbox/stats")).json()
    return int(stats["requests"]["by_operation"].get(operation, 0))


async def raw_events(http: httpx.AsyncClient, calendar_id: str, zone: str | None = None) -> dict[str, dict[str, Any]]:
    params = {"timeZone": zone} if zone else None
    body = (await http.get(f"/_sandbox/calendars/{calendar_id}/events", params=params)).json()
    items: list[dict[str, Any]] = list(body.get("items") or []) if isinstance(body, dict) else list(body)
    return {item["id"]: item for item in items if not item.get("deleted")}


# 30 zones that change their clocks twice in 2031, in both hemispheres, by an hour or half an hour (Lord Howe)
DST_ZONES_2031 = (
    "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York", "America/Halifax",
    "America/St_Johns", "America/Anchorage", "America/Winnipeg", "America/Havana", "America/Santiago",
    "America/Miquelon", "Atlantic/Azores", "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Berlin",
    "Europe/Warsaw", "Europe/Athens", "Europe/Helsinki", "Europe/Kyiv", "Europe/Chisinau", "Asia/Beirut",
    "Asia/Jerusalem", "Africa/Cairo", "Australia/Sydney", "Australia/Adelaide", "Australia/Hobart",
    "Australia/Lord_Howe", "Pacific/Auckland", "Pacific/Chatham",
)  # fmt: skip


def clock_changes(zone: str, year: int) -> list[datetime]:
    """The instants (to the hour) at which `zone` changes its UTC offset during `year`."""
    local = ZoneInfo(zone)
    hour = datetime(year, 1, 1, tzinfo=UTC)
    changes = []
    while hour.year == year:
        later = hour + timedelta(hours=1)
        if hour.astimezone(local).utcoffset() != later.astimezone(local).utcoffset():
            changes.append(later)
        hour = later
    return changes


def graph_like_id(key: str) -> str:
    return "AAMkADSbx" + base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest() + b"\0" * 8).decode()


# ---- pure helpers ----------------------------------------------------------------------------------------


def test_transaction_id_is_a_stable_guid() -> None:
    assert wire.transaction_id("booking:42") == wire.transaction_id("booking:42")
    assert str(uuid.UUID(wire.transaction_id("booking:42"))) == wire.transaction_id("booking:42")
    assert wire.transaction_id("booking:42") != wire.transaction_id("booking:43")
    # ids already used in people's mailboxes must never change: pin one
    assert wire.transaction_id("booking:42") == str(uuid.uuid5(wire.TRANSACTION_NAMESPACE, "booking:42"))


def test_validation_handshake_and_batches_are_parsed() -> None:
    assert wire.parse_notification({}, {"validationToken": "Validation: Token 1"}, b"") == "Validation: Token 1"
    body = {
        "value": [
            {"subscriptionId": "s1", "clientState": "secret", "changeType": "created"},
            {"subscriptionId": "s1", "clientState": "secret", "changeType": "updated"},
            {"subscriptionId": "s2", "clientState": "other", "lifecycleEvent": "reauthorizationRequired"},
            {"subscriptionId": "s3", "clientState": "x", "lifecycleEvent": "subscriptionRemoved"},
            {"subscriptionId": "s4", "clientState": "y", "lifecycleEvent": "missed"},
        ]
    }
    assert wire.parse_notification({}, {}, json.dumps(body).encode()) == [
        Notification("s1", "secret", "changed"),
        Notification("s2", "other", "renew"),
        Notification("s3", "x", "removed"),
        Notification("s4", "y", "missed"),
    ]
    assert wire.parse_notification({}, {}, b"not json") == []


def test_reminders_keep_the_popup_and_leave_the_day_before_to_our_mails() -> None:
    event = sample_event("booking:1")
    both = EventData(**{**event.__dict__, "reminders": (Reminder("email", 1440), Reminder("popup", 60))})
    body = wire.event_body(both)
    assert (body["isReminderOn"], body["reminderMinutesBeforeStart"]) == (True, 60)
    none = wire.event_body(EventData(**{**event.__dict__, "reminders": (Reminder("email", 1440),)}))
    assert none["isReminderOn"] is False and "reminderMinutesBeforeStart" not in none


def test_windows_zone_names_are_used_when_they_keep_the_instant() -> None:
    summer = datetime(2030, 7, 1, 9, tzinfo=ZoneInfo("Europe/Berlin"))
    assert wire.wire_time(summer, "Europe/Berlin") == {
        "dateTime": "2030-07-01T09:00:00",
        "timeZone": "W. Europe Standard Time",
    }
    assert wire.wire_time(summer, "Antarctica/Troll")["timeZone"] in ("UTC", wire.windows_zone("Antarctica/Troll"))
    for zone in ("America/New_York", "Australia/Sydney", "Asia/Kolkata", "Europe/Kyiv"):
        for month in (3, 4, 10, 11):
            moment = datetime(2031, month, 1, 12, tzinfo=UTC)
            assert wire.parse_wire_time(wire.wire_time(moment, zone)) == moment


# ---- the contract, wired to the sandbox ----------------------------------------------------------------


class TestMicrosoftProvider(ProviderContract):
    @pytest.fixture
    async def http(self, microsoft_sandbox: str) -> AsyncIterator[httpx.AsyncClient]:  # noqa: F811
        async with httpx.AsyncClient(base_url=microsoft_sandbox, timeout=15) as client:
            yield client

    @pytest.fixture
    async def api(self) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(timeout=15) as client:
            yield client

    @pytest.fixture
    def email(self) -> str:
        return f"contract-{uuid.uuid4().hex[:12]}@contoso.test"

    @pytest.fixture
    def oauth_config(self, microsoft_sandbox: str) -> OAuthConfig:  # noqa: F811
        return microsoft_oauth_config(microsoft_sandbox, "common", "sandbox-client", "unused", "http://127.0.0.1:9/cb")

    @pytest.fixture
    async def grant(self, http: httpx.AsyncClient, email: str) -> dict[str, Any]:
        response = await http.post("/_sandbox/tokens", json={"email": email})
        assert response.status_code == 200, response.text
        return dict(response.json())

    @pytest.fixture
    def tokens(self, oauth_config: OAuthConfig, grant: dict[str, Any]) -> OAuthTokenSource:
        credentials = Credentials(
            access_token=grant["access_token"],
            refresh_token=grant["refresh_token"],
            expires_at=datetime.now(UTC) + timedelta(seconds=int(grant["expires_in"])),
            scope=grant["scope"],
        )
        return OAuthTokenSource(oauth_config, credentials)

    @pytest.fixture
    def make_provider(
        self,
        microsoft_sandbox: str,  # noqa: F811
        tokens: OAuthTokenSource,
        api: httpx.AsyncClient,
    ) -> Callable[..., MicrosoftCalendarProvider]:
        async def berlin() -> str:
            return "Europe/Berlin"

        def make(**options: Any) -> MicrosoftCalendarProvider:
            # the contract's events are in 2030/2031: a window that reaches them (production: 400 days ahead)
            settings: dict[str, Any] = {"max_attempts": 4, "calendar_zone": berlin, "window_ahead": AHEAD, **FAST}
            settings.update(options)
            client = settings.pop("client", api)
            source = settings.pop("tokens", tokens)
            return MicrosoftCalendarProvider(f"{microsoft_sandbox}/v1.0", source, client, **settings)

        return make

    @pytest.fixture
    def provider(self, make_provider: Callable[..., MicrosoftCalendarProvider]) -> MicrosoftCalendarProvider:
        return make_provider()

    @pytest.fixture
    async def calendar_id(self, http: httpx.AsyncClient, email: str, grant: dict[str, Any]) -> str:
        account = (await http.post("/_sandbox/accounts", json={"email": email})).json()
        return str(account["calendarIds"][1])  # a secondary calendar, not the default one

    @pytest.fixture
    def event_id_for(self) -> Callable[[str], str]:
        return graph_like_id

    @pytest.fixture
    def mutate_remotely(self, http: httpx.AsyncClient) -> RemoteMutation:
        async def mutate(
            calendar_id: str,
            event_id: str,
            *,
            summary: str | None = None,
            starts_at: datetime | None = None,
            ends_at: datetime | None = None,
            delete: bool = False,
        ) -> None:
            path = f"/_sandbox/calendars/{calendar_id}/events/{event_id}"
            if delete:
                response = await http.delete(path)
            else:
                patch: dict[str, Any] = {}
                if summary is not None:
                    patch["subject"] = summary
                if starts_at is not None:
                    patch["start"] = wire.wire_time(starts_at, "Europe/Berlin")
                if ends_at is not None:
                    patch["end"] = wire.wire_time(ends_at, "Europe/Berlin")
                response = await http.patch(path, json=patch)
            assert response.is_success, response.text

        return mutate

    @pytest.fixture
    def expire_sync_tokens(self, http: httpx.AsyncClient) -> ExpireSyncTokens:
        async def expire(calendar_id: str) -> None:
            response = await http.post(f"/_sandbox/calendars/{calendar_id}/expire_delta_tokens")
            assert response.is_success, response.text

        return expire

    @pytest.fixture
    def webhook_url(self, graph_receiver: GraphReceiver) -> str:
        return graph_receiver.url

    @pytest.fixture
    async def faults(self, http: httpx.AsyncClient) -> AsyncIterator[Callable[..., Awaitable[None]]]:
        async def configure(**config: Any) -> None:
            response = await http.post("/_sandbox/faults", json=config)
            assert response.is_success, response.text

        yield configure
        await http.delete("/_sandbox/faults")

    @pytest.fixture
    def throttled_once(
        self, make_provider: Callable[..., MicrosoftCalendarProvider], faults: Callable[..., Awaitable[None]]
    ) -> Throttled:
        @asynccontextmanager
        async def throttled(seconds: int) -> AsyncIterator[CalendarProvider]:
            await faults(fail_next=["serviceUnavailable"], operations=["events.create"], retry_after_seconds=seconds)
            yield make_provider(max_wait=1)

        return throttled

    @pytest.fixture
    async def revoked_provider(
        self, provider: MicrosoftCalendarProvider, email: str, http: httpx.AsyncClient
    ) -> CalendarProvider:
        assert (await http.post("/_sandbox/grants/revoke", json={"email": email})).is_success
        return provider

    # Graph names subscriptions itself: the channel id is the subscription id, not the one we proposed.
    async def test_watch_then_stop(self, provider: CalendarProvider, calendar_id: str, webhook_url: str) -> None:
        channel = await provider.watch(calendar_id, str(uuid.uuid4()), webhook_url, "channel-secret")
        assert channel.id and channel.resource_id
        assert channel.token == "channel-secret"
        assert datetime.now(UTC) + timedelta(days=2) < channel.expires_at <= datetime.now(UTC) + timedelta(minutes=4230)
        await provider.stop_channel(channel.id, channel.resource_id)
        await provider.stop_channel(channel.id, channel.resource_id)  # twice is harmless

    # ---- Graph specifics -------------------------------------------------------------------------------------

    def test_declares_every_capability(self, provider: MicrosoftCalendarProvider) -> None:
        checked: CalendarProvider = provider  # the adapter satisfies the protocol (mypy checks this line)
        assert checked.name == "microsoft"
        caps = provider.capabilities
        assert all([caps.writes, caps.incremental_changes, caps.push_notifications, caps.free_busy, caps.client_ids])

    async def test_create_writes_graph_fields(
        self, provider: MicrosoftCalendarProvider, calendar_id: str, key: str, http: httpx.AsyncClient, email: str
    ) -> None:
        event = sample_event(key, status="tentative")
        created = await provider.create_event(calendar_id, event, idempotency_key=key)
        raw = (await raw_events(http, calendar_id))[created.id]
        assert raw["subject"] == event.summary
        assert raw["transactionId"] == wire.transaction_id(key)
        assert raw["showAs"] == "tentative"
        assert raw["categories"] == ["Rentcal · Banana"]
        assert raw["isReminderOn"] is True and raw["reminderMinutesBeforeStart"] == 30  # the popup one
        assert raw["originalStartTimeZone"] == "W. Europe Standard Time"
        props = {p["id"].lower(): p["value"] for p in raw.get("singleValueExtendedProperties", [])}
        assert props[wire.KEY_PROPERTY.lower()] == key
        categories = (await http.get("/_sandbox/accounts")).json()  # the master category exists with its preset
        assert categories
        token = (await http.post("/_sandbox/tokens", json={"email": email})).json()["access_token"]
        masters = (
            await http.get("/v1.0/me/outlook/masterCategories", headers={"Authorization": f"Bearer {token}"})
        ).json()["value"]
        assert {"displayName": "Rentcal · Banana", "color": "preset3"}.items() <= next(
            m for m in masters if m["displayName"] == "Rentcal · Banana"
        ).items()

    async def test_master_categories_are_read_once_per_integration_and_restored_when_deleted(
        self,
        make_provider: Callable[..., MicrosoftCalendarProvider],
        calendar_id: str,
        key: str,
        http: httpx.AsyncClient,
        email: str,
    ) -> None:
        categories = CategoryCache(ttl=3600)  # what connections.py shares between the adapters of one integration
        before = await stats_count(http, "masterCategories.list")
        for n in range(3):  # each push builds a new adapter
            await make_provider(categories=categories).create_event(
                calendar_id, sample_event(f"{key}-{n}"), idempotency_key=f"{key}-{n}"
            )
        assert await stats_count(http, "masterCategories.list") - before == 1
        # a person deletes our category in Outlook: Graph still takes events naming it (shown uncoloured) ...
        token = (await http.post("/_sandbox/tokens", json={"email": email})).json()["access_token"]
        auth = {"Authorization": f"Bearer {token}"}
        masters = (await http.get("/v1.0/me/outlook/masterCategories", headers=auth)).json()["value"]
        ours = next(m for m in masters if m["displayName"] == "Rentcal · Banana")
        assert (await http.delete(f"/v1.0/me/outlook/masterCategories/{ours['id']}", headers=auth)).status_code == 204
        # ... and once the names have aged, the next write reads them again and creates it again with its preset
        categories.ttl = 0
        before = await stats_count(http, "masterCategories.list")
        await make_provider(categories=categories).create_event(
            calendar_id, sample_event(f"{key}-3"), idempotency_key=f"{key}-3"
        )
        assert await stats_count(http, "masterCategories.list") - before == 1
        masters = (await http.get("/v1.0/me/outlook/masterCategories", headers=auth)).json()["value"]
        assert [m["color"] for m in masters if m["displayName"] == "Rentcal · Banana"] == ["preset3"]

    async def test_lost_reply_to_a_create_makes_one_event(
        self,
        make_provider: Callable[..., MicrosoftCalendarProvider],
        calendar_id: str,
        key: str,
        http: httpx.AsyncClient,
    ) -> None:
        async with httpx.AsyncClient(transport=LoseReply("POST", "/events"), timeout=15) as flaky:
            provider = make_provider(client=flaky)
            created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        assert created.key == key
        assert list(await raw_events(http, calendar_id)) == [created.id]

    async def test_lost_reply_then_changed_content_patches_the_first_event(
        self,
        make_provider: Callable[..., MicrosoftCalendarProvider],
        calendar_id: str,
        key: str,
        http: httpx.AsyncClient,
    ) -> None:
        async with httpx.AsyncClient(transport=LoseReply("POST", "/events", times=4), timeout=15) as flaky:
            with pytest.raises(RetryableError):
                await make_provider(client=flaky, max_attempts=1).create_event(
                    calendar_id, sample_event(key), idempotency_key=key
                )
        moved = sample_event(key, summary="Moved meanwhile", starts_at=BASE_START + timedelta(days=2))
        again = await make_provider().create_event(calendar_id, moved, idempotency_key=key)
        events = await raw_events(http, calendar_id)
        assert list(events) == [again.id]
        assert events[again.id]["subject"] == "Moved meanwhile"
        assert again.starts_at == moved.starts_at

    async def test_stale_etag_is_412(
        self, provider: MicrosoftCalendarProvider, calendar_id: str, key: str, mutate_remotely: RemoteMutation
    ) -> None:
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        await mutate_remotely(calendar_id, created.id, summary="A person")
        with pytest.raises(PreconditionFailed, match="412"):
            await provider.update_event(calendar_id, created.id, sample_event(key), etag=created.etag)

    async def test_delta_pages_removed_and_window(
        self,
        make_provider: Callable[..., MicrosoftCalendarProvider],
        calendar_id: str,
        http: httpx.AsyncClient,
        mutate_remotely: RemoteMutation,
    ) -> None:
        provider = make_provider(page_size=3, window_ahead=timedelta(days=400))
        now = datetime.now(UTC).replace(microsecond=0)
        ids = []
        for day in range(10):
            k = f"booking:{uuid.uuid4().hex}"
            event = sample_event(k, starts_at=now + timedelta(days=day + 1))
            ids.append((await provider.create_event(calendar_id, event, idempotency_key=k)).id)
        far = f"booking:{uuid.uuid4().hex}"
        outside = await provider.create_event(
            calendar_id, sample_event(far, starts_at=now + timedelta(days=500)), idempotency_key=far
        )
        before = await stats_count(http, "calendarView.delta")
        full = await provider.list_changes(calendar_id, None)
        assert await stats_count(http, "calendarView.delta") - before == 4  # 10 rows, 3 a page
        assert full.full and full.covers is not None
        assert full.covers[0] <= now - timedelta(days=29) and full.covers[1] >= now + timedelta(days=399)
        assert full.covers[1] <= now + timedelta(days=401)
        assert sorted(e.id for e in full.events) == sorted(ids)  # the event 500 days ahead is outside the window
        assert outside.id not in {e.id for e in full.events}
        assert all(e.key and e.key.startswith("booking:") for e in full.events)  # looked up: delta has no properties
        await mutate_remotely(calendar_id, ids[0], delete=True)
        await mutate_remotely(calendar_id, ids[1], summary="Renamed")
        delta = await provider.list_changes(calendar_id, full.next_sync_token)
        by_id = {e.id: e for e in delta.events}
        assert set(by_id) == {ids[0], ids[1]} and delta.covers is None and not delta.full
        assert by_id[ids[0]].deleted and not by_id[ids[0]].busy
        assert by_id[ids[1]].summary == "Renamed" and by_id[ids[1]].key

    async def test_expired_delta_is_full_sync_required(
        self, provider: MicrosoftCalendarProvider, calendar_id: str, expire_sync_tokens: ExpireSyncTokens
    ) -> None:
        first = await provider.list_changes(calendar_id, None)
        await expire_sync_tokens(calendar_id)
        with pytest.raises(FullSyncRequired, match="410"):
            await provider.list_changes(calendar_id, first.next_sync_token)

    async def test_an_old_window_starts_a_new_round(
        self, provider: MicrosoftCalendarProvider, calendar_id: str
    ) -> None:
        first = await provider.list_changes(calendar_id, None)
        assert first.next_sync_token
        _, _, link = first.next_sync_token.partition(" ")
        slid = (datetime.now(UTC) + AHEAD - timedelta(days=36)).isoformat()
        with pytest.raises(FullSyncRequired, match="slid"):
            await provider.list_changes(calendar_id, f"{slid} {link}")

    async def test_busy_answer_for_outlook_events(
        self, provider: MicrosoftCalendarProvider, calendar_id: str, http: httpx.AsyncClient
    ) -> None:
        path = f"/_sandbox/calendars/{calendar_id}/events"
        day = (datetime.now(UTC) + timedelta(days=20)).date()
        bodies = [
            {"subject": "Off", "isAllDay": True,
             "start": {"dateTime": f"{day}T00:00:00", "timeZone": "W. Europe Standard Time"},
             "end": {"dateTime": f"{day + timedelta(days=1)}T00:00:00", "timeZone": "W. Europe Standard Time"}},
            {"subject": "Free note", "showAs": "free",
             "start": {"dateTime": f"{day}T10:00:00", "timeZone": "UTC"},
             "end": {"dateTime": f"{day}T11:00:00", "timeZone": "UTC"}},
            {"subject": "Remote", "showAs": "workingElsewhere",
             "start": {"dateTime": f"{day}T12:00:00", "timeZone": "UTC"},
             "end": {"dateTime": f"{day}T13:00:00", "timeZone": "UTC"}},
            {"subject": "Weekly", "start": {"dateTime": f"{day}T08:00:00", "timeZone": "Pacific Standard Time"},
             "end": {"dateTime": f"{day}T09:00:00", "timeZone": "Pacific Standard Time"},
             "recurrence": {"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": [day.strftime("%A").lower()]},
                            "range": {"type": "numbered", "startDate": str(day), "numberOfOccurrences": 3}}},
        ]  # fmt: skip
        for body in bodies:
            response = await http.post(path, json=body)
            assert response.status_code in (200, 201), response.text
        events = (await provider.list_changes(calendar_id, None)).events
        by_summary: dict[str, list[Any]] = {}
        for event in events:
            by_summary.setdefault(event.summary, []).append(event)
        berlin = ZoneInfo("Europe/Berlin")
        (off,) = by_summary["Off"]
        assert off.busy and off.all_day_start == day
        assert off.starts_at == datetime(day.year, day.month, day.day, tzinfo=berlin)
        assert not by_summary["Free note"][0].busy and not by_summary["Remote"][0].busy
        weekly = by_summary["Weekly"]
        assert len(weekly) == 3 and all(e.busy and e.series_id for e in weekly) and len({e.id for e in weekly}) == 3
        la = ZoneInfo("America/Los_Angeles")
        assert sorted(e.starts_at for e in weekly)[0] == datetime(day.year, day.month, day.day, 8, tzinfo=la)

    async def test_throttling_honours_retry_after(
        self,
        provider: MicrosoftCalendarProvider,
        calendar_id: str,
        key: str,
        http: httpx.AsyncClient,
        faults: Callable[..., Awaitable[None]],
    ) -> None:
        await faults(fail_next=["tooManyRequests"], operations=["events.create"], retry_after_seconds=1)
        started = time.monotonic()
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        assert time.monotonic() - started >= 1.0  # Retry-After: 1 was waited out
        assert list(await raw_events(http, calendar_id)) == [created.id]

    async def test_identity_held_by_someone_else_after_lost_reply(
        self, provider: MicrosoftCalendarProvider, calendar_id: str, key: str
    ) -> None:
        await provider.create_event(calendar_id, sample_event("booking:other"), idempotency_key=key)
        with pytest.raises(EventExists):
            await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)

    async def test_rotated_refresh_tokens_survive_concurrent_refreshes(
        self,
        make_provider: Callable[..., MicrosoftCalendarProvider],
        oauth_config: OAuthConfig,
        grant: dict[str, Any],
        calendar_id: str,
        email: str,
        http: httpx.AsyncClient,
    ) -> None:
        """Five processes (token sources) share one stored grant; each refresh rotates the refresh token and the
        old one dies at once. The shared lock and the re-read mean every one of them keeps working."""
        stored = {"credentials": Credentials(grant["access_token"], grant["refresh_token"], None, grant["scope"])}
        lock = asyncio.Lock()

        async def reload() -> Credentials:
            current = stored["credentials"]
            return Credentials(current.access_token, current.refresh_token, current.expires_at, current.scope)

        async def on_refresh(credentials: Credentials) -> None:
            stored["credentials"] = credentials

        sources = [
            OAuthTokenSource(oauth_config, reload=reload, lock=lambda: lock, on_refresh=on_refresh) for _ in range(5)
        ]
        assert (await http.post("/_sandbox/tokens/expire", json={"email": email})).json()["expired"] >= 1
        providers = [make_provider(tokens=source) for source in sources]
        results = await asyncio.gather(*(p.list_calendars() for p in providers))
        assert all(calendar_id in {c.id for c in r} for r in results)
        assert sum(source.refreshes for source in sources) == 1  # one refresh; the others re-read its result
        assert stored["credentials"].refresh_token != grant["refresh_token"]

    async def test_list_calendars_maps_graph_calendars(self, provider: MicrosoftCalendarProvider) -> None:
        calendars = await provider.list_calendars()
        assert [c.primary for c in calendars].count(True) == 1
        assert calendars[0].primary and calendars[0].name == "Calendar"
        assert all(c.writable and c.timezone == "Europe/Berlin" for c in calendars)

    async def test_unknown_calendar_carries_graphs_message(
        self, provider: MicrosoftCalendarProvider, calendar_id: str, key: str
    ) -> None:
        with pytest.raises(RequestRejected, match="404 ErrorItemNotFound"):
            await provider.list_changes("AAMkADnot-a-calendar", None)

    async def test_subscription_delivers_notifications_to_the_handshaking_receiver(
        self,
        provider: MicrosoftCalendarProvider,
        calendar_id: str,
        key: str,
        graph_receiver: GraphReceiver,
        http: httpx.AsyncClient,
    ) -> None:
        channel = await provider.watch(calendar_id, "ignored", graph_receiver.url, "client-state-1")
        assert graph_receiver.handshakes >= 1  # Graph validated the URL before answering
        await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        assert await graph_receiver.wait_for(lambda seen: Notification(channel.id, "client-state-1", "changed") in seen)
        expires = await provider.renew_channel(channel.id)
        assert expires > datetime.now(UTC) + timedelta(days=2)
        response = await http.post(f"/_sandbox/subscriptions/{channel.id}/lifecycle", json={"event": "missed"})
        assert response.is_success, response.text
        assert await graph_receiver.wait_for(lambda seen: Notification(channel.id, "client-state-1", "missed") in seen)
        await provider.stop_channel(channel.id, channel.resource_id)
        live = (await http.get("/_sandbox/subscriptions")).json()
        assert channel.id not in json.dumps(live)

    async def test_bookings_across_both_dst_changes_round_trip_through_windows_zone_names(
        self,
        provider: MicrosoftCalendarProvider,
        calendar_id: str,
        tokens: OAuthTokenSource,
        microsoft_sandbox: str,  # noqa: F811
    ) -> None:
        """A booking spanning each of the zone's two clock changes is written under the zone's Windows name,
        stored by Outlook under it, read back in that Windows zone (Prefer: outlook.timezone) and in UTC, and is
        the same instants every way."""
        assert len(DST_ZONES_2031) == 30
        headers = {"Authorization": f"Bearer {await tokens.access_token()}"}
        async with httpx.AsyncClient(base_url=f"{microsoft_sandbox}/v1.0", headers=headers, timeout=15) as graph:
            for zone in DST_ZONES_2031:
                windows = wire.windows_zone(zone)
                changes = clock_changes(zone, 2031)
                assert windows and len(changes) == 2, (zone, windows, changes)
                for change in changes:
                    starts_at = (change - timedelta(hours=12)).astimezone(ZoneInfo(zone))
                    ends_at = (change + timedelta(hours=12)).astimezone(ZoneInfo(zone))
                    assert starts_at.utcoffset() != ends_at.utcoffset(), zone  # the booking spans the change
                    key = f"booking:{uuid.uuid4().hex}"
                    event = EventData("DST", starts_at, ends_at, zone, key=key)
                    created = await provider.create_event(calendar_id, event, idempotency_key=key)
                    fetched = await provider.get_event(calendar_id, created.id)
                    assert (fetched.starts_at, fetched.ends_at) == (starts_at, ends_at), zone
                    response = await graph.get(
                        f"/me/calendars/{calendar_id}/events/{created.id}",
                        headers={"Prefer": f'outlook.timezone="{windows}"'},
                    )
                    item = response.json()
                    assert response.is_success, item
                    assert item["originalStartTimeZone"] == item["originalEndTimeZone"] == windows, zone
                    assert item["start"]["timeZone"] == item["end"]["timeZone"] == windows, zone
                    read_back = (wire.parse_wire_time(item["start"]), wire.parse_wire_time(item["end"]))
                    assert read_back == (starts_at, ends_at), (zone, item["start"], item["end"])
