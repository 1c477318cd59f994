"""Full sync of one integration: push everything its calendars should hold, then read each fully.

Each calendar is held for the whole push and read, so notifications of our own writes do not start
listings that race the push; reads asked for meanwhile run once afterwards.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from calendars.providers.base import CalendarProvider, EventMissing, ProviderError
from calendars.sync import channels, locks, store
from calendars.sync.batch import Pending, push_many
from calendars.sync.inbound import read_changes
from calendars.sync.items import Item, items_for_staff, load_items
from calendars.sync.push import MANAGER_ROLES, desired_in, with_provider
from calendars.sync.store import Target
from calendars.tables import CalendarIntegration

FULL_SYNC_LOOKBACK = timedelta(days=30)


async def request_full_sync(integration_id: int) -> None:
    """Record that a full sync is wanted; it stays wanted until one finishes (see `overdue_full_syncs`)."""
    await CalendarIntegration.raw(
        "UPDATE calendar_integration SET full_sync_requested_at = clock_timestamp() WHERE id = {}", integration_id
    )


async def overdue_full_syncs(older_than_seconds: float) -> list[int]:
    """Active integrations whose requested full sync has not finished for a while (its message was lost)."""
    rows = await CalendarIntegration.raw(
        "SELECT id FROM calendar_integration WHERE status = 'active' AND full_sync_requested_at IS NOT NULL"
        " AND full_sync_requested_at < clock_timestamp() - {} * interval '1 second'",
        older_than_seconds,
    )
    return [int(r["id"]) for r in rows]


async def full_sync(integration_id: int) -> None:
    integration = await store.integration_row(integration_id)
    if integration is None or integration["status"] != "active":
        return
    started = await store.database_now()
    targets = await store.integration_targets(integration_id)
    # Subscriptions first: a change made after this point is notified; the full read covers the rest.
    for target in targets:
        if target.inbound:
            try:
                await channels.ensure_channel(target.id)
            except ProviderError as exc:
                await store.log(target, "watch", outcome="error", detail=f"push notifications unavailable: {exc}")
    for target in targets:

        async def whole(target: Target = target) -> None:
            await _push_all(target)
            if target.inbound:
                await store.save_read_state(target.id, None)  # forget the token: a full listing follows
                fresh = await store.target(target.id)
                if fresh is not None:
                    await with_provider(fresh, lambda provider: read_changes(provider, fresh))

        await locks.exclusive(target.id, whole)
    await CalendarIntegration.raw(
        "UPDATE calendar_integration SET last_synced_at = clock_timestamp(),"
        " full_sync_requested_at = CASE WHEN full_sync_requested_at <= {} THEN NULL ELSE full_sync_requested_at END"
        " WHERE id = {}",
        started,
        integration_id,
    )


async def expected_items(target: Target, also: Collection[str] = ()) -> dict[str, Item | None]:
    """Every item the calendar should hold, plus every event we keep there and the keys in `also` (which may have
    to go: None for an item that no longer exists)."""
    keys = {key for key, mapping in (await store.mappings_of_target(target.id)).items() if mapping.state == "synced"}
    found: dict[str, Item | None] = {}
    if target.write_kinds and target.direction in store.WRITING_DIRECTIONS:
        since = datetime.now(UTC) - FULL_SYNC_LOOKBACK
        all_bookings = target.include_all_bookings and target.user_role in MANAGER_ROLES
        kinds = set(target.write_kinds)
        found |= {
            i.key: i for i in await items_for_staff(target.company_id, target.user_id, kinds, all_bookings, since)
        }
    rest = (keys | set(also)) - found.keys()
    found |= await load_items(rest)
    return {key: found.get(key) for key in sorted(rest | found.keys())}


async def _push_all(target: Target) -> None:
    wanted = await expected_items(target)
    await push_many([Pending(target, key, desired_in(item, target)) for key, item in wanted.items()])


async def remove_our_events(integration_id: int) -> int:
    """Delete every event we keep in the integration's calendars (on disconnect, when asked). Returns how many."""
    removed = 0
    for target in await store.integration_targets(integration_id):
        mappings = {k: m for k, m in (await store.mappings_of_target(target.id)).items() if m.state == "synced"}
        if not mappings:
            continue

        async def delete_all(provider: CalendarProvider, target: Target = target, mappings=mappings) -> None:  # type: ignore[no-untyped-def]
            nonlocal removed
            for key, mapping in mappings.items():
                async with locks.item_lock(target.id, key):
                    try:
                        await provider.delete_event(target.external_id, mapping.external_id)
                    except EventMissing:
                        pass
                    await store.set_mapping_state(target.id, key, "deleted")
                    await store.log(
                        target, "delete", item_key=key, external_id=mapping.external_id, detail="disconnect"
                    )
                    removed += 1

        await with_provider(target, delete_all)
    return removed
