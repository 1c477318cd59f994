"""Push many (calendar, item) pairs at once: one item to every calendar that shows it, or every item of one
calendar in a full sync.

The same steps as `push.push`, each done for the whole set instead of per event: the item locks are taken
in one Redis round trip, the mappings read in one query, the provider writes sent in batches where the
provider has a batch endpoint, and the mappings, sync-log rows and cleared `sync_due` rows written in one
statement each. Whatever does not fit the batched path (a lock someone else holds, a provider without
batches, a restore or a remote deletion to flag, a call the batch answered with an error) goes through the
single-event path, under the lock already held, so its retries, token refresh and adoption of our own
event after a lost reply stay exactly as they are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from calendars.accounts.connections import provider_for
from calendars.providers.base import (
    CalendarProvider,
    EventData,
    ProviderError,
    RemoteEvent,
    RequestRejected,
    Write,
    WriteResult,
)
from calendars.sync import refusals, store
from calendars.sync.locks import ItemLocks
from calendars.sync.plan import Create, Delete, Ignore, Mapping, Noop, Update, event_hash, plan_push
from calendars.sync.push import bounded, execute_push, guarded, idempotency_key, push
from calendars.sync.store import LogEntry, Target, Written

Pair = tuple[int, str]


@dataclass(frozen=True)
class Pending:
    target: Target
    key: str
    desired: EventData | None


@dataclass
class Planned:
    pending: Pending
    provider: CalendarProvider
    mapping: Mapping | None
    action: Any

    @property
    def pair(self) -> Pair:
        return (self.pending.target.id, self.pending.key)


async def push_many(pending: Sequence[Pending]) -> None:
    """Make every pair match our database; the first error is raised after all were tried."""
    rows = await store.integration_rows({p.target.integration_id for p in pending})
    providers = {i: provider_for(row) for i, row in rows.items() if row["status"] == "active"}
    # a read-only calendar is never written (the events we put there before it became read-only stay)
    live = [p for p in pending if p.target.integration_id in providers and p.target.writable]
    errors: list[BaseException] = []
    async with ItemLocks([(p.target.id, p.key) for p in live]) as locks:
        held = [p for p in live if (p.target.id, p.key) in locks.held]
        mappings = await store.mappings_of_pairs([(p.target.id, p.key) for p in held])
        planned = []
        for p in held:
            mapping = mappings.get((p.target.id, p.key))
            planned.append(Planned(p, providers[p.target.integration_id], mapping, plan_push(p.desired, mapping)))
        errors += await _run(planned)
    busy = [p for p in live if (p.target.id, p.key) not in locks.held]
    errors += await bounded(
        [guarded(p.target, push(providers[p.target.integration_id], p.target, p.key, p.desired)) for p in busy]
    )
    if errors:
        raise errors[0]


async def _run(planned: list[Planned]) -> list[BaseException]:
    groups: dict[str, list[Planned]] = defaultdict(list)
    alone: list[Planned] = []
    done: list[Pair] = []
    for plan in planned:
        group = getattr(plan.provider, "batch_group", None)
        if isinstance(plan.action, Noop | Ignore):
            done.append(plan.pair)
        elif isinstance(plan.action, Create | Update | Delete) and group:
            groups[group].append(plan)
        else:
            alone.append(plan)
    written: list[Written] = []
    deleted: list[Pair] = []
    logs: list[LogEntry] = []
    for members in groups.values():
        if len(members) == 1:
            alone += members
            continue
        sender: Any = members[0].provider
        results = await sender.write_batch([(m.provider, _write(m)) for m in members])
        for plan, result in zip(members, results, strict=True):
            if isinstance(result, ProviderError):
                alone.append(plan)
                continue
            _record(plan, result, written, deleted, logs)
            done.append(plan.pair)
    await store.save_mappings(written)
    await store.mark_deleted(deleted)
    await store.log_many(logs)
    await refusals.note_done_many(done)
    return await bounded([guarded(p.pending.target, _alone(p)) for p in alone])


def _write(plan: Planned) -> Write:
    target, key, desired = plan.pending.target, plan.pending.key, plan.pending.desired
    action = plan.action
    if isinstance(action, Create):
        return Write(target.external_id, desired, idempotency_key=idempotency_key(target, key, action.generation))
    assert plan.mapping is not None
    if isinstance(action, Update):
        return Write(target.external_id, desired, plan.mapping.external_id, etag=action.etag or None)
    return Write(target.external_id, None, plan.mapping.external_id)


def _record(
    plan: Planned, result: WriteResult, written: list[Written], deleted: list[Pair], logs: list[LogEntry]
) -> None:
    target, key, desired = plan.pending.target, plan.pending.key, plan.pending.desired
    if isinstance(plan.action, Delete):
        assert plan.mapping is not None
        deleted.append(plan.pair)
        logs.append(LogEntry(target, "delete", key, plan.mapping.external_id))
        return
    assert isinstance(result, RemoteEvent) and desired is not None
    if isinstance(plan.action, Create):
        generation = plan.action.generation
    else:
        assert plan.mapping is not None
        generation = plan.mapping.generation
    digest = event_hash(desired)
    written.append(Written(target, key, result.id, result.etag, generation, digest, desired.starts_at, desired.ends_at))
    logs.append(LogEntry(target, "create" if isinstance(plan.action, Create) else "update", key, result.id))


async def _alone(plan: Planned) -> None:
    """The single-event path for one pair whose lock is already held (as `push.push` does under its lock)."""
    target, key = plan.pending.target, plan.pending.key
    try:
        await execute_push(plan.provider, target, key, plan.pending.desired, plan.mapping, plan.action)
    except RequestRejected as exc:
        await refusals.note_rejection(target, key, exc)
        raise
    await refusals.note_done(target.id, key)
