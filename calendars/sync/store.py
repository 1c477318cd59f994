"""Reading and writing integration state: targets, mappings, sync logs, conflicts, busy time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from calendars.providers.base import EventData, RemoteEvent
from calendars.sync.plan import Mapping
from calendars.tables import (
    CalendarEvent,
    CalendarIntegration,
    CalendarSyncLog,
    CalendarTarget,
    ExternalBusy,
    SyncConflict,
)
from rental import outbox

WRITING_DIRECTIONS = ("two_way", "one_way_to_external")


@dataclass(frozen=True)
class Target:
    id: int
    company_id: int
    integration_id: int
    external_id: str
    write_kinds: frozenset[str]
    read_busy: bool
    sync_token: str | None
    # from the integration
    user_id: int
    user_role: str
    direction: str
    on_remote_delete: str
    include_all_bookings: bool
    status: str
    writable: bool = True  # False: a read-only calendar, only read for busy time

    @property
    def inbound(self) -> bool:
        """Changes are read from this calendar (our events moved, or busy time)."""
        return self.status == "active" and (self.read_busy or (bool(self.write_kinds) and self.direction == "two_way"))


_TARGET_SQL = """
SELECT t.id, t.company, t.integration, t.external_id, t.write_kinds, t.read_busy, t.sync_token,
       i.user AS user_id, s.role AS user_role, i.direction, i.on_remote_delete, i.include_all_bookings, i.status,
       t.writable
