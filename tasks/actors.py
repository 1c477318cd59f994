"""Dramatiq actors: thin wrappers around plain async service functions."""

from __future__ import annotations

import dramatiq

from tasks import mail, outbox, sync
from tasks.broker import broker
from tasks.sync import provider_delays

__all__ = ["broker", "mail", "process_outbox_event", "sync"]


@dramatiq.actor(max_retries=12, min_backoff=500, max_backoff=300_000, queue_name="outbox")
@provider_delays
async def process_outbox_event(event_id: int) -> None:
    await outbox.process_event(event_id)
