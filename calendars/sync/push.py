"""Push: make every calendar that should (or did) show an item match our database.

Order-independent by design: every run reads the current state of an item and makes each calendar
match it, under a per-(calendar, item) lock. Replaying, retrying or reordering runs converges.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence

from calendars.accounts.connections import mark_needs_reconnect, provider_for
from calendars.providers.base import (
    CalendarProvider,
    EventData,
    EventExists,
    EventMissing,
    NeedsReconnect,
    PreconditionFailed,
    RequestRejected,
)
from calendars.sync import refusals, store
from calendars.sync.items import Item, load_item, related_keys
from calendars.sync.locks import item_lock
from calendars.sync.plan import (
    Create,
    Delete,
    FlagDeleted,
    Ignore,
    InboundAction,
    Mapping,
    Noop,
    PushAction,
    Restore,
    Update,
    event_hash,
    plan_push,
)
from calendars.sync.store import Target

log = logging.getLogger("rentcal.sync")
FAN_OUT = 8  # concurrent provider writes per item
MANAGER_ROLES = ("admin", "manager")

Work = Callable[[CalendarProvider], Awaitable[None]]


def routes_to(item: Item, target: Target) -> bool:
    if not item.visible or item.kind not in target.write_kinds:
        return False
    if target.user_id in item.owner_ids:
        return True
    return item.kind == "bookings" and target.include_all_bookings and target.user_role in MANAGER_ROLES


def desired_in(item: Item | None, target: Target) -> EventData | None:
    """What this calendar should show for the item (None: nothing), marked as written by this target."""
    if item is None or item.event is None or not routes_to(item, target):
        return None
    if target.direction not in store.WRITING_DIRECTIONS:
        return None
    return dataclasses.replace(item.event, origin=str(target.id))


def idempotency_key(target: Target, key: str, generation: int) -> str:
    return f"{target.id}:{key}:{generation}"


async def sync_item(key: str) -> None:
    from calendars.sync.batch import Pending, push_many

    for one in [key, *await related_keys(key)]:
        item = await load_item(one)
        targets: dict[int, Target] = {t.id: t for t in await store.mapped_targets(one)}
        if item is not None:
            targets.update({t.id: t for t in await store.write_targets(item.company_id)})
        await push_many([Pending(t, one, desired_in(item, t)) for t in targets.values() if t.status == "active"])


async def bounded(work: Sequence[Awaitable[None]], limit: int = FAN_OUT) -> list[BaseException]:
    """Run pushes to different calendars concurrently, a few at a time; returns the errors."""
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Awaitable[None]) -> None:
        async with semaphore:
            await job

    results = await asyncio.gather(*(one(job) for job in work), return_exceptions=True)
    return [r for r in results if isinstance(r, BaseException)]


async def with_provider(target: Target, work: Work) -> None:
    integration = await store.integration_row(target.integration_id)
    if integration is None or integration["status"] != "active":
        return
    await guarded(target, work(provider_for(integration)))


async def guarded(target: Target, job: Awaitable[None]) -> None:
    """Run provider work for one calendar: a lost grant marks the connection, a refusal is logged."""
    try:
        await job
    except NeedsReconnect as exc:
        await mark_needs_reconnect(target.integration_id, str(exc))
        await store.log(target, "auth", outcome="error", detail=f"needs reconnect: {exc}")
    except RequestRejected as exc:
        await store.log(target, "request", outcome="error", detail=str(exc))
        log.warning("provider refused a request for target %s: %s", target.id, exc)


async def push(provider: CalendarProvider, target: Target, key: str, desired: EventData | None) -> None:
    async with item_lock(target.id, key):
        mapping = await store.mapping(target.id, key)
        action = plan_push(desired, mapping)
        try:
            await execute_push(provider, target, key, desired, mapping, action)
        except RequestRejected as exc:
            # Refused for good for now: keep the item due (a reconciler retries) instead of dropping it,
            # or, when the calendar is read-only, stop writing there.
            await refusals.note_rejection(target, key, exc)
            raise
        await refusals.note_done(target.id, key)


async def execute_push(
    provider: CalendarProvider,
    target: Target,
    key: str,
    desired: EventData | None,
    mapping: Mapping | None,
    action: PushAction | InboundAction,
) -> None:
    if isinstance(action, Noop | Ignore) or not target.writable:
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
    for _ in range(3):
        try:
            remote = await provider.create_event(
                target.external_id, desired, idempotency_key=idempotency_key(target, key, generation)
            )
            break
        except EventExists:
            # that identity belongs to an event that is gone or not ours: never reuse it
            generation += 1
    else:
        raise RequestRejected(f"no free event id for {key} in calendar {target.external_id}")
    await record_write(target, key, remote.id, remote.etag, generation, desired)
    await store.log(target, operation, item_key=key, external_id=remote.id)


async def record_write(
    target: Target, key: str, external_id: str, etag: str, generation: int, event: EventData
) -> None:
    await store.save_mapping(
        target, key, external_id, etag=etag, generation=generation, pushed_hash=event_hash(event), event=event
    )


async def _update(
    provider: CalendarProvider, target: Target, key: str, desired: EventData, mapping: Mapping, etag: str
) -> None:
    from calendars.sync.inbound import inbound_one

    try:
        remote = await provider.update_event(target.external_id, mapping.external_id, desired, etag=etag or None)
    except PreconditionFailed:
        # changed remotely since we last looked: take the remote change into account first
        current = await provider.get_event(target.external_id, mapping.external_id)
        await inbound_one(provider, target, current, locked=True)
        fresh = desired_in(await load_item(key), target)
        latest = await store.mapping(target.id, key)
        if fresh is None or latest is None or latest.state != "synced":
            return
        remote = await provider.update_event(target.external_id, mapping.external_id, fresh, etag=current.etag)
        desired = fresh
    except EventMissing:
        fallback = Restore(mapping.generation + 1) if target.on_remote_delete == "restore" else FlagDeleted()
        await execute_push(provider, target, key, desired, mapping, fallback)
        return
    await record_write(target, key, remote.id, remote.etag, mapping.generation, desired)
    await store.log(target, "update", item_key=key, external_id=remote.id)
