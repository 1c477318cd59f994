"""Pure sync planning: compare what we want, what we last wrote and what the provider reports.

No I/O here, so every rule can be tested exhaustively. Nothing a plan can say deletes our own
data: a missing or empty remote calendar leads to re-creating events or flagging, never to
removing bookings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping as MappingType
from dataclasses import dataclass
from datetime import datetime

from calendars.providers.base import EventData, RemoteEvent


@dataclass(frozen=True)
class Mapping:
    """What we know of the event we keep for one item in one calendar."""

    external_id: str
    etag: str
    generation: int
    pushed_hash: str
    pushed_starts_at: datetime | None
    pushed_ends_at: datetime | None
    state: str = "synced"  # synced | deleted | remote_deleted
    synced_at: datetime | None = None  # when we last recorded it (database clock)


# --- push: our side changed -------------------------------------------------------------------


@dataclass(frozen=True)
class Create:
    generation: int


@dataclass(frozen=True)
class Update:
    etag: str


@dataclass(frozen=True)
class Delete:
    pass


@dataclass(frozen=True)
class Noop:
    pass


PushAction = Create | Update | Delete | Noop


def event_hash(event: EventData) -> str:
    payload = [
        event.summary,
        event.starts_at.timestamp(),
        event.ends_at.timestamp(),
        event.timezone,
        event.description,
        event.location,
        event.color,
        event.status,
        [(r.method, r.minutes) for r in event.reminders],
        event.key,
    ]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def plan_push(desired: EventData | None, mapping: Mapping | None) -> PushAction:
    if desired is None:
        if mapping is None or mapping.state != "synced":
            return Noop()
        return Delete()
    if mapping is None:
        return Create(0)
    if mapping.state == "deleted":
        return Create(mapping.generation + 1)  # ids of deleted events cannot be reused
    if mapping.state == "remote_deleted":
        return Noop()  # flagged for staff; we do not fight the person who deleted it
    if mapping.pushed_hash != event_hash(desired):
        return Update(mapping.etag)
    return Noop()


# --- inbound: the provider reports a change ---------------------------------------------------


@dataclass(frozen=True)
class AcceptMove:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class PushBack:
    """Our version wins: write it over the remote change."""


@dataclass(frozen=True)
class Restore:
    generation: int


@dataclass(frozen=True)
class FlagDeleted:
    pass


@dataclass(frozen=True)
class Busy:
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class ClearBusy:
    pass


@dataclass(frozen=True)
class Ignore:
    pass


InboundAction = AcceptMove | PushBack | Restore | FlagDeleted | Busy | ClearBusy | Ignore


def plan_inbound(
    remote: RemoteEvent,
    mapping: Mapping | None,
    *,
    accept_moves: bool,
    on_remote_delete: str,
    read_busy: bool,
) -> InboundAction:
    if mapping is None:
        if remote.key is not None or not read_busy:
            return Ignore()  # ours but no longer mapped (older generation), or busy time not wanted
        if not remote.busy or remote.deleted or remote.starts_at is None or remote.ends_at is None:
            return ClearBusy()
        return Busy(remote.starts_at, remote.ends_at)
    if mapping.state != "synced" or remote.etag == mapping.etag:
        return Ignore()  # our own write coming back, or an event we already let go
    if remote.deleted:
        return Restore(mapping.generation + 1) if on_remote_delete == "restore" else FlagDeleted()
    if remote.all_day_start is not None or remote.starts_at is None or remote.ends_at is None:
        return PushBack()  # changed to an all-day event: not a move we can apply
    if (remote.starts_at, remote.ends_at) != (mapping.pushed_starts_at, mapping.pushed_ends_at):
        return AcceptMove(remote.starts_at, remote.ends_at) if accept_moves else PushBack()
    return PushBack()


def shows_content(remote: RemoteEvent, wanted: EventData) -> bool:
    """The remote event already shows what we would write: a new etag alone (a person re-saved the event,
    the server re-serialised it, someone added a guest) is not a change of our content."""
    return not remote.deleted and (remote.summary, remote.starts_at, remote.ends_at, remote.status, remote.key) == (
        wanted.summary,
        wanted.starts_at,
        wanted.ends_at,
        wanted.status,
        wanted.key,
    )


def plan_full(
    desired: MappingType[str, EventData | None],
    mappings: MappingType[str, Mapping],
    remote_ids: set[str] | None,
    *,
    on_remote_delete: str,
) -> dict[str, PushAction | InboundAction]:
    """Reconcile a whole calendar. remote_ids are the ids the provider listed (None: unreadable)."""
    plan: dict[str, PushAction | InboundAction] = {}
    for key in sorted(set(desired) | set(mappings)):
        mapping = mappings.get(key)
        want = desired.get(key)
        gone = (
            remote_ids is not None
            and mapping is not None
            and mapping.state == "synced"
            and mapping.external_id not in remote_ids
        )
        if gone and want is not None:
            assert mapping is not None
            plan[key] = Restore(mapping.generation + 1) if on_remote_delete == "restore" else FlagDeleted()
        elif gone:
            plan[key] = Delete()  # gone remotely and no longer wanted: the engine records it as deleted
        else:
            plan[key] = plan_push(want, mapping)
    return plan
