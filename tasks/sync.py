"""Calendar sync actors and the outbox handlers that feed them."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec

import dramatiq

from calendars.accounts import integrations
from calendars.providers.base import RetryableError
from calendars.sync import audit, channels, full, inbound, locks, polling, push, refusals
from rental.outbox import OutboxEvent
from rentcal.settings import get_settings
from tasks.broker import broker
from tasks.outbox import on

__all__ = ["broker", "ensure_channel", "full_sync", "schedule_read", "sync_inbound"]

QUEUE = "sync"
P = ParamSpec("P")


def provider_delays(work: Callable[P, Awaitable[None]]) -> Callable[P, Awaitable[None]]:
    """A provider's Retry-After becomes the queue's retry delay (instead of the actor's own backoff)."""

    @functools.wraps(work)
    async def run(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            await work(*args, **kwargs)
        except RetryableError as exc:
            if exc.retry_after is None:
                raise
            raise dramatiq.Retry(str(exc), delay=int(exc.retry_after * 1000)) from exc

    return run


@on("booking.")
async def booking_changed(event: OutboxEvent) -> None:
    await push.sync_item(f"booking:{event.aggregate_id}")


@on("maintenance.")
async def maintenance_changed(event: OutboxEvent) -> None:
    await push.sync_item(f"maintenance:{event.aggregate_id}")


@on("delivery.")
async def delivery_changed(event: OutboxEvent) -> None:
    await push.sync_item(f"delivery:{event.aggregate_id}")


@on("sync.item")
async def item_resync(event: OutboxEvent) -> None:
    """A resolved conflict asks every calendar to show the item as we have it."""
    await push.sync_item(str(event.payload["item_key"]))


@dramatiq.actor(queue_name=QUEUE, max_retries=12, min_backoff=1_000, max_backoff=600_000)
@provider_delays
async def full_sync(integration_id: int) -> None:
    await integrations.ensure_calendar_list(integration_id)  # when the connect could not list them
    await full.full_sync(integration_id)


@dramatiq.actor(queue_name=QUEUE, max_retries=12, min_backoff=1_000, max_backoff=600_000)
@provider_delays
async def sync_inbound(target_id: int) -> None:
    await inbound.sync_inbound(target_id)


@dramatiq.actor(queue_name=QUEUE, max_retries=12, min_backoff=1_000, max_backoff=600_000)
@provider_delays
async def sync_item(key: str) -> None:
    await push.sync_item(key)


@dramatiq.actor(max_retries=5, queue_name=QUEUE)
@provider_delays
async def ensure_channel(target_id: int, force: bool = False) -> None:
    await channels.ensure_channel(target_id, force=force)


@dramatiq.actor(max_retries=3, queue_name=QUEUE)
@provider_delays
async def audit_integration(integration_id: int, fix: bool = False) -> None:
    await audit.audit_integration(integration_id, fix=fix)


async def request_full_sync(integration_id: int) -> None:
    """Ask for a full sync: recorded in the database first, so it survives a lost message."""
    await full.request_full_sync(integration_id)
    full_sync.send(integration_id)


async def resend_overdue_full_syncs() -> None:
    for integration_id in await full.overdue_full_syncs(get_settings().full_sync_retry_seconds):
        await full.request_full_sync(integration_id)  # restart the clock
        full_sync.send(integration_id)


async def schedule_read(target_id: int) -> None:
    """A notification: read the calendar soon, once for a burst (our own writes each notify)."""
    if await locks.claim_read_slot(target_id):
        sync_inbound.send_with_options(args=(target_id,), delay=int(locks.READ_DEBOUNCE_SECONDS * 1000))


async def schedule_inbound_sync() -> None:
    """Periodic safety net beside push notifications (every RENTCAL_INBOUND_SYNC_MINUTES)."""
    for target_id in await channels.inbound_targets():
        sync_inbound.send(target_id)


async def schedule_polled_reads() -> None:
    """Calendars without push (CalDAV) are read every RENTCAL_CALDAV_POLL_MINUTES (debounced like a notification)."""
    for target_id in await polling.polled_targets():
        await schedule_read(target_id)


async def schedule_channel_renewal() -> None:
    for target_id in await channels.targets_needing_channels():
        ensure_channel.send(target_id)


async def schedule_refused_writes() -> None:
    """Items a provider refused earlier (quota, 403, 400) are tried again when due."""
    keys = await refusals.due_keys()
    if keys:
        await refusals.postpone_due(keys)
    for key in keys:
        sync_item.send(key)
