"""The Google adapter against the Google sandbox: the shared contract plus Google-specific behaviour."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calendars.accounts.oauth import GoogleOAuthConfig, OAuthTokenSource
from calendars.providers.base import (
    AuthExpired,
    CalendarProvider,
    Credentials,
    EventData,
    EventExists,
    NeedsReconnect,
    RemoteEvent,
    RequestRejected,
    RetryableError,
)
from calendars.providers.google import GoogleCalendarProvider, google_event_id
from tests.contract.conftest import WebhookReceiver
from tests.contract.provider_contract import (
    BASE_START,
    ExpireSyncTokens,
    ProviderContract,
    RemoteMutation,
    Throttled,
    sample_event,
)

FAST: dict[str, Any] = {"backoff_base": 0.01, "backoff_max": 0.05}


# ---- helpers -------------------------------------------------------------------------------------------


class StaticTokens:
    """A TokenSource that never gets a working token (to see what the adapter does then)."""

    def __init__(self, token: str = "ya29.not-a-real-token") -> None:
        self.token = token
        self.refreshes = 0

    async def access_token(self) -> str:
        return self.token

    async def refreshed_access_token(self) -> str:
        self.refreshes += 1
        return self.token


class Interfering(httpx.AsyncBaseTransport):
    """Pass requests through, but fail the next matching ones: before sending, or by losing the reply."""

    def __init__(self, method: str, path_part: str, plan: list[str]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.method, self.path_part, self.plan = method, path_part, plan

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == self.method and self.path_part in request.url.path and self.plan:
            action = self.plan.pop(0)
            if action == "refuse":
                raise httpx.ConnectError("injected: connection refused", request=request)
            response = await self.inner.handle_async_request(request)  # the server does the work...
            await response.aread()
            await response.aclose()
            raise httpx.ReadTimeout("injected: reply lost", request=request)  # ...but we never hear back
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


async def stats_count(http: httpx.AsyncClient, method_id: str) -> int:
    stats = (await http.get("/_sandbox/stats")).json()
    return int(stats["requests"]["by_method"].get(method_id, 0))


async def raw_events(http: httpx.AsyncClient, calendar_id: str) -> dict[str, dict[str, Any]]:
    items = (await http.get(f"/_sandbox/calendars/{calendar_id}/events")).json()["items"]
    return {item["id"]: item for item in items}


# ---- pure helpers ----------------------------------------------------------------------------------------


@given(st.text(max_size=200))
def test_google_event_id_is_deterministic_base32hex(key: str) -> None:
    event_id = google_event_id(key)
    assert re.fullmatch(r"[a-v0-9]{26,1024}", event_id)
    assert google_event_id(key) == event_id
    assert google_event_id(key + "x") != event_id


def test_google_event_id_is_stable_across_releases() -> None:
    # Ids already written to people's calendars must never change: pin one.
    assert google_event_id("booking:42") == "nn0sf4iusthhd315vbnb97dd8pjv0onv1rol7scvj8uraqjap20g"


# ---- the contract, wired to the sandbox ----------------------------------------------------------------


class TestGoogleProvider(ProviderContract):
    @pytest.fixture
    async def http(self, google_sandbox: str) -> AsyncIterator[httpx.AsyncClient]:
        async with httpx.AsyncClient(base_url=google_sandbox, timeout=10) as client:
            yield client

    @pytest.fixture
    async def api(self) -> AsyncIterator[httpx.AsyncClient]:
        """The client the adapter uses (what a worker would hold per process)."""
        async with httpx.AsyncClient(timeout=10) as client:
            yield client

    @pytest.fixture
    def email(self) -> str:
        return f"contract-{uuid.uuid4().hex[:12]}@gmail.test"

    @pytest.fixture
    def oauth_config(self, google_sandbox: str) -> GoogleOAuthConfig:
        # Grants minted by /_sandbox/tokens belong to the client "sandbox-client".
        return GoogleOAuthConfig.from_base_url(google_sandbox, "sandbox-client", "unused", "http://127.0.0.1:9/cb")

    @pytest.fixture
    async def grant(self, http: httpx.AsyncClient, email: str) -> dict[str, Any]:
        response = await http.post("/_sandbox/tokens", json={"email": email})
        assert response.status_code == 200, response.text
        return dict(response.json())

    @pytest.fixture
    def tokens(self, oauth_config: GoogleOAuthConfig, grant: dict[str, Any]) -> OAuthTokenSource:
        credentials = Credentials(
            access_token=grant["access_token"],
            refresh_token=grant["refresh_token"],
            expires_at=datetime.now(UTC) + timedelta(seconds=int(grant["expires_in"])),
            scope=grant["scope"],
        )
        return OAuthTokenSource(oauth_config, credentials)

    @pytest.fixture
    def make_provider(
        self, google_sandbox: str, tokens: OAuthTokenSource, api: httpx.AsyncClient
    ) -> Callable[..., GoogleCalendarProvider]:
        def make(**options: Any) -> GoogleCalendarProvider:
            settings: dict[str, Any] = {"max_attempts": 4, **FAST, **options}
            client = settings.pop("client", api)
            source = settings.pop("tokens", tokens)
            return GoogleCalendarProvider(f"{google_sandbox}/calendar/v3", source, client, **settings)

        return make

    @pytest.fixture
    def provider(self, make_provider: Callable[..., GoogleCalendarProvider]) -> GoogleCalendarProvider:
        return make_provider()

    @pytest.fixture
    async def calendar_id(self, http: httpx.AsyncClient, email: str, grant: dict[str, Any]) -> str:
        """The account's "Deliveries" calendar (an id with '@group.calendar.google.com', like real ones)."""
        account = (await http.post("/_sandbox/accounts", json={"email": email})).json()
        deliveries = account["calendarIds"][1]
        assert deliveries.endswith("@group.calendar.google.com")
        return str(deliveries)

    @pytest.fixture
    def event_id_for(self) -> Callable[[str], str]:
        return google_event_id

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
                    patch["summary"] = summary
                if starts_at is not None:
                    patch["start"] = {"dateTime": starts_at.isoformat()}
                if ends_at is not None:
                    patch["end"] = {"dateTime": ends_at.isoformat()}
                response = await http.patch(path, json=patch)
            assert response.is_success, response.text

        return mutate

    @pytest.fixture
    def expire_sync_tokens(self, http: httpx.AsyncClient) -> ExpireSyncTokens:
        async def expire(calendar_id: str) -> None:
            response = await http.post(f"/_sandbox/calendars/{calendar_id}/invalidate_sync_tokens")
            assert response.is_success, response.text

        return expire

    @pytest.fixture
    def webhook_url(self, webhook_receiver: WebhookReceiver) -> str:
        return webhook_receiver.url

    @pytest.fixture
    async def faults(self, http: httpx.AsyncClient) -> AsyncIterator[Callable[..., Awaitable[None]]]:
        async def configure(**config: Any) -> None:
            response = await http.post("/_sandbox/faults", json=config)
            assert response.is_success, response.text

        yield configure
        await http.delete("/_sandbox/faults")

    @pytest.fixture
    def throttled_once(
        self, make_provider: Callable[..., GoogleCalendarProvider], faults: Callable[..., Awaitable[None]]
    ) -> Throttled:
        @asynccontextmanager
        async def throttled(seconds: int) -> AsyncIterator[CalendarProvider]:
            await faults(fail_next=["tooManyRequests"], methods=["calendar.events.insert"], retry_after_seconds=seconds)
            yield make_provider(max_wait=0.5)

        return throttled

    @pytest.fixture
    async def revoked_provider(
        self, provider: GoogleCalendarProvider, grant: dict[str, Any], http: httpx.AsyncClient
    ) -> CalendarProvider:
        assert (await http.post("/revoke", data={"token": grant["refresh_token"]})).is_success
        return provider

    # ---- Google specifics: wire format ------------------------------------------------------------

    def test_declares_every_capability(self, provider: GoogleCalendarProvider) -> None:
        checked: CalendarProvider = provider  # the adapter satisfies the protocol (mypy checks this line)
        assert checked.name == "google"
        caps = provider.capabilities
        assert all([caps.writes, caps.incremental_changes, caps.push_notifications, caps.free_busy, caps.client_ids])

    async def test_create_writes_google_fields(
        self, provider: GoogleCalendarProvider, calendar_id: str, key: str, http: httpx.AsyncClient
    ) -> None:
        event = sample_event(key, status="tentative")
        await provider.create_event(calendar_id, event, idempotency_key=key)
        raw = (await raw_events(http, calendar_id))[google_event_id(key)]
        assert raw["summary"] == event.summary
        assert raw["description"] == event.description
        assert raw["location"] == event.location
        assert raw["colorId"] == "5"
        assert raw["status"] == "tentative"
        assert raw["transparency"] == "opaque"
        # 07:00Z sent as the company's wall-clock time with its zone
        assert raw["start"] == {"dateTime": "2030-07-01T09:00:00+02:00", "timeZone": "Europe/Berlin"}
        assert raw["end"] == {"dateTime": "2030-07-01T11:00:00+02:00", "timeZone": "Europe/Berlin"}
        assert raw["reminders"] == {
            "useDefault": False,
            "overrides": [{"method": "popup", "minutes": 30}, {"method": "email", "minutes": 1440}],
        }
        assert raw["extendedProperties"] == {"private": {"rentcal_key": key}}

    async def test_update_replaces_our_fields(
        self, provider: GoogleCalendarProvider, calendar_id: str, key: str, http: httpx.AsyncClient
    ) -> None:
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        # a person adds a guest and a conference note in Google: an update of ours must keep them
        added = {"attendees": [{"email": "guest@example.com"}], "extendedProperties": {"shared": {"note": "gate 3"}}}
        response = await http.patch(f"/_sandbox/calendars/{calendar_id}/events/{created.id}", json=added)
        assert response.status_code == 200, response.text
        plain = EventData(
            summary="Plain", starts_at=BASE_START, ends_at=BASE_START + timedelta(hours=1), timezone="UTC", key=key
        )
        await provider.update_event(calendar_id, created.id, plain, etag=response.json()["etag"])
        raw = (await raw_events(http, calendar_id))[created.id]
        assert raw["summary"] == "Plain"
        assert raw["attendees"][0]["email"] == "guest@example.com"
        assert raw["extendedProperties"]["shared"] == {"note": "gate 3"}
        assert "colorId" not in raw
        assert raw["reminders"] == {"useDefault": False, "overrides": []}
        assert raw["start"] == {"dateTime": "2030-07-01T07:00:00Z", "timeZone": "UTC"}

    async def test_update_brings_back_a_remotely_deleted_event(
        self, provider: GoogleCalendarProvider, calendar_id: str, key: str, mutate_remotely: RemoteMutation
    ) -> None:
        # Google keeps deleted events (status cancelled); a full update with status confirmed restores
        # it. Whether to do that is the sync engine's decision, not the adapter's.
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        await mutate_remotely(calendar_id, created.id, delete=True)
        assert (await provider.get_event(calendar_id, created.id)).status == "cancelled"
        restored = await provider.update_event(calendar_id, created.id, sample_event(key))
        assert restored.status == "confirmed"

    async def test_user_events_map_all_day_and_transparency(
        self, provider: GoogleCalendarProvider, calendar_id: str, http: httpx.AsyncClient
    ) -> None:
        body = {
            "summary": "Team offsite",
            "start": {"date": "2030-08-03"},
            "end": {"date": "2030-08-05"},
            "transparency": "transparent",
        }
        created = (await http.post(f"/_sandbox/calendars/{calendar_id}/events", json=body)).json()
        event = (await provider.list_changes(calendar_id, None)).events[0]
        assert event.id == created["id"]
        assert event.key is None
        assert event.transparent and not event.busy
        # all-day: local midnights of the calendar's zone (the sandbox's calendars are in Europe/Berlin)
        assert event.starts_at == datetime(2030, 8, 3, tzinfo=ZoneInfo("Europe/Berlin"))
        assert event.ends_at == datetime(2030, 8, 5, tzinfo=ZoneInfo("Europe/Berlin"))
        assert (event.all_day_start, event.all_day_end) == (datetime(2030, 8, 3).date(), datetime(2030, 8, 5).date())
        assert event.updated is not None and event.updated.tzinfo is not None

    async def test_busy_answer_for_the_common_remote_events(
        self, provider: GoogleCalendarProvider, calendar_id: str, http: httpx.AsyncClient
    ) -> None:
        """Opaque all-day is busy; declined is free; a weekly series is busy on every occurrence, except
        where an occurrence was cancelled."""
        berlin = ZoneInfo("Europe/Berlin")
        path = f"/_sandbox/calendars/{calendar_id}/events"
        day_off = {"summary": "Off", "start": {"date": "2030-08-06"}, "end": {"date": "2030-08-07"}}
        declined = {
            "summary": "Optional talk",
            "start": {"dateTime": "2030-08-06T10:00:00+02:00"},
            "end": {"dateTime": "2030-08-06T11:00:00+02:00"},
            "attendees": [
                {"email": "organiser@example.com", "organizer": True, "responseStatus": "accepted"},
                {"email": calendar_id, "responseStatus": "declined"},  # the owner said no
            ],
        }
        weekly = {
            "summary": "Standing job",
            "start": {"dateTime": "2030-09-02T08:00:00", "timeZone": "Europe/Berlin"},
            "end": {"dateTime": "2030-09-02T12:00:00", "timeZone": "Europe/Berlin"},
            "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=6", "EXDATE;TZID=Europe/Berlin:20300916T080000"],
        }
        for body in (day_off, declined, weekly):
            response = await http.post(path, json=body)
            assert response.status_code in (200, 201), response.text
        events = (await provider.list_changes(calendar_id, None)).events
        by_summary: dict[str, list[RemoteEvent]] = {}
        for event in events:
            by_summary.setdefault(event.summary, []).append(event)
        off = by_summary["Off"][0]
        assert off.busy and off.starts_at == datetime(2030, 8, 6, tzinfo=berlin)
        assert off.ends_at == datetime(2030, 8, 7, tzinfo=berlin)
        assert not by_summary["Optional talk"][0].busy
        standing = sorted(e.starts_at for e in by_summary["Standing job"] if e.busy and e.starts_at)
        assert len(standing) == 5  # six weekly occurrences, one excluded
        assert datetime(2030, 9, 16, 8, tzinfo=berlin) not in standing
        assert standing[0] == datetime(2030, 9, 2, 8, tzinfo=berlin)
        assert standing[-1] == datetime(2030, 10, 7, 8, tzinfo=berlin)  # wall-clock kept across the DST change
        assert all(e.series_id for e in by_summary["Standing job"])

    async def test_changes_follow_every_page(
        self,
        make_provider: Callable[..., GoogleCalendarProvider],
        calendar_id: str,
        http: httpx.AsyncClient,
        mutate_remotely: RemoteMutation,
    ) -> None:
        provider = make_provider(page_size=2)
        ids = []
        for _ in range(5):
            k = f"booking:{uuid.uuid4().hex}"
            ids.append((await provider.create_event(calendar_id, sample_event(k), idempotency_key=k)).id)
        before = await stats_count(http, "calendar.events.list")
        full = await provider.list_changes(calendar_id, None)
        assert [e.id for e in full.events] == ids
        assert await stats_count(http, "calendar.events.list") - before == 3
        for event_id in ids[1:4]:
            await mutate_remotely(calendar_id, event_id, summary=f"changed {event_id}")
        delta = await provider.list_changes(calendar_id, full.next_sync_token)
        assert sorted(e.id for e in delta.events) == sorted(ids[1:4])
        assert (await provider.list_changes(calendar_id, delta.next_sync_token)).events == []

    async def test_other_client_errors_carry_googles_message(
        self, provider: GoogleCalendarProvider, calendar_id: str, key: str
    ) -> None:
        backwards = sample_event(key, hours=-1)
        with pytest.raises(RequestRejected, match="The specified time range is empty"):
            await provider.create_event(calendar_id, backwards, idempotency_key=key)
        with pytest.raises(RequestRejected, match="404"):
            await provider.list_changes("nobody-owns-this@group.calendar.google.com", None)

    # ---- Google specifics: authorization ------------------------------------------------------------

    async def test_refused_token_is_refreshed_once_and_the_call_succeeds(
        self,
        provider: GoogleCalendarProvider,
        tokens: OAuthTokenSource,
        calendar_id: str,
        key: str,
        email: str,
        http: httpx.AsyncClient,
    ) -> None:
        before = tokens.credentials.access_token
        expired = (await http.post("/_sandbox/tokens/expire", json={"email": email})).json()["expired"]
        assert expired >= 1
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        assert created.key == key
        assert tokens.refreshes == 1
        assert tokens.credentials.access_token != before
        await provider.get_event(calendar_id, created.id)
        assert tokens.refreshes == 1  # the new token is used from then on

    async def test_token_refused_after_refresh_is_auth_expired(
        self, make_provider: Callable[..., GoogleCalendarProvider], calendar_id: str
    ) -> None:
        tokens = StaticTokens()
        provider = make_provider(tokens=tokens)
        with pytest.raises(AuthExpired):
            await provider.list_changes(calendar_id, None)
        assert tokens.refreshes == 1

    async def test_missing_calendar_scope_needs_reconnect(
        self, make_provider: Callable[..., GoogleCalendarProvider], http: httpx.AsyncClient
    ) -> None:
        email = f"narrow-{uuid.uuid4().hex[:10]}@gmail.test"
        narrow = (await http.post("/_sandbox/tokens", json={"email": email, "scope": "openid email"})).json()
        provider = make_provider(tokens=StaticTokens(narrow["access_token"]))
        with pytest.raises(NeedsReconnect, match="calendar scope"):
            await provider.list_calendars()

    async def test_tokens_never_reach_the_log(
        self,
        provider: GoogleCalendarProvider,
        tokens: OAuthTokenSource,
        calendar_id: str,
        key: str,
        email: str,
        http: httpx.AsyncClient,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        old = tokens.credentials.access_token
        refresh_token = tokens.credentials.refresh_token
        await http.post("/_sandbox/tokens/expire", json={"email": email})
        with caplog.at_level(logging.DEBUG):
            await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
            full = await provider.list_changes(calendar_id, None)
            await provider.list_changes(calendar_id, full.next_sync_token)
        for secret in (old, tokens.credentials.access_token, refresh_token):  # not even in httpx/httpcore logs
            assert secret and secret not in caplog.text
        ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("calendars"))
        assert f"POST /calendars/{calendar_id}/events -> 401" in ours
        assert f"POST /calendars/{calendar_id}/events -> 200" in ours
        assert f"GET /calendars/{calendar_id}/events -> 200" in ours
        assert "Bearer" not in ours and "?" not in ours and str(full.next_sync_token) not in ours

    # ---- Google specifics: transient failures -----------------------------------------------------------

    @pytest.mark.parametrize(
        "kind", ["tooManyRequests", "backendError", "rateLimitExceeded", "userRateLimitExceeded", "serviceUnavailable"]
    )
    async def test_transient_failure_is_retried_and_creates_once(
        self,
        provider: GoogleCalendarProvider,
        calendar_id: str,
        key: str,
        http: httpx.AsyncClient,
        faults: Callable[..., Awaitable[None]],
        kind: str,
    ) -> None:
        await faults(fail_next=[kind], methods=["calendar.events.insert"], retry_after_seconds=1)
        before = await stats_count(http, "calendar.events.insert")
        started = time.monotonic()
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        elapsed = time.monotonic() - started
        assert created.key == key
        assert await stats_count(http, "calendar.events.insert") - before == 2
        assert [e for e in (await raw_events(http, calendar_id)).values() if e["id"] == created.id]
        assert len(await raw_events(http, calendar_id)) == 1
        if kind in ("tooManyRequests", "serviceUnavailable"):  # these carry Retry-After: 1, a lower bound
            assert elapsed >= 1.0

    async def test_persistent_failure_gives_up_after_max_attempts(
        self,
        make_provider: Callable[..., GoogleCalendarProvider],
        calendar_id: str,
        key: str,
        http: httpx.AsyncClient,
        faults: Callable[..., Awaitable[None]],
    ) -> None:
        provider = make_provider(max_attempts=3)
        await faults(error_rate=1.0, error_kinds=["backendError"], methods=["calendar.events.insert"])
        before = await stats_count(http, "calendar.events.insert")
        with pytest.raises(RetryableError, match="gave up after 3 attempt") as raised:
            await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        assert raised.value.retry_after is None
        assert await stats_count(http, "calendar.events.insert") - before == 3
        assert await raw_events(http, calendar_id) == {}

    async def test_lost_reply_to_a_create_still_creates_once(
        self,
        make_provider: Callable[..., GoogleCalendarProvider],
        calendar_id: str,
        key: str,
        http: httpx.AsyncClient,
    ) -> None:
        async with httpx.AsyncClient(transport=Interfering("POST", "/events", ["lose reply"]), timeout=10) as flaky:
            provider = make_provider(client=flaky)
            created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        assert created.key == key and created.status == "confirmed"
        assert list(await raw_events(http, calendar_id)) == [google_event_id(key)]

    async def test_create_of_someone_elses_event_after_a_retry_is_still_a_conflict(
        self,
        make_provider: Callable[..., GoogleCalendarProvider],
        provider: GoogleCalendarProvider,
        calendar_id: str,
        key: str,
    ) -> None:
        await provider.create_event(calendar_id, sample_event("booking:someone-else"), idempotency_key=key)
        async with httpx.AsyncClient(transport=Interfering("POST", "/events", ["refuse"]), timeout=10) as flaky:
            with pytest.raises(EventExists):
                await make_provider(client=flaky).create_event(calendar_id, sample_event(key), idempotency_key=key)

    async def test_connection_errors_are_retried(
        self, make_provider: Callable[..., GoogleCalendarProvider], calendar_id: str
    ) -> None:
        async with httpx.AsyncClient(
            transport=Interfering("GET", "/events", ["refuse", "refuse"]), timeout=10
        ) as flaky:
            page = await make_provider(client=flaky).list_changes(calendar_id, None)
        assert page.full and page.next_sync_token

    async def test_unreachable_server_is_retryable(self, tokens: OAuthTokenSource, api: httpx.AsyncClient) -> None:
        provider = GoogleCalendarProvider("http://127.0.0.1:9/calendar/v3", tokens, api, max_attempts=2, **FAST)
        with pytest.raises(RetryableError, match="ConnectError"):
            await provider.list_calendars()

    # ---- Google specifics: calendars, push, free/busy --------------------------------------------------

    async def test_list_calendars_maps_the_calendar_list(self, provider: GoogleCalendarProvider, email: str) -> None:
        calendars = await provider.list_calendars()
        assert [c.name for c in calendars] == [email, "Deliveries", "Team holidays"]
        primary = [c for c in calendars if c.primary]
        assert [c.id for c in primary] == [email]
        assert all(c.writable and c.timezone == "Europe/Berlin" and c.color for c in calendars)

    async def test_watch_delivers_real_webhooks_until_stopped(
        self,
        provider: GoogleCalendarProvider,
        calendar_id: str,
        key: str,
        webhook_receiver: WebhookReceiver,
        http: httpx.AsyncClient,
        mutate_remotely: RemoteMutation,
    ) -> None:
        channel_id = str(uuid.uuid4())
        channel = await provider.watch(calendar_id, channel_id, webhook_receiver.url, "tok-123")
        assert channel.expires_at - datetime.now(UTC) > timedelta(days=6)
        (sync,) = await webhook_receiver.wait_for(1, channel_id=channel_id)
        assert sync.path == "/hooks/google"
        assert sync.headers["x-goog-resource-state"] == "sync"
        assert sync.headers["x-goog-channel-token"] == "tok-123"
        assert sync.headers["x-goog-resource-id"] == channel.resource_id
        assert sync.headers["x-goog-message-number"] == "1"

        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        await mutate_remotely(calendar_id, created.id, summary="Changed by a person")
        hits = await webhook_receiver.wait_for(3, channel_id=channel_id)
        assert [h.headers["x-goog-resource-state"] for h in hits] == ["sync", "exists", "exists"]

        await provider.stop_channel(channel.id, channel.resource_id)
        channels = (await http.get("/_sandbox/channels")).json()["items"]
        assert channel_id not in [c["id"] for c in channels]
        await mutate_remotely(calendar_id, created.id, summary="Changed again")
        await asyncio.sleep(0.3)
        assert len(await webhook_receiver.wait_for(4, channel_id=channel_id, timeout=0.5)) == 3
        await provider.stop_channel(channel.id, channel.resource_id)  # stopping twice is harmless

    async def test_free_busy_merges_blocks_and_skips_free_time(
        self, provider: GoogleCalendarProvider, calendar_id: str, email: str, http: httpx.AsyncClient
    ) -> None:
        for offset, hours in ((0, 2), (1, 2), (5, 1)):
            k = f"booking:{uuid.uuid4().hex}"
            event = sample_event(k, starts_at=BASE_START + timedelta(hours=offset), hours=hours)
            await provider.create_event(calendar_id, event, idempotency_key=k)
        transparent = {
            "summary": "Reminder only",
            "start": {"dateTime": (BASE_START + timedelta(hours=8)).isoformat()},
            "end": {"dateTime": (BASE_START + timedelta(hours=9)).isoformat()},
            "transparency": "transparent",
        }
        assert (await http.post(f"/_sandbox/calendars/{calendar_id}/events", json=transparent)).is_success
        busy = await provider.free_busy(
            [calendar_id, email], BASE_START - timedelta(hours=1), BASE_START + timedelta(days=1)
        )
        assert [(b.starts_at, b.ends_at) for b in busy[calendar_id]] == [
            (BASE_START, BASE_START + timedelta(hours=3)),
            (BASE_START + timedelta(hours=5), BASE_START + timedelta(hours=6)),
        ]
        assert busy[email] == []

    async def test_free_busy_fails_closed_for_an_unreadable_calendar(
        self, provider: GoogleCalendarProvider, calendar_id: str
    ) -> None:
        with pytest.raises(RequestRejected, match="notFound"):
            await provider.free_busy(
                [calendar_id, "someone-else@gmail.test"], BASE_START, BASE_START + timedelta(days=1)
            )
