"""The calendar provider contract: one suite every adapter passes against its own (sandboxed) server.

Use it by subclassing::

    class TestCaldavProvider(ProviderContract):
        @pytest.fixture
        async def provider(self): ...          # a CalendarProvider
        @pytest.fixture
        async def calendar_id(self): ...       # a fresh, empty, writable calendar
        @pytest.fixture
        def mutate_remotely(self): ...         # a RemoteMutation: change/delete "as the user would"

Optional fixtures (the defaults skip the tests that need them):

* ``event_id_for(key) -> str``: our deterministic event id for a key (default: 32 hex characters).
* ``expire_sync_tokens(calendar_id)``: make the server forget every sync token of the calendar.
* ``webhook_url``: an address the server may deliver push notifications to.
* ``throttled_once(seconds)``: an async context giving a provider whose next write the server answers with
  429/503 and ``Retry-After: seconds``, longer than that provider may wait itself.
* ``revoked_provider``: a provider whose grant the person revoked (OAuth) or whose password was withdrawn.

Tests that need a capability the adapter declares it lacks are skipped through `Capabilities`, never
by adapter name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import pytest

from calendars.providers.base import (
    CalendarProvider,
    EventData,
    EventExists,
    EventMissing,
    FullSyncRequired,
    NeedsReconnect,
    PreconditionFailed,
    Reminder,
    RemoteEvent,
    RetryableError,
)
from calendars.sync.plan import shows_content

ZONE = "Europe/Berlin"
DST_ZONES = (
    "America/Los_Angeles",
    "America/Denver",
    "America/Chicago",
    "America/New_York",
    "America/Halifax",
    "America/St_Johns",
    "America/Sao_Paulo",
    "America/Santiago",
    "America/Asuncion",
    "America/Havana",
    "America/Mexico_City",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Kyiv",
    "Europe/Chisinau",
    "Asia/Beirut",
    "Asia/Jerusalem",
    "Asia/Tehran",
    "Africa/Cairo",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "Pacific/Chatham",
    "Antarctica/Troll",
    "Asia/Kolkata",
    "Asia/Tokyo",
)
BASE_START = datetime(2030, 7, 1, 7, 0, tzinfo=UTC)  # 09:00 in Berlin (summer time)


class RemoteMutation(Protocol):
    """Change or delete an event on the server the way a person would in their calendar app."""

    async def __call__(
        self,
        calendar_id: str,
        event_id: str,
        *,
        summary: str | None = None,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        delete: bool = False,
    ) -> None: ...


ExpireSyncTokens = Callable[[str], Awaitable[None]]
Throttled = Callable[[int], AbstractAsyncContextManager[CalendarProvider]]


def sample_event(
    key: str,
    *,
    summary: str = "Mini excavator 1.8 t — Baufirma Müller",
    starts_at: datetime = BASE_START,
    hours: float = 2,
    status: str = "confirmed",
) -> EventData:
    return EventData(
        summary=summary,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        timezone=ZONE,
        description="Booking 42, delivery to site",
        location="Hauptstraße 1, 10115 Berlin",
        color="banana",
        status=status,
        reminders=(Reminder("popup", 30), Reminder("email", 24 * 60)),
        key=key,
    )


def require(provider: CalendarProvider, *capabilities: str) -> None:
    missing = [name for name in capabilities if not getattr(provider.capabilities, name)]
    if missing:
        pytest.skip(f"{provider.name} does not declare {', '.join(missing)}")


async def listed(provider: CalendarProvider, calendar_id: str) -> dict[str, RemoteEvent]:
    page = await provider.list_changes(calendar_id, None)
    return {event.id: event for event in page.events}


class ProviderContract:
    # ---- fixtures an adapter may override -----------------------------------------------------------

    @pytest.fixture
    def event_id_for(self) -> Callable[[str], str]:
        return lambda key: hashlib.sha256(key.encode()).hexdigest()[:32]

    @pytest.fixture
    def expire_sync_tokens(self) -> ExpireSyncTokens:
        pytest.skip("this server offers no way to invalidate sync tokens")

    @pytest.fixture
    def webhook_url(self) -> str:
        pytest.skip("no webhook receiver for this server")

    @pytest.fixture
    def throttled_once(self) -> Throttled:
        pytest.skip("this server cannot be made to throttle")

    @pytest.fixture
    def revoked_provider(self) -> CalendarProvider:
        pytest.skip("this server's grants cannot be revoked here")

    @pytest.fixture
    def key(self) -> str:
        return f"booking:{uuid.uuid4().hex}"

    # ---- basics ------------------------------------------------------------------------------------

    async def test_declares_name_and_capabilities(self, provider: CalendarProvider) -> None:
        assert provider.name
        for name in ("writes", "incremental_changes", "push_notifications", "free_busy", "client_ids"):
            assert isinstance(getattr(provider.capabilities, name), bool)

    async def test_calendar_is_listed_and_writable(self, provider: CalendarProvider, calendar_id: str) -> None:
        calendars = {calendar.id: calendar for calendar in await provider.list_calendars()}
        assert calendar_id in calendars
        assert calendars[calendar_id].writable
        assert sum(1 for calendar in calendars.values() if calendar.primary) <= 1

    # ---- writes -------------------------------------------------------------------------------------

    async def test_create_then_get_round_trips(
        self, provider: CalendarProvider, calendar_id: str, key: str, event_id_for: Callable[[str], str]
    ) -> None:
        require(provider, "writes")
        wanted = sample_event(key)
        created = await provider.create_event(calendar_id, wanted, idempotency_key=key)
        fetched = await provider.get_event(calendar_id, created.id)
        for remote in (created, fetched):
            assert remote.id == created.id
            assert remote.etag
            assert remote.status == "confirmed"
            assert remote.summary == wanted.summary
            assert remote.key == key
            assert remote.starts_at == wanted.starts_at  # the same instant, whatever offset it comes back in
            assert remote.ends_at == wanted.ends_at
            assert remote.starts_at is not None and remote.starts_at.tzinfo is not None
            assert remote.all_day_start is None and remote.all_day_end is None
            assert not remote.transparent
        assert fetched.etag == created.etag

    async def test_tentative_status_round_trips(
        self, provider: CalendarProvider, calendar_id: str, key: str, event_id_for: Callable[[str], str]
    ) -> None:
        require(provider, "writes")
        created = await provider.create_event(calendar_id, sample_event(key, status="tentative"), idempotency_key=key)
        assert created.status == "tentative"
        assert (await provider.get_event(calendar_id, created.id)).status == "tentative"

    async def test_update_with_current_etag(
        self, provider: CalendarProvider, calendar_id: str, key: str, event_id_for: Callable[[str], str]
    ) -> None:
        require(provider, "writes")
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        moved = sample_event(key, summary="Moved: excavator", starts_at=BASE_START + timedelta(days=1), hours=3)
        updated = await provider.update_event(calendar_id, created.id, moved, etag=created.etag)
        assert updated.etag and updated.etag != created.etag
        fetched = await provider.get_event(calendar_id, created.id)
        assert fetched.summary == "Moved: excavator"
        assert fetched.starts_at == moved.starts_at and fetched.ends_at == moved.ends_at
        assert fetched.key == key
        assert fetched.etag == updated.etag

    async def test_update_without_etag_overwrites(
        self,
        provider: CalendarProvider,
        calendar_id: str,
        key: str,
        event_id_for: Callable[[str], str],
        mutate_remotely: RemoteMutation,
    ) -> None:
        require(provider, "writes")
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        await mutate_remotely(calendar_id, created.id, summary="Changed by a person")
        updated = await provider.update_event(calendar_id, created.id, sample_event(key, summary="Ours again"))
        assert updated.summary == "Ours again"

    async def test_update_with_stale_etag_is_refused(
        self,
        provider: CalendarProvider,
        calendar_id: str,
        key: str,
        event_id_for: Callable[[str], str],
        mutate_remotely: RemoteMutation,
    ) -> None:
        require(provider, "writes")
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        await mutate_remotely(calendar_id, created.id, summary="Changed by a person")
        with pytest.raises(PreconditionFailed):
            await provider.update_event(calendar_id, created.id, sample_event(key, summary="Ours"), etag=created.etag)
        assert (await provider.get_event(calendar_id, created.id)).summary == "Changed by a person"

    async def test_update_of_unknown_event_is_missing(
        self, provider: CalendarProvider, calendar_id: str, key: str, event_id_for: Callable[[str], str]
    ) -> None:
        require(provider, "writes")
        with pytest.raises(EventMissing):
            await provider.update_event(calendar_id, event_id_for(key), sample_event(key))

    async def test_delete_then_delete_again_is_missing(
        self, provider: CalendarProvider, calendar_id: str, key: str, event_id_for: Callable[[str], str]
    ) -> None:
        require(provider, "writes")
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        await provider.delete_event(calendar_id, created.id, etag=created.etag)
        with pytest.raises(EventMissing):
            await provider.delete_event(calendar_id, created.id)
        try:
            gone = await provider.get_event(calendar_id, created.id)
        except EventMissing:
            pass
        else:  # some servers (Google) keep deleted events readable as cancelled
            assert gone.status == "cancelled"
        assert created.id not in await listed(provider, calendar_id)

    async def test_delete_with_stale_etag_is_refused(
        self,
        provider: CalendarProvider,
        calendar_id: str,
        key: str,
        event_id_for: Callable[[str], str],
        mutate_remotely: RemoteMutation,
    ) -> None:
        require(provider, "writes")
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        await mutate_remotely(calendar_id, created.id, summary="Changed by a person")
        with pytest.raises(PreconditionFailed):
            await provider.delete_event(calendar_id, created.id, etag=created.etag)
        assert (await provider.get_event(calendar_id, created.id)).status == "confirmed"

    async def test_delete_of_unknown_event_is_missing(
        self, provider: CalendarProvider, calendar_id: str, key: str, event_id_for: Callable[[str], str]
    ) -> None:
        require(provider, "writes")
        with pytest.raises(EventMissing):
            await provider.delete_event(calendar_id, event_id_for(key))

    async def test_get_of_unknown_event_is_missing(
        self, provider: CalendarProvider, calendar_id: str, key: str, event_id_for: Callable[[str], str]
    ) -> None:
        with pytest.raises(EventMissing):
            await provider.get_event(calendar_id, event_id_for(key))

    async def test_retried_create_makes_one_event(self, provider: CalendarProvider, calendar_id: str, key: str) -> None:
        """The same idempotency key twice (a retry whose first reply was lost) gives one event of ours."""
        require(provider, "writes")
        first = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        again = await provider.create_event(
            calendar_id, sample_event(key, summary="A retried create"), idempotency_key=key
        )
        assert again.id == first.id
        events = await listed(provider, calendar_id)
        assert [e.id for e in events.values() if e.key == key and not e.deleted] == [first.id]
        assert events[first.id].summary == "A retried create"  # the retry's content wins: it is the newer

    async def test_identity_held_by_another_item_is_a_conflict(
        self, provider: CalendarProvider, calendar_id: str, key: str
    ) -> None:
        require(provider, "writes")
        await provider.create_event(calendar_id, sample_event("booking:someone-else"), idempotency_key=key)
        with pytest.raises(EventExists):
            await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)

    # ---- reading changes ---------------------------------------------------------------------------

    async def test_full_then_incremental_changes(
        self,
        provider: CalendarProvider,
        calendar_id: str,
        event_id_for: Callable[[str], str],
        mutate_remotely: RemoteMutation,
    ) -> None:
        require(provider, "writes", "incremental_changes")
        keys = [f"booking:{uuid.uuid4().hex}" for _ in range(3)]
        created = [
            await provider.create_event(
                calendar_id, sample_event(k, starts_at=BASE_START + timedelta(days=i)), idempotency_key=k
            )
            for i, k in enumerate(keys)
        ]
        full = await provider.list_changes(calendar_id, None)
        assert full.full is True
        assert full.next_sync_token
        assert {e.id for e in created} <= {e.id for e in full.events}
        assert all(e.status != "cancelled" for e in full.events)

        quiet = await provider.list_changes(calendar_id, full.next_sync_token)
        assert quiet.full is False
        assert quiet.events == []
        assert quiet.next_sync_token

        changed, removed, untouched = created
        new_start = BASE_START + timedelta(days=5)
        await mutate_remotely(
            calendar_id,
            changed.id,
            summary="Moved by a person",
            starts_at=new_start,
            ends_at=new_start + timedelta(hours=1),
        )
        await mutate_remotely(calendar_id, removed.id, delete=True)

        delta = await provider.list_changes(calendar_id, quiet.next_sync_token)
        assert delta.full is False
        by_id = {e.id: e for e in delta.events}
        assert set(by_id) == {changed.id, removed.id}
        assert by_id[changed.id].summary == "Moved by a person"
        assert by_id[changed.id].starts_at == new_start
        assert by_id[changed.id].etag != changed.etag
        assert by_id[changed.id].key == keys[0]
        assert by_id[removed.id].status == "cancelled"
        assert untouched.id not in by_id
        assert delta.next_sync_token

        after = await provider.list_changes(calendar_id, delta.next_sync_token)
        assert after.events == []

    async def test_an_empty_calendar_lists_nothing_and_gives_a_cursor(
        self, provider: CalendarProvider, calendar_id: str
    ) -> None:
        """An empty listing is an answer (full, no events, a cursor), never an error and never a guess."""
        require(provider, "incremental_changes")
        page = await provider.list_changes(calendar_id, None)
        assert (page.full, page.events) == (True, [])
        assert page.next_sync_token
        assert (await provider.list_changes(calendar_id, page.next_sync_token)).events == []

    async def test_a_listing_holds_what_it_says_it_covers(
        self, provider: CalendarProvider, calendar_id: str, key: str
    ) -> None:
        """Absence proves something only inside the listing's covered span: our event is listed and inside it."""
        require(provider, "writes")
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        page = await provider.list_changes(calendar_id, None)
        assert created.id in {e.id for e in page.events}
        if page.covers is not None:
            covered_from, covered_to = page.covers
            assert covered_from <= BASE_START and BASE_START + timedelta(hours=2) <= covered_to
            assert all(
                covered_from < e.ends_at and e.starts_at < covered_to
                for e in page.events
                if e.starts_at is not None and e.ends_at is not None
            )

    async def test_a_resave_without_changes_is_not_a_content_change(
        self, provider: CalendarProvider, calendar_id: str, key: str, mutate_remotely: RemoteMutation
    ) -> None:
        """A person opening and saving the event, or the server re-serialising it, may give a new etag; what
        the adapter reads back still shows exactly our content, so the engine writes nothing back."""
        require(provider, "writes")
        wanted = sample_event(key)
        created = await provider.create_event(calendar_id, wanted, idempotency_key=key)
        await mutate_remotely(calendar_id, created.id)
        assert shows_content(await provider.get_event(calendar_id, created.id), wanted)
        assert shows_content((await listed(provider, calendar_id))[created.id], wanted)
        moved = BASE_START + timedelta(days=1)
        await mutate_remotely(calendar_id, created.id, starts_at=moved, ends_at=moved + timedelta(hours=2))
        assert not shows_content(await provider.get_event(calendar_id, created.id), wanted)

    async def test_own_writes_show_up_as_changes(
        self, provider: CalendarProvider, calendar_id: str, key: str, event_id_for: Callable[[str], str]
    ) -> None:
        require(provider, "writes", "incremental_changes")
        start = await provider.list_changes(calendar_id, None)
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        delta = await provider.list_changes(calendar_id, start.next_sync_token)
        assert [(e.id, e.key, e.etag) for e in delta.events] == [(created.id, key, created.etag)]

    async def test_expired_sync_token_requires_full_sync(
        self,
        provider: CalendarProvider,
        calendar_id: str,
        key: str,
        event_id_for: Callable[[str], str],
        expire_sync_tokens: ExpireSyncTokens,
    ) -> None:
        require(provider, "writes", "incremental_changes")
        created = await provider.create_event(calendar_id, sample_event(key), idempotency_key=key)
        first = await provider.list_changes(calendar_id, None)
        assert first.next_sync_token
        await expire_sync_tokens(calendar_id)
        with pytest.raises(FullSyncRequired):
            await provider.list_changes(calendar_id, first.next_sync_token)
        again = await provider.list_changes(calendar_id, None)
        assert again.full is True
        assert created.id in {e.id for e in again.events}
        assert again.next_sync_token and again.next_sync_token != first.next_sync_token
        assert (await provider.list_changes(calendar_id, again.next_sync_token)).events == []

    # ---- what people put in calendars --------------------------------------------------------------

    async def test_special_characters_round_trip(self, provider: CalendarProvider, calendar_id: str, key: str) -> None:
        """Text people type (quotes, commas, semicolons, backslashes, emoji, other scripts, new lines)."""
        require(provider, "writes")
        text = 'Bagger "XL", 1/2; C:\\Yard \u2014 Stra\u00dfe 5 \U0001f69c \u6771\u4eac\nLine two'
        wanted = dataclasses.replace(sample_event(key), summary=text, location=text, description=text)
        created = await provider.create_event(calendar_id, wanted, idempotency_key=key)
        fetched = await provider.get_event(calendar_id, created.id)
        assert fetched.summary == text
        assert fetched.key == key

    async def test_the_same_instant_in_thirty_zones_across_dst(
        self, provider: CalendarProvider, calendar_id: str
    ) -> None:
        """Written in the company's zone on both sides of its DST change, read back as the same instants."""
        require(provider, "writes")
        for zone in DST_ZONES:
            local = ZoneInfo(zone)
            for month in (3, 10):  # around the northern changes; southern zones change near them too
                starts_at = datetime(2031, month, 28, 9, 30, tzinfo=local)
                key = f"booking:{uuid.uuid4().hex}"
                wanted = dataclasses.replace(sample_event(key, starts_at=starts_at, hours=50), timezone=zone, key=key)
                created = await provider.create_event(calendar_id, wanted, idempotency_key=key)
                fetched = await provider.get_event(calendar_id, created.id)
                assert (fetched.starts_at, fetched.ends_at) == (wanted.starts_at, wanted.ends_at), zone

    # ---- when the server says no ------------------------------------------------------------------------

    async def test_a_long_retry_after_reaches_the_caller(
        self, provider: CalendarProvider, calendar_id: str, key: str, throttled_once: Throttled
    ) -> None:
        """A Retry-After longer than the adapter may wait goes to the caller, who re-queues with that delay;
        nothing was written."""
        require(provider, "writes")
        async with throttled_once(120) as busy:
            with pytest.raises(RetryableError) as raised:
                await busy.create_event(calendar_id, sample_event(key), idempotency_key=key)
        assert raised.value.retry_after == 120.0
        assert [e for e in (await listed(provider, calendar_id)).values() if e.key == key] == []

    async def test_a_revoked_grant_needs_reconnect(self, revoked_provider: CalendarProvider) -> None:
        with pytest.raises(NeedsReconnect):
            await revoked_provider.list_calendars()

    # ---- push notifications and free/busy ------------------------------------------------------------

    async def test_watch_then_stop(self, provider: CalendarProvider, calendar_id: str, webhook_url: str) -> None:
        require(provider, "push_notifications")
        channel_id = str(uuid.uuid4())
        channel = await provider.watch(calendar_id, channel_id, webhook_url, "channel-secret")
        assert channel.id == channel_id
        assert channel.resource_id
        assert channel.token == "channel-secret"
        assert channel.expires_at.tzinfo is not None and channel.expires_at > datetime.now(UTC)
        await provider.stop_channel(channel.id, channel.resource_id)

    async def test_free_busy_reports_our_events(
        self, provider: CalendarProvider, calendar_id: str, key: str, event_id_for: Callable[[str], str]
    ) -> None:
        require(provider, "writes", "free_busy")
        event = sample_event(key)
        await provider.create_event(calendar_id, event, idempotency_key=key)
        window_start, window_end = event.starts_at - timedelta(hours=6), event.ends_at + timedelta(hours=6)
        busy = await provider.free_busy([calendar_id], window_start, window_end)
        assert [(b.starts_at, b.ends_at) for b in busy[calendar_id]] == [(event.starts_at, event.ends_at)]
        earlier = await provider.free_busy([calendar_id], window_start - timedelta(days=2), window_start)
        assert earlier == {calendar_id: []}
