"""The one provider interface every calendar adapter implements, and its shared types.

Adapters state what they can do (`Capabilities`) instead of raising on what they cannot. They
speak in `EventData` (what we want in the calendar) and `RemoteEvent` (what is there), and
raise only the errors below, so the sync engine never sees a provider's wire format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, TypeAlias


@dataclass(frozen=True)
class Capabilities:
    writes: bool
    incremental_changes: bool
    push_notifications: bool
    free_busy: bool
    client_ids: bool  # the event id can be chosen by us (idempotent create)
    renew_in_place: bool = False  # subscriptions can be extended without opening a new one


@dataclass(frozen=True)
class RemoteCalendar:
    id: str
    name: str
    primary: bool
    writable: bool
    timezone: str | None = None
    color: str | None = None


@dataclass(frozen=True)
class Reminder:
    method: str  # "email" | "popup"
    minutes: int


@dataclass(frozen=True)
class EventData:
    """An event as we want it to be in the external calendar."""

    summary: str
    starts_at: datetime  # aware
    ends_at: datetime  # aware
    timezone: str  # IANA zone of the company
    description: str = ""
    location: str = ""
    color: str | None = None  # a name of the neutral palette (calendars.palette); each adapter maps it
    status: str = "confirmed"  # confirmed | tentative
    reminders: tuple[Reminder, ...] = ()
    key: str = ""  # our stable key, e.g. "booking:42", stored in the event's private properties
    origin: str = ""  # which of our calendars wrote it (target id): tells our own copies from orphans


@dataclass(frozen=True)
class RemoteEvent:
    """An event as the provider reports it."""

    id: str
    etag: str
    status: str  # confirmed | tentative | cancelled
    summary: str = ""
    starts_at: datetime | None = None  # None for cancelled stubs
    ends_at: datetime | None = None
    all_day_start: date | None = None
    all_day_end: date | None = None
    key: str | None = None  # our key when we created it
    transparent: bool = False
    updated: datetime | None = None
    origin: str | None = None  # EventData.origin as written (None for events written before it existed)
    # Counts as busy time for the calendar's owner: opaque, not cancelled, not declined by the owner.
    # All-day events carry starts_at/ends_at at local midnights of the calendar's zone.
    busy: bool = True
    series_id: str | None = None  # the recurring series an occurrence belongs to

    @property
    def deleted(self) -> bool:
        return self.status == "cancelled"


@dataclass(frozen=True)
class Write:
    """One event write of a batch: a create (no event_id; idempotency_key), an update (event_id and event;
    etag for If-Match) or a delete (event_id, no event)."""

    calendar_id: str
    event: EventData | None
    event_id: str = ""
    etag: str | None = None
    idempotency_key: str = ""


@dataclass(frozen=True)
class ChangePage:
    events: list[RemoteEvent]
    next_sync_token: str | None  # the opaque change cursor (Google syncToken, Graph deltaLink, CalDAV sync-token)
    full: bool  # True when this was a full listing (first sync or after 410)
    # The span inside which a full listing is complete (None: the whole calendar). An event of ours
    # outside it proves nothing when it is missing.
    covers: tuple[datetime, datetime] | None = None


@dataclass(frozen=True)
class Channel:
    id: str
    resource_id: str
    expires_at: datetime
    token: str


@dataclass(frozen=True)
class BusyInterval:
    starts_at: datetime
    ends_at: datetime


@dataclass
class Credentials:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scope: str = ""
    extra: dict[str, str] = field(default_factory=dict)


class ProviderError(Exception):
    """Base of everything an adapter raises."""


class RetryableError(ProviderError):
    """Rate limit or server trouble: try again later (after retry_after seconds if known)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthExpired(ProviderError):
    """The access token was refused; refresh it and try again."""


class NeedsReconnect(ProviderError):
    """The grant is gone (invalid_grant, revoked): a person must connect again."""


class EventMissing(ProviderError):
    """The event does not exist (404) or was deleted (410 on delete)."""


class EventExists(ProviderError):
    """A create with our deterministic id found the id taken (409 duplicate)."""


class PreconditionFailed(ProviderError):
    """If-Match failed: the event changed remotely since we last saw it (412)."""


class FullSyncRequired(ProviderError):
    """The sync token is no longer valid (410): list everything again."""


class RequestRejected(ProviderError):
    """The provider refused the request (400/403 other than short rate limits). Not retryable now: the
    item stays due and a reconciler tries again on a long schedule (after retry_after when known, e.g.
    a daily quota)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CalendarReadOnly(RequestRejected):
    """A write was refused because the calendar is read-only for this account (CalDAV 403): stop writing
    there rather than retrying; the calendar can still be read for busy time."""


# What a batched write came to: the event written, None for a delete, or the error of that call alone.
WriteResult: TypeAlias = RemoteEvent | ProviderError | None


class BatchWriter(Protocol):
    """A provider that can send many writes, for its own and other accounts of the same service, in one
    request. Writes with the same `batch_group` may share a batch; `write_batch` answers each on its own."""

    batch_group: str

    async def write_batch(self, writes: Sequence[tuple[BatchWriter, Write]]) -> list[WriteResult]: ...


class CalendarProvider(Protocol):
    name: str
    capabilities: Capabilities

    async def list_calendars(self) -> list[RemoteCalendar]: ...

    async def create_event(self, calendar_id: str, event: EventData, *, idempotency_key: str) -> RemoteEvent:
        """Create one event per idempotency key: a retry with the same key returns the event the first
        try made (Google: a deterministic id; Graph: transactionId; CalDAV: the resource name).
        Raises EventExists only when what holds that identity is not our event."""
        ...

    async def get_event(self, calendar_id: str, event_id: str) -> RemoteEvent: ...

    async def update_event(
        self, calendar_id: str, event_id: str, event: EventData, etag: str | None = None
    ) -> RemoteEvent:
        """Write our fields only (what people added, such as guests or notes, stays); with etag, raise
        PreconditionFailed when it no longer matches."""
        ...

    async def delete_event(self, calendar_id: str, event_id: str, etag: str | None = None) -> None:
        """Delete; an already missing or deleted event raises EventMissing."""
        ...

    async def list_changes(self, calendar_id: str, sync_token: str | None) -> ChangePage:
        """All pages of changes since sync_token (everything when None); FullSyncRequired on 410.
        Recurring series come as their occurrences (with exceptions applied), each with `busy` set."""
        ...

    async def watch(self, calendar_id: str, channel_id: str, address: str, token: str) -> Channel: ...

    async def renew_channel(self, channel_id: str) -> datetime:
        """Extend a channel in place and return its new expiry (only with `capabilities.renew_in_place`;
        others raise RequestRejected). EventMissing when the channel is gone: open a new one."""
        ...

    async def stop_channel(self, channel_id: str, resource_id: str) -> None: ...

    async def free_busy(
        self, calendar_ids: list[str], start: datetime, end: datetime
    ) -> dict[str, list[BusyInterval]]: ...
