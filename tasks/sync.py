"""Calendar sync actors and the outbox handlers that feed them."""

from __future__ import annotations

import dramatiq

from calendars import channels, engine
from rental.outbox import OutboxEvent
from tasks.broker import broker
from tasks.outbox import on

__all__ = ["broker", "ensure_channel", "full_sync", "sync_inbound"]

QUEUE = "sync"


@on("booking.")
async def booking_changed(event: OutboxEvent) -> None:
    await engine.sync_item(f"booking:{event.aggregate_id}")


@on("maintenance.")
async def maintenance_changed(event: OutboxEvent) -> None:
    await engine.sync_item(f"maintenance:{event.aggregate_id}")


@on("delivery.")
async def delivery_changed(event: OutboxEvent) -> None:
    await engine.sync_item(f"delivery:{event.aggregate_id}")


@dramatiq.actor(queue_name=QUEUE, max_retries=12, min_backoff=1_000, max_backoff=600_000)
async def full_sync(integration_id: int) -> None:
    await engine.full_sync(integration_id)


@dramatiq.actor(queue_name=QUEUE, max_retries=12, min_backoff=1_000, max_backoff=600_000)
async def sync_inbound(target_id: int) -> None:
    await engine.sync_inbound(target_id)


@dramatiq.actor(max_retries=5, queue_name=QUEUE)
async def ensure_channel(target_id: int) -> None:
    await channels.ensure_channel(target_id)


async def schedule_inbound_sync() -> None:
    """Periodic safety net beside push notifications (every RENTCAL_INBOUND_SYNC_MINUTES)."""
    for target_id in await channels.inbound_targets():
        sync_inbound.send(target_id)


async def schedule_channel_renewal() -> None:
    for target_id in await channels.targets_needing_channels():
        ensure_channel.send(target_id)
