"""Audit of one connection, event by event: duplicates, orphans, missing and stale events.

Reads every calendar of the integration fully (without touching its sync cursor), compares it with
what we keep there and what our items say, and with `fix` repairs what it found. The report is kept
on the integration, so the portal can show when the calendar was last proven right.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import msgspec

from calendars.accounts.connections import provider_for
from calendars.providers.base import CalendarProvider, EventData, EventMissing, ProviderError, RemoteEvent
from calendars.schemas import AuditReport, CalendarAudit
from calendars.sync import locks, store
from calendars.sync.full import expected_items
from calendars.sync.items import load_item
from calendars.sync.plan import Mapping
from calendars.sync.push import desired_in, push
from calendars.sync.store import Target
from calendars.tables import CalendarEvent, CalendarIntegration, CalendarTarget


async def audit_integration(integration_id: int, *, fix: bool = False) -> AuditReport:
    integration = await store.integration_row(integration_id)
    if integration is None:
        raise LookupError(f"integration {integration_id} not found")
    provider = provider_for(integration)
    results: list[CalendarAudit] = []
    for target in await store.integration_targets(integration_id):
        mappings = await store.mappings_of_target(target.id)
        if not target.write_kinds and not any(m.state == "synced" for m in mappings.values()):
            continue
        name = await _name(target.id)
        try:
            page = await provider.list_changes(target.external_id, None)
        except ProviderError as exc:
            results.append(CalendarAudit(calendar=name, expected=0, unreadable=str(exc)))
            continue
        result = await _compare(target, name, page.events, mappings)
        if fix:
            await _fix(provider, target, result, page.events)
        results.append(result)
    report = AuditReport(checked_at=datetime.now(UTC), calendars=results, fixed=fix)
    await CalendarIntegration.update({CalendarIntegration.last_audit: msgspec.to_builtins(report)}).where(
        CalendarIntegration.id == integration_id
    )
    return report


async def _name(target_id: int) -> str:
    row = (
        await CalendarTarget.select(CalendarTarget.name, CalendarTarget.external_id)
        .where(CalendarTarget.id == target_id)
        .first()
    )
    return str(row["name"] or row["external_id"]) if row else str(target_id)


async def _compare(target: Target, name: str, events: list[RemoteEvent], mappings: dict[str, Mapping]) -> CalendarAudit:
    live: dict[str, list[RemoteEvent]] = defaultdict(list)
    for event in events:
        if event.key and not event.deleted and event.origin in (None, str(target.id)):
            live[event.key].append(event)
    wanted: dict[str, EventData] = {}
    for key, item in (await expected_items(target, also=live)).items():
        desired = desired_in(item, target)
        if desired is not None:
            wanted[key] = desired
    result = CalendarAudit(calendar=name, expected=len(wanted))
    for key, copies in sorted(live.items()):
        mapping = mappings.get(key)
        mapped_id = mapping.external_id if mapping is not None and mapping.state == "synced" else None
        if len(copies) > 1:
            result.duplicates.append(key)
        result.orphans += [e.id for e in copies if e.id != mapped_id]
    for key, desired in sorted(wanted.items()):
        mapping = mappings.get(key)
        present = [e for e in live.get(key, []) if mapping is not None and e.id == mapping.external_id]
        if mapping is not None and mapping.state == "remote_deleted":
            continue  # deleted there on purpose and flagged for staff
        if not present:
            result.missing.append(key)
        elif _differs(present[0], desired):
            result.stale.append(key)
    return result


def _differs(remote: RemoteEvent, desired: EventData) -> bool:
    return (remote.summary, remote.starts_at, remote.ends_at) != (desired.summary, desired.starts_at, desired.ends_at)


async def _fix(provider: CalendarProvider, target: Target, result: CalendarAudit, events: list[RemoteEvent]) -> None:
    keys = {e.id: e.key for e in events}
    for event_id in result.orphans:
        async with locks.item_lock(target.id, keys.get(event_id) or event_id):
            try:
                await provider.delete_event(target.external_id, event_id)
            except EventMissing:
                pass
            await store.log(target, "orphan_removed", item_key=keys.get(event_id) or "", external_id=event_id)
    for key in result.missing:
        # what we recorded is not there: record it as gone, so the push creates it afresh
        await CalendarEvent.update({CalendarEvent.state: "deleted"}).where(
            (CalendarEvent.target == target.id) & (CalendarEvent.item_key == key) & (CalendarEvent.state == "synced")
        )
    for key in result.stale:
        await CalendarEvent.update({CalendarEvent.pushed_hash: ""}).where(
            (CalendarEvent.target == target.id) & (CalendarEvent.item_key == key)
        )
    for key in [*result.missing, *result.stale]:
        await push(provider, target, key, desired_in(await load_item(key), target))