FROM calendar_target t JOIN calendar_integration i ON i.id = t.integration JOIN staff_user s ON s.id = i.user
"""


def _target(row: dict[str, Any]) -> Target:
    kinds = row["write_kinds"]
    if isinstance(kinds, str):
        import json

        kinds = json.loads(kinds)
    return Target(
        row["id"],
        row["company"],
        row["integration"],
        row["external_id"],
        frozenset(kinds or []),
        row["read_busy"],
        row["sync_token"],
        row["user_id"],
        row["user_role"],
        row["direction"],
        row["on_remote_delete"],
        row["include_all_bookings"],
        row["status"],
        row["writable"],
    )


async def write_targets(company_id: int) -> list[Target]:
    rows = await CalendarTarget.raw(
        _TARGET_SQL + " WHERE t.company = {} AND i.status = 'active' AND i.direction = ANY({})"
        " AND t.writable AND jsonb_array_length(t.write_kinds) > 0 ORDER BY t.id",
        company_id,
        list(WRITING_DIRECTIONS),
    )
    return [_target(r) for r in rows]


async def mapped_targets(item_key: str) -> list[Target]:
    rows = await CalendarTarget.raw(
        _TARGET_SQL + " WHERE t.id IN (SELECT target FROM calendar_event WHERE item_key = {})", item_key
    )
    return [_target(r) for r in rows]


async def target(target_id: int) -> Target | None:
    rows = await CalendarTarget.raw(_TARGET_SQL + " WHERE t.id = {}", target_id)
    return _target(rows[0]) if rows else None


async def integration_targets(integration_id: int) -> list[Target]:
    rows = await CalendarTarget.raw(_TARGET_SQL + " WHERE t.integration = {} ORDER BY t.id", integration_id)
    return [_target(r) for r in rows]


async def integration_row(integration_id: int) -> dict[str, Any] | None:
    row = await CalendarIntegration.select().where(CalendarIntegration.id == integration_id).first()
    return dict(row) if row else None


async def integration_rows(integration_ids: set[int]) -> dict[int, dict[str, Any]]:
    rows = await CalendarIntegration.select().where(CalendarIntegration.id.is_in(list(integration_ids or {0})))
    return {int(r["id"]): dict(r) for r in rows}


def _mapping(row: dict[str, Any]) -> Mapping:
    return Mapping(
        row["external_id"],
        row["etag"],
        row["generation"],
        row["pushed_hash"],
        row["pushed_starts_at"],
        row["pushed_ends_at"],
        row["state"],
        row["last_synced_at"],
    )


async def mapping(target_id: int, item_key: str) -> Mapping | None:
    row = (
        await CalendarEvent.select()
        .where((CalendarEvent.target == target_id) & (CalendarEvent.item_key == item_key))
        .first()
    )
    return _mapping(row) if row else None


_PAIRS = "(target, item_key) IN (SELECT * FROM unnest({}::int[], {}::text[]))"


async def mappings_of_pairs(pairs: list[tuple[int, str]]) -> dict[tuple[int, str], Mapping]:
    """The mappings of many (target, item) pairs in one query."""
    rows = await CalendarEvent.raw(
        "SELECT * FROM calendar_event WHERE " + _PAIRS, [t for t, _ in pairs], [k for _, k in pairs]
    )
    return {(int(r["target"]), str(r["item_key"])): _mapping(r) for r in rows}


@dataclass(frozen=True)
class Written:
    """An event we wrote, to record as the (target, item) mapping."""

    target: Target
    item_key: str
    external_id: str
    etag: str
    generation: int
    pushed_hash: str
    starts_at: datetime
    ends_at: datetime


async def save_mappings(written: list[Written]) -> None:
    """`save_mapping` (state synced) for many events in one statement."""
    if not written:
        return
    columns: list[list[Any]] = [
        [w.target.company_id for w in written],
        [w.target.integration_id for w in written],
        [w.target.id for w in written],
        [w.item_key for w in written],
        [w.external_id for w in written],
        [w.etag for w in written],
        [w.generation for w in written],
        [w.pushed_hash for w in written],
        [w.starts_at for w in written],
        [w.ends_at for w in written],
    ]
    await CalendarEvent.raw(
        """
        INSERT INTO calendar_event (company, integration, target, item_key, external_id, etag, generation,
                                    pushed_hash, pushed_starts_at, pushed_ends_at, state, last_synced_at)
        SELECT c, i, t, k, x, e, g, h, s, f, 'synced', now()
        FROM unnest({}::int[], {}::int[], {}::int[], {}::text[], {}::text[], {}::text[], {}::int[], {}::text[],
                    {}::timestamptz[], {}::timestamptz[]) AS w(c, i, t, k, x, e, g, h, s, f)
        ON CONFLICT (target, item_key) DO UPDATE SET external_id = EXCLUDED.external_id, etag = EXCLUDED.etag,
            generation = EXCLUDED.generation, pushed_hash = EXCLUDED.pushed_hash,
            pushed_starts_at = EXCLUDED.pushed_starts_at, pushed_ends_at = EXCLUDED.pushed_ends_at,
            state = 'synced', last_synced_at = now()
        """,
        *columns,
    )


async def mark_deleted(pairs: list[tuple[int, str]]) -> None:
    """`set_mapping_state(..., "deleted")` for many (target, item) pairs in one statement."""
    if pairs:
        await CalendarEvent.raw(
            "UPDATE calendar_event SET state = 'deleted', last_synced_at = now() WHERE " + _PAIRS,
            [t for t, _ in pairs],
            [k for _, k in pairs],
        )


async def mapping_by_external_id(target_id: int, external_id: str) -> tuple[str, Mapping] | None:
    row = (
        await CalendarEvent.select()
        .where((CalendarEvent.target == target_id) & (CalendarEvent.external_id == external_id))
        .first()
    )
    return (row["item_key"], _mapping(row)) if row else None


async def mappings_of_target(target_id: int) -> dict[str, Mapping]:
    rows = await CalendarEvent.select().where(CalendarEvent.target == target_id)
    return {r["item_key"]: _mapping(r) for r in rows}


async def save_mapping(
    target: Target,
    item_key: str,
    external_id: str,
    *,
    etag: str,
    generation: int,
    pushed_hash: str,
    event: EventData | RemoteEvent | None,
    state: str = "synced",
) -> None:
    starts = getattr(event, "starts_at", None)
    ends = getattr(event, "ends_at", None)
    await CalendarEvent.raw(
        """
        INSERT INTO calendar_event (company, integration, target, item_key, external_id, etag, generation,
                                    pushed_hash, pushed_starts_at, pushed_ends_at, state, last_synced_at)
        VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, now())
        ON CONFLICT (target, item_key) DO UPDATE SET external_id = EXCLUDED.external_id, etag = EXCLUDED.etag,
            generation = EXCLUDED.generation, pushed_hash = EXCLUDED.pushed_hash,
            pushed_starts_at = COALESCE(EXCLUDED.pushed_starts_at, calendar_event.pushed_starts_at),
            pushed_ends_at = COALESCE(EXCLUDED.pushed_ends_at, calendar_event.pushed_ends_at),
            state = EXCLUDED.state, last_synced_at = now()
        """,
        target.company_id,
        target.integration_id,
        target.id,
        item_key,
        external_id,
        etag,
        generation,
        pushed_hash,
        starts,
        ends,
        state,
    )


async def set_mapping_state(target_id: int, item_key: str, state: str, etag: str | None = None) -> None:
    values: dict[Any, Any] = {CalendarEvent.state: state, CalendarEvent.last_synced_at: datetime.now(UTC)}
    if etag is not None:
        values[CalendarEvent.etag] = etag
    await CalendarEvent.update(values).where((CalendarEvent.target == target_id) & (CalendarEvent.item_key == item_key))


async def note_remote(target_id: int, item_key: str, remote: RemoteEvent) -> None:
    """Remember the remote etag and times we accepted, without claiming our content is there."""
    await CalendarEvent.update(
        {
            CalendarEvent.etag: remote.etag,
            CalendarEvent.pushed_starts_at: remote.starts_at,
            CalendarEvent.pushed_ends_at: remote.ends_at,
        }
    ).where((CalendarEvent.target == target_id) & (CalendarEvent.item_key == item_key))


async def log(
    target: Target | int,
    operation: str,
    *,
    item_key: str = "",
    external_id: str = "",
    outcome: str = "ok",
    detail: str = "",
    company_id: int | None = None,
) -> None:
    if isinstance(target, Target):
        company_id, integration_id = target.company_id, target.integration_id
    else:
        integration_id = target
    assert company_id is not None
    await CalendarSyncLog.insert(
        CalendarSyncLog(
            company=company_id,
            integration=integration_id,
            operation=operation,
            item_key=item_key,
            external_id=external_id[:1024],
            outcome=outcome,
            detail=detail[:2000],
        )
    )


@dataclass(frozen=True)
class LogEntry:
    target: Target
    operation: str
    item_key: str = ""
    external_id: str = ""


async def log_many(entries: list[LogEntry]) -> None:
    """Successful operations, one sync-log row each, in one statement (arrays, not one parameter per cell)."""
    if entries:
        await CalendarSyncLog.raw(
            """
            INSERT INTO calendar_sync_log (company, integration, operation, item_key, external_id)
            SELECT * FROM unnest({}::int[], {}::int[], {}::text[], {}::text[], {}::text[])
            """,
            [e.target.company_id for e in entries],
            [e.target.integration_id for e in entries],
            [e.operation for e in entries],
            [e.item_key for e in entries],
            [e.external_id[:1024] for e in entries],
        )


async def record_conflict(
    target: Target, item_key: str, kind: str, detail: str, remote: RemoteEvent | None = None
) -> None:
    """A change from the calendar we could not apply; with it, in one transaction, the outbox event that
    tells the people concerned (the mail side reads it: the engine sends no mail)."""
    async with SyncConflict._meta.db.transaction():
        rows = await SyncConflict.insert(
            SyncConflict(
                company=target.company_id,
                integration=target.integration_id,
                item_key=item_key,
                kind=kind,
                detail=detail[:2000],
                remote_starts_at=remote.starts_at if remote else None,
                remote_ends_at=remote.ends_at if remote else None,
            )
        ).returning(SyncConflict.id)
        await outbox.record(
            target.company_id,
            "calendar.change_refused",
            int(rows[0]["id"]),
            _change(target, item_key, kind, remote, detail),
        )


async def record_applied(target: Target, item_key: str, remote: RemoteEvent) -> None:
    """A move made in the calendar was applied to the item: the people concerned are told."""
    item_id = int(item_key.partition(":")[2])
    await outbox.record(
        target.company_id, "calendar.change_applied", item_id, _change(target, item_key, "moved", remote)
    )


def _change(target: Target, item_key: str, change: str, remote: RemoteEvent | None, detail: str = "") -> dict[str, Any]:
    return {
        "item_key": item_key,
        "change": change,
        "integration_id": target.integration_id,
        "starts_at": remote.starts_at.isoformat() if remote and remote.starts_at else None,
        "ends_at": remote.ends_at.isoformat() if remote and remote.ends_at else None,
        "detail": detail[:500],
    }


async def save_busy(target: Target, external_id: str, starts_at: datetime, ends_at: datetime) -> None:
    await ExternalBusy.raw(
        """
        INSERT INTO external_busy (company, staff, target, external_id, starts_at, ends_at)
        VALUES ({}, {}, {}, {}, {}, {})
        ON CONFLICT (target, external_id) DO UPDATE SET starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at
        """,
        target.company_id,
        target.user_id,
        target.id,
        external_id,
        starts_at,
        ends_at,
    )


async def clear_busy(target_id: int, external_id: str) -> None:
    """Forget an event's busy time; for a recurring series, that of all its occurrences (`{id}_{start}`)."""
    occurrences = external_id.replace("\\", "\\\\").replace("_", "\\_").replace("%", "\\%") + "\\_%"
    await ExternalBusy.raw(
        "DELETE FROM external_busy WHERE target = {} AND (external_id = {} OR external_id LIKE {})",
        target_id,
        external_id,
        occurrences,
    )


async def database_now() -> datetime:
    """The database's clock, which also stamps mappings (so the two compare without clock skew)."""
    rows = await ExternalBusy.raw("SELECT clock_timestamp() AS now")
    return rows[0]["now"]  # type: ignore[no-any-return]


async def keep_only_busy(target_id: int, external_ids: set[str]) -> None:
    await ExternalBusy.raw(
        "DELETE FROM external_busy WHERE target = {} AND NOT (external_id = ANY({}))", target_id, list(external_ids)
    )


async def save_read_state(target_id: int, sync_token: str | None, error: str = "") -> None:
    values: dict[Any, Any] = {CalendarTarget.read_error: error[:2000]}
    if not error:
        values[CalendarTarget.sync_token] = sync_token
        values[CalendarTarget.last_read_at] = datetime.now(UTC)
    await CalendarTarget.update(values).where(CalendarTarget.id == target_id)
