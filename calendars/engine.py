"""The provider-neutral sync engine: executes plans from calendars.plan against any adapter.

Order-independent by design: every run reads the current state of an item from our database
and makes each calendar match it, under a per-(calendar, item) advisory lock. Replaying,
retrying or reordering runs therefore converges to the same result.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import LockError

from calendars import channels, store
from calendars.connections import mark_needs_reconnect, provider_for
from calendars.items import Item, item_keys_for_staff, load_item, related_keys
from calendars.plan import (
    AcceptMove,
    Busy,
    ClearBusy,
    Create,
    Delete,
    FlagDeleted,
    Ignore,
    InboundAction,
    Mapping,
    Noop,
    PushAction,
    PushBack,
    Restore,
    Update,
    event_hash,
    plan_full,
    plan_inbound,
    plan_push,
)
from calendars.providers.base import (
    CalendarProvider,
    EventData,
    EventExists,
    EventMissing,
    FullSyncRequired,
    NeedsReconnect,
    PreconditionFailed,
    ProviderError,
    RemoteEvent,
    RequestRejected,
    RetryableError,
)
from calendars.providers.google import google_event_id
from calendars.store import Target
from calendars.tables import CalendarIntegration
from rental import bookings
from rental.errors import DomainError
from rental.schemas import BookingUpdate
from rental.tenants import tenant_by_id
from rentcal.settings import get_settings

log = logging.getLogger("rentcal.sync")
FULL_SYNC_LOOKBACK = timedelta(days=30)
FAN_OUT = 8  # concurrent provider writes per item
# A lock left by a crashed worker frees itself after this long; a write that takes longer may overlap
# another, which the deterministic ids and etags make harmless.
LOCK_SECONDS = 30


def routes_to(item: Item, target: Target) -> bool:
    if not item.visible or item.kind not in target.write_kinds:
        return False
    if target.user_id in item.owner_ids:
        return True
    return item.kind == "bookings" and target.include_all_bookings and target.user_role in ("admin", "manager")


def event_id_for(target: Target, key: str, generation: int) -> str:
    return google_event_id(f"{target.id}:{key}:{generation}")


_redis_clients: dict[int, Redis] = {}


def _redis() -> Redis:
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _redis_clients:
        _redis_clients[loop_id] = Redis.from_url(get_settings().redis_url)
    return _redis_clients[loop_id]


class _Lock:
    """Lock on (calendar, item) across all workers: one writer per event at a time.

    A Redis lock rather than a database one: it holds no connection while the provider is called,
    and domain changes made under it (moving a booking) commit on their own. It expires, so a
    crashed worker cannot block an event for long.
    """

    def __init__(self, target_id: int, key: str) -> None:
        self.lock = _redis().lock(
            f"rentcal:sync-lock:{target_id}:{key}", timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS + 5
        )

    async def __aenter__(self) -> None:
        if not await self.lock.acquire():
            raise RetryableError("another worker holds this event for too long")

    async def __aexit__(self, *exc: object) -> None:
        try:
            await self.lock.release()
        except LockError:
            log.warning("sync lock expired before release")


# --- push ------------------------------------------------------------------------------------


async def sync_item(key: str) -> None:
    """Make every calendar that should (or did) show this item match our database."""
    for one in [key, *await related_keys(key)]:
        item = await load_item(one)
        targets: dict[int, Target] = {t.id: t for t in await store.mapped_targets(one)}
        if item is not None:
            targets.update({t.id: t for t in await store.write_targets(item.company_id)})
        work = []
        for target in targets.values():
            if target.status != "active":
                continue
            desired = (
                item.event
                if item is not None and routes_to(item, target) and target.direction in store.WRITING_DIRECTIONS
                else None
            )
            work.append(_with_provider(target, lambda provider, t=target, d=desired, k=one: _push(provider, t, k, d)))
        await _bounded(work)


async def _bounded(work: list[Any], limit: int = FAN_OUT) -> None:
    """Run pushes to different calendars concurrently, a few at a time; the first error is raised."""
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Any) -> None:
        async with semaphore:
            await job

    results = await asyncio.gather(*(one(job) for job in work), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    if errors:
        raise errors[0]


async def _with_provider(target: Target, work) -> None:  # type: ignore[no-untyped-def]
    integration = await store.integration_row(target.integration_id)
    if integration is None or integration["status"] != "active":
        return
    try:
        await work(provider_for(integration))
    except NeedsReconnect as exc:
        await mark_needs_reconnect(target.integration_id, str(exc))
        await store.log(target, "auth", outcome="error", detail=f"needs reconnect: {exc}")
    except RequestRejected as exc:
        await store.log(target, "request", outcome="error", detail=str(exc))
        log.warning("provider refused a request for target %s: %s", target.id, exc)


async def _push(provider: CalendarProvider, target: Target, key: str, desired: EventData | None) -> None:
    async with _Lock(target.id, key):
        mapping = await store.mapping(target.id, key)
        action = plan_push(desired, mapping)
        await execute_push(provider, target, key, desired, mapping, action)


async def execute_push(
    provider: CalendarProvider,
    target: Target,
    key: str,
    desired: EventData | None,
    mapping: Mapping | None,
    action: PushAction | InboundAction,
) -> None:
    if isinstance(action, Noop | Ignore):
        return
    if isinstance(action, Create | Restore):
        assert desired is not None
        await _create(
            provider, target, key, desired, action.generation, "restore" if isinstance(action, Restore) else "create"
        )
    elif isinstance(action, Update):
        assert desired is not None and mapping is not None
        await _update(provider, target, key, desired, mapping, action.etag)
    elif isinstance(action, Delete):
        assert mapping is not None
        try:
            await provider.delete_event(target.external_id, mapping.external_id)
        except EventMissing:
            pass
        await store.set_mapping_state(target.id, key, "deleted")
        await store.log(target, "delete", item_key=key, external_id=mapping.external_id)
    elif isinstance(action, FlagDeleted):
        await store.set_mapping_state(target.id, key, "remote_deleted")
        await store.record_conflict(target, key, "remote_deleted", "the event was deleted in the external calendar")
        await store.log(target, "remote_delete", item_key=key, outcome="conflict", detail="flagged for staff")


async def _create(
    provider: CalendarProvider, target: Target, key: str, desired: EventData, generation: int, operation: str
) -> None:
    event_id = event_id_for(target, key, generation)
    try:
        remote = await provider.create_event(target.external_id, event_id, desired)
    except EventExists:
        # an earlier attempt created it and we did not get to record it: adopt it and update it
        current = await provider.get_event(target.external_id, event_id)
        remote = await provider.update_event(target.external_id, event_id, desired, etag=current.etag)
        operation = f"{operation}_adopted"
    await store.save_mapping(
        target, key, remote.id, etag=remote.etag, generation=generation, pushed_hash=event_hash(desired), event=desired
    )
    await store.log(target, operation, item_key=key, external_id=remote.id)


async def _update(
    provider: CalendarProvider, target: Target, key: str, desired: EventData, mapping: Mapping, etag: str
) -> None:
    try:
        remote = await provider.update_event(target.external_id, mapping.external_id, desired, etag=etag or None)
    except PreconditionFailed:
        # changed remotely since we last looked: take the remote change into account first
        current = await provider.get_event(target.external_id, mapping.external_id)
        await _inbound_one(provider, target, current, locked=True)
        item = await load_item(key)
        fresh = item.event if item is not None and routes_to(item, target) else None
        latest = await store.mapping(target.id, key)
        if fresh is None or latest is None or latest.state != "synced":
            return
        remote = await provider.update_event(target.external_id, mapping.external_id, fresh, etag=current.etag)
        desired = fresh
    except EventMissing:
        await execute_push(
            provider,
            target,
            key,
            desired,
            mapping,
            Restore(mapping.generation + 1) if target.on_remote_delete == "restore" else FlagDeleted(),
        )
        return
    await store.save_mapping(
        target,
        key,
        remote.id,
        etag=remote.etag,
        generation=mapping.generation,
        pushed_hash=event_hash(desired),
        event=desired,
    )
    await store.log(target, "update", item_key=key, external_id=remote.id)


# --- inbound ---------------------------------------------------------------------------------


async def sync_inbound(target_id: int) -> None:
    """Read what changed in one external calendar since the last read and act on it."""
    # One reader per calendar at a time, so each read starts from the token the previous one saved.
    async with _Lock(target_id, "inbound"):
        target = await store.target(target_id)  # read under the lock: the latest sync token
        if target is None or not target.inbound:
            return
        await _with_provider(target, lambda provider: _read_changes(provider, target))


async def _read_changes(provider: CalendarProvider, target: Target) -> None:
    try:
        try:
            page = await provider.list_changes(target.external_id, target.sync_token)
        except FullSyncRequired:
            await store.log(target, "full_resync", detail="sync token expired (410)")
            page = await provider.list_changes(target.external_id, None)
    except Exception as exc:
        # fail closed: the error is visible and busy time from this calendar counts as unknown
        await store.save_read_state(target.id, None, error=f"{type(exc).__name__}: {exc}")
        raise
    for remote in page.events:
        await _inbound_one(provider, target, remote, locked=False)
    if page.full and target.read_busy:
        await store.keep_only_busy(target.id, {e.id for e in page.events if e.key is None})
    if page.full and target.write_kinds:
        await _restore_missing(provider, target, {e.id for e in page.events if e.status != "cancelled"})
    await store.save_read_state(target.id, page.next_sync_token)


def _plan_for(target: Target, remote: RemoteEvent, key: str | None, mapping: Mapping | None) -> InboundAction:
    accept_moves = target.direction == "two_way" and key is not None and key.startswith("booking:")
    return plan_inbound(
        remote, mapping, accept_moves=accept_moves, on_remote_delete=target.on_remote_delete, read_busy=target.read_busy
    )


async def _inbound_one(provider: CalendarProvider, target: Target, remote: RemoteEvent, *, locked: bool) -> None:
    found = await store.mapping_by_external_id(target.id, remote.id)
    key, mapping = found if found else (None, None)
    action = _plan_for(target, remote, key, mapping)
    if isinstance(action, Busy):
        await store.save_busy(target, remote.id, action.starts_at, action.ends_at)
        return
    if isinstance(action, ClearBusy):
        await store.clear_busy(target.id, remote.id)
        return
    if isinstance(action, Ignore) or key is None:
        return
    if locked:
        await _apply_inbound(provider, target, key, remote, action)
        return
    async with _Lock(target.id, key):
        # Plan again on what is true now: another run may have replaced, restored or deleted the event
        # while we waited, and a stale plan would act on an event that is no longer ours.
        found = await store.mapping_by_external_id(target.id, remote.id)
        if found is None or found[0] != key:
            return
        action = _plan_for(target, remote, key, found[1])
        if not isinstance(action, Ignore):
            await _apply_inbound(provider, target, key, remote, action)


async def _apply_inbound(
    provider: CalendarProvider, target: Target, key: str, remote: RemoteEvent, action: InboundAction
) -> None:
    item = await load_item(key)
    desired = item.event if item is not None and routes_to(item, target) else None
    mapping = await store.mapping(target.id, key)
    if mapping is None:
        return
    if isinstance(action, AcceptMove) and item is not None and item.booking_id is not None:
        tenant = await tenant_by_id(item.company_id)
        try:
            await bookings.update_booking(
                tenant, item.booking_id, BookingUpdate(starts_at=action.starts_at, ends_at=action.ends_at)
            )
        except DomainError as exc:
            await store.record_conflict(target, key, "move_refused", exc.detail, remote)
            await store.log(
                target, "inbound_move", item_key=key, external_id=remote.id, outcome="conflict", detail=exc.detail
            )
            action = PushBack()
        else:
            # the booking moved; its outbox event brings every calendar (this one too) up to date
            await store.note_remote(target.id, key, remote)
            await store.log(target, "inbound_move", item_key=key, external_id=remote.id)
            return
    if isinstance(action, AcceptMove | PushBack):
        if desired is None:
            return
        updated = await provider.update_event(target.external_id, remote.id, desired, etag=remote.etag)
        await store.save_mapping(
            target,
            key,
            updated.id,
            etag=updated.etag,
            generation=mapping.generation,
            pushed_hash=event_hash(desired),
            event=desired,
        )
        await store.log(target, "push_back", item_key=key, external_id=remote.id)
        return
    if isinstance(action, Restore) and desired is None:
        await store.set_mapping_state(target.id, key, "deleted")
        return
    await execute_push(provider, target, key, desired, mapping, action)


async def _restore_missing(provider: CalendarProvider, target: Target, remote_ids: set[str]) -> None:
    """After a full listing: our events deleted while we were not listening."""
    mappings = await store.mappings_of_target(target.id)
    for key, mapping in mappings.items():
        if mapping.state == "synced" and mapping.external_id not in remote_ids:
            async with _Lock(target.id, key):
                item = await load_item(key)
                desired = item.event if item is not None and routes_to(item, target) else None
                plan = plan_full({key: desired}, {key: mapping}, remote_ids, on_remote_delete=target.on_remote_delete)
                await execute_push(provider, target, key, desired, mapping, plan[key])


# --- whole integration -----------------------------------------------------------------------


async def full_sync(integration_id: int) -> None:
    """Push every item the integration's calendars should hold, then read each calendar fully."""
    integration = await store.integration_row(integration_id)
    if integration is None or integration["status"] != "active":
        return
    since = datetime.now(UTC) - FULL_SYNC_LOOKBACK
    targets = await store.integration_targets(integration_id)
    # Channels first: a change made after this point is notified; the full read below covers the rest.
    for target in targets:
        if target.inbound:
            try:
                await channels.ensure_channel(target.id)
            except ProviderError as exc:
                await store.log(target, "watch", outcome="error", detail=f"push notifications unavailable: {exc}")
    for target in targets:
        if target.write_kinds and target.direction in store.WRITING_DIRECTIONS:
            keys = set(
                await item_keys_for_staff(
                    target.company_id,
                    target.user_id,
                    set(target.write_kinds),
                    target.include_all_bookings and target.user_role in ("admin", "manager"),
                    since,
                )
            )
            keys |= set((await store.mappings_of_target(target.id)).keys())
            jobs = []
            for key in sorted(keys):
                item = await load_item(key)
                desired = item.event if item is not None and routes_to(item, target) else None
                jobs.append(_with_provider(target, lambda p, t=target, k=key, d=desired: _push(p, t, k, d)))
            await _bounded(jobs)
        if target.inbound:
            async with _Lock(target.id, "inbound"):
                await store.save_read_state(target.id, None)  # forget the token: a full listing follows
                fresh = await store.target(target.id)
                if fresh is not None:
                    await _with_provider(fresh, lambda p, t=fresh: _read_changes(p, t))
    await CalendarIntegration.update({CalendarIntegration.last_synced_at: datetime.now(UTC)}).where(
        CalendarIntegration.id == integration_id
    )
