"""Outbox processing: plain async functions that the actors and the tests call."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from rental import outbox
from rental.outbox import OutboxEvent

log = logging.getLogger("rentcal.outbox")

Handler = Callable[[OutboxEvent], Awaitable[None]]
# topic prefix -> handlers. Calendar sync and invitations register here.
HANDLERS: dict[str, list[Handler]] = {}


def on(prefix: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS.setdefault(prefix, []).append(handler)
        return handler

    return register


async def process_event(event_id: int) -> bool:
    """Run every handler for one outbox row; a processed row is skipped (duplicates are harmless).

    Handlers are independent: one failing (say, the mail server) does not hold back the others
    (calendar sync). The row stays unprocessed and the message is retried; handlers are idempotent,
    so those that succeeded do nothing the second time.
    """
    event = await outbox.load(event_id)
    if event is None or event.processed:
        return False
    failures: list[Exception] = []
    for prefix, handlers in HANDLERS.items():
        if event.topic.startswith(prefix):
            for handler in handlers:
                try:
                    await handler(event)
                except Exception as exc:
                    log.warning("outbox %s: %s failed: %s", event_id, handler.__name__, type(exc).__name__)
                    failures.append(exc)
    if failures:
        await outbox.mark_failed(event_id, "; ".join(f"{type(e).__name__}: {e}" for e in failures))
        raise failures[0]
    await outbox.mark_processed(event_id)
    return True
