"""Turns committed outbox rows into Dramatiq messages.

It LISTENs for the NOTIFY sent at commit, so work starts at once, and polls as a safety net.
Rows are claimed with SKIP LOCKED, so several dispatchers can run side by side.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import asyncpg

from rental import outbox
from rental.tables import Outbox

log = logging.getLogger("rentcal.dispatcher")

Periodic = tuple[float, Callable[[], Awaitable[object]]]


async def dispatch_once(limit: int = 200) -> int:
    """Claim undispatched rows and enqueue them; the claim commits only after the sends."""
    from tasks.actors import process_outbox_event

    async with Outbox._meta.db.transaction():
        ids = await outbox.claim_undispatched(limit)
        for event_id in ids:
            process_outbox_event.send(event_id)
    return len(ids)


async def run(
    database_url: str, poll_seconds: float, periodic: list[Periodic] | None = None, requeue_seconds: float = 300
) -> None:
    wake = asyncio.Event()
    connection = await asyncpg.connect(database_url)
    await connection.add_listener(outbox.CHANNEL, lambda *_: wake.set())
    last_run: dict[int, float] = {}
    loop = asyncio.get_running_loop()
    log.info("outbox dispatcher listening")
    try:
        while True:
            try:
                while await dispatch_once() > 0:
                    pass
                if loop.time() - last_run.get(-1, 0) > max(1.0, requeue_seconds / 2):
                    await outbox.requeue_stale(int(requeue_seconds))
                    last_run[-1] = loop.time()
                for index, (every, job) in enumerate(periodic or []):
                    if loop.time() - last_run.get(index, 0) >= every:
                        last_run[index] = loop.time()
                        await job()
            except Exception:
                log.exception("dispatcher iteration failed; retrying")
            wake.clear()
            try:
                await asyncio.wait_for(wake.wait(), timeout=poll_seconds)
            except TimeoutError:
                pass
    finally:
        await connection.close()
