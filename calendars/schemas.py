"""msgspec schemas of the calendar integrations API."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

Direction = Literal["two_way", "one_way_to_external", "one_way_from_external"]
Kind = Literal["bookings", "maintenance", "deliveries"]


class CalendarChoice(msgspec.Struct):
    id: int
    external_id: str
    name: str
    write_kinds: list[Kind]
    read_busy: bool
    last_read_at: datetime | None
    read_error: str
    # False: shared read-only with this account; only read for busy time, nothing can be written there
    writable: bool = True
    write_error: str = ""  # why Rentcal stopped writing there (the server refused a write as read-only)


class CalendarAudit(msgspec.Struct):
    calendar: str
    expected: int  # events that should be there
    duplicates: list[str] = []  # item keys with more than one live event
    orphans: list[str] = []  # event ids of ours that we do not map
    missing: list[str] = []  # item keys whose event is not there
    stale: list[str] = []  # item keys whose event differs from our item
    unreadable: str = ""  # why the calendar could not be read


class AuditReport(msgspec.Struct):
    checked_at: datetime
    calendars: list[CalendarAudit]
    fixed: bool = False

    @property
    def problems(self) -> int:
        return sum(len(c.duplicates) + len(c.orphans) + len(c.missing) + len(c.stale) for c in self.calendars)


class Integration(msgspec.Struct):
    id: int
    provider: str
    account_email: str
    user_id: int
    status: str
    status_detail: str
    direction: Direction
    on_remote_delete: Literal["restore", "flag"]
    include_all_bookings: bool
    last_synced_at: datetime | None
    calendars: list[CalendarChoice]
    live_updates: bool = False  # push notifications; otherwise the calendar is read every read_every_minutes
    read_every_minutes: float = 15.0
    refused_items: int = 0  # items the provider keeps refusing (tried again automatically)
    refused_reason: str = ""
    audit: AuditReport | None = None  # the latest `rentcal sync audit` of this connection


class CalendarSetting(msgspec.Struct, forbid_unknown_fields=True):
    id: int
    write_kinds: list[Kind] = []
    read_busy: bool = False


class IntegrationSettings(msgspec.Struct, forbid_unknown_fields=True):
    direction: Direction | None = None
    on_remote_delete: Literal["restore", "flag"] | None = None
    include_all_bookings: bool | None = None
    calendars: list[CalendarSetting] | None = None
    # A calendar that stops receiving a kind: remove the events of that kind already there (default),
    # or keep them there as plain events that Rentcal no longer updates.
    keep_removed_events: bool = False


class AuthorizeStart(msgspec.Struct):
    authorization_url: str
    state: str


class ConnectionTest(msgspec.Struct):
    ok: bool
    detail: str
    calendars: int = 0


class MappedEvent(msgspec.Struct):
    item_key: str
    calendar: str
    external_id: str
    state: str
    last_synced_at: datetime


class Conflict(msgspec.Struct):
    id: int
    integration_id: int
    item_key: str
    kind: str
    detail: str
    remote_starts_at: datetime | None
    remote_ends_at: datetime | None
    created_at: datetime


class Accepted(msgspec.Struct):
    status: str = "accepted"


class CaldavConnect(msgspec.Struct, forbid_unknown_fields=True):
    """Connect Apple iCloud / CalDAV: the server address, the user name and an (app-specific) password."""

    server_url: str
    username: str
    password: str

    def __repr__(self) -> str:  # never show the password in logs or tracebacks
        return f"CaldavConnect(server_url={self.server_url!r}, username={self.username!r})"
