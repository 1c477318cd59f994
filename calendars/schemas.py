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


class CalendarSetting(msgspec.Struct, forbid_unknown_fields=True):
    id: int
    write_kinds: list[Kind] = []
    read_busy: bool = False


class IntegrationSettings(msgspec.Struct, forbid_unknown_fields=True):
    direction: Direction | None = None
    on_remote_delete: Literal["restore", "flag"] | None = None
    include_all_bookings: bool | None = None
    calendars: list[CalendarSetting] | None = None


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
