"""Inbound: read what changed in one external calendar and act on it.

A listing proves an event of ours missing only if the event existed when the listing began, and
then only after a direct look confirms it: events written while a listing runs are not in it. Our
own event found under an id we do not map (an orphan left by an older race) is removed.
"""

from __future__ import annotations

from datetime import datetime

from calendars.providers.base import CalendarProvider, EventMissing, FullSyncRequired, RemoteEvent
from calendars.sync import locks, store
from calendars.sync.items import load_item
from calendars.sync.plan import (
    AcceptMove,
    Busy,
    ClearBusy,
    Ignore,
    InboundAction,
    Mapping,
    PushBack,
    Restore,
    plan_full,
    plan_inbound,
    shows_content,
)
from calendars.sync.push import desired_in, execute_push, record_write, with_provider
from calendars.sync.store import Target
from rental import audit, bookings
from rental.errors import DomainError
from rental.schemas import BookingUpdate
from rental.tenants import tenant_by_id


async def sync_inbound(target_id: int) -> None:
    """Read one calendar now, or leave it to the run that holds it (which reads again afterwards)."""
    await locks.release_read_slot(target_id)

    async def read() -> None:
        target = await store.target(target_id)  # read under the lock: the latest sync token
        if target is not None and target.inbound:
            await with_provider(target, lambda provider: read_changes(provider, target))

    await locks.coalesced(target_id, read)


async def read_changes(provider: CalendarProvider, target: Target) -> None:
    """One read of a calendar; the caller holds the calendar lock."""
    started = await store.database_now()
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
        await inbound_one(provider, target, remote, locked=False)
    if page.full and target.read_busy:
        await store.keep_only_busy(target.id, {e.id for e in page.events if e.key is None})
    if page.full and target.write_kinds:
        listed = {e.id for e in page.events if not e.deleted}
        await restore_missing(provider, target, listed, started, page.covers)
    await store.save_read_state(target.id, page.next_sync_token)


def _plan_for(target: Target, remote: RemoteEvent, key: str | None, mapping: Mapping | None) -> InboundAction:
    accept_moves = target.direction == "two_way" and key is not None and key.startswith("booking:")
    return plan_inbound(
        remote, mapping, accept_moves=accept_moves, on_remote_delete=target.on_remote_delete, read_busy=target.read_busy
    )


async def inbound_one(provider: CalendarProvider, target: Target, remote: RemoteEvent, *, locked: bool) -> None:
    found = await store.mapping_by_external_id(target.id, remote.id)
    if found is None and remote.key is not None:
        await _remove_if_orphan(provider, target, remote, locked=locked)
        return
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
        await apply_inbound(provider, target, key, remote, action)
        return
    async with locks.item_lock(target.id, key):
        # Plan again on what is true now: another run may have replaced, restored or deleted the event
        # while we waited, and a stale plan would act on an event that is no longer ours.
        found = await store.mapping_by_external_id(target.id, remote.id)
        if found is None or found[0] != key:
            return
        action = _plan_for(target, remote, key, found[1])
        if not isinstance(action, Ignore):
            await apply_inbound(provider, target, key, remote, action)


async def _remove_if_orphan(provider: CalendarProvider, target: Target, remote: RemoteEvent, *, locked: bool) -> None:
    """Our key on an event we do not map: a second copy of an item of ours, which we remove.

    Decided under the item's lock, so a create still waiting to record its event is never mistaken
    for an orphan. Events written by another of our calendars (origin) are left to that one.
    """
    key = remote.key
    assert key is not None
    if remote.deleted or remote.origin not in (None, str(target.id)):
        return

    async def decide() -> None:
        mapping = await store.mapping(target.id, key)
        if mapping is not None and mapping.external_id == remote.id:
            return
        if mapping is None and remote.origin is None:
            return  # written before events carried their origin: not provably this calendar's
        try:
            await provider.delete_event(target.external_id, remote.id)
        except EventMissing:
            return
        await store.log(target, "orphan_removed", item_key=key, external_id=remote.id, detail="a second copy")

    if locked:
        await decide()
    else:
        async with locks.item_lock(target.id, key):
            await decide()


PROVIDER_LABELS = {"google": "Google", "microsoft": "Outlook", "caldav": "CalDAV"}


async def apply_inbound(
    provider: CalendarProvider, target: Target, key: str, remote: RemoteEvent, action: InboundAction
) -> None:
    item = await load_item(key)
    desired = desired_in(item, target)
    mapping = await store.mapping(target.id, key)
    if mapping is None:
        return
    if isinstance(action, AcceptMove) and item is not None and item.booking_id is not None:
        tenant = await tenant_by_id(item.company_id)
        try:
            with audit.acting(audit.Actor(PROVIDER_LABELS.get(provider.name, provider.name) + " calendar", "calendar")):
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
            await store.record_applied(target, key, remote)
            return
    if isinstance(action, AcceptMove | PushBack):
        if desired is None:
            return
        if shows_content(remote, desired):
            await store.note_remote(target.id, key, remote)  # only the etag moved: nothing to put back
            await store.log(target, "etag_only", item_key=key, external_id=remote.id)
            return
        updated = await provider.update_event(target.external_id, remote.id, desired, etag=remote.etag)
        await record_write(target, key, updated.id, updated.etag, mapping.generation, desired)
        await store.log(target, "push_back", item_key=key, external_id=remote.id)
        return
    if isinstance(action, Restore) and desired is None:
        await store.set_mapping_state(target.id, key, "deleted")
        return
    await execute_push(provider, target, key, desired, mapping, action)


async def restore_missing(
    provider: CalendarProvider,
    target: Target,
    listed: set[str],
    started: datetime,
    covers: tuple[datetime, datetime] | None,
) -> None:
    """After a full listing: our events deleted while we were not listening.

    Only mappings recorded before the listing began can be missing from it, only those inside the
    span it covers, and each is confirmed with a direct look before anything is re-created.
    """
    for key, mapping in (await store.mappings_of_target(target.id)).items():
        if not _provably_missing(mapping, listed, started, covers):
            continue
        async with locks.item_lock(target.id, key):
            latest = await store.mapping(target.id, key)
            if latest is None or not _provably_missing(latest, listed, started, covers):
                continue
            try:
                current = await provider.get_event(target.external_id, latest.external_id)
            except EventMissing:
                current = None
            if current is not None and not current.deleted:
                continue  # the listing was behind; the event is there
            desired = desired_in(await load_item(key), target)
            plan = plan_full({key: desired}, {key: latest}, listed, on_remote_delete=target.on_remote_delete)
            await execute_push(provider, target, key, desired, latest, plan[key])


def _provably_missing(
    mapping: Mapping, listed: set[str], started: datetime, covers: tuple[datetime, datetime] | None
) -> bool:
    if mapping.state != "synced" or mapping.external_id in listed:
        return False
    if mapping.synced_at is not None and mapping.synced_at >= started:
        return False
    if covers is not None and mapping.pushed_starts_at is not None and mapping.pushed_ends_at is not None:
        return mapping.pushed_starts_at < covers[1] and mapping.pushed_ends_at > covers[0]
    return True
