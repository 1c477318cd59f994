"""Writes a provider refused for good (403 quota, 400): the item stays due and is tried again later.

An outbox row is done once its handler ran; what the provider refused is kept here instead, tried
again on a long schedule by the reconciler, and shown on the integration until it goes through.
"""

from __future__ import annotations

from datetime import timedelta

from calendars.providers.base import CalendarReadOnly, RequestRejected
from calendars.sync.store import Target
from calendars.tables import CalendarEvent, CalendarTarget

FIRST_RETRY = timedelta(minutes=15)
LONGEST_RETRY = timedelta(hours=12)


def next_delay(attempts: int, retry_after: float | None) -> timedelta:
    backoff = min(LONGEST_RETRY, FIRST_RETRY * 2 ** max(0, attempts - 1))
    return max(backoff, timedelta(seconds=retry_after or 0))


async def note_rejection(target: Target, key: str, exc: RequestRejected) -> None:
    """A write the provider refused: a read-only calendar stops receiving items, anything else stays due."""
    if isinstance(exc, CalendarReadOnly):
        await mark_read_only(target, str(exc))
    else:
        await note_refused(target, key, str(exc), exc.retry_after)


async def mark_read_only(target: Target, detail: str) -> None:
    """The server refused a write as read-only: nothing is routed here any more (no retries), the calendar
    stays a busy-time source, and the integration shows why (``write_error``)."""
    await CalendarTarget.raw(
        "UPDATE calendar_target SET writable = false, write_kinds = '[]'::jsonb, write_error = {} WHERE id = {}",
        detail[:2000],
        target.id,
    )
    await CalendarEvent.raw("DELETE FROM sync_due WHERE target = {}", target.id)


async def note_refused(target: Target, key: str, detail: str, retry_after: float | None) -> None:
    rows = await CalendarEvent.raw("SELECT attempts FROM sync_due WHERE target = {} AND item_key = {}", target.id, key)
    attempts = (rows[0]["attempts"] + 1) if rows else 1
    delay = next_delay(attempts, retry_after)
    await CalendarEvent.raw(
        """
        INSERT INTO sync_due (target, item_key, company, integration, attempts, next_attempt_at, last_error)
        VALUES ({}, {}, {}, {}, {}, now() + {} * interval '1 second', {})
        ON CONFLICT (target, item_key) DO UPDATE SET attempts = EXCLUDED.attempts,
            next_attempt_at = EXCLUDED.next_attempt_at, last_error = EXCLUDED.last_error
        """,
        target.id,
        key,
        target.company_id,
        target.integration_id,
        attempts,
        delay.total_seconds(),
        detail[:2000],
    )


async def note_done(target_id: int, key: str) -> None:
    await CalendarEvent.raw("DELETE FROM sync_due WHERE target = {} AND item_key = {}", target_id, key)


async def note_done_many(pairs: list[tuple[int, str]]) -> None:
    """`note_done` for many (target, item) pairs in one statement."""
    if pairs:
        await CalendarEvent.raw(
            "DELETE FROM sync_due WHERE (target, item_key) IN (SELECT * FROM unnest({}::int[], {}::text[]))",
            [t for t, _ in pairs],
            [k for _, k in pairs],
        )


async def due_keys(limit: int = 500) -> list[str]:
    rows = await CalendarEvent.raw(
        "SELECT DISTINCT item_key FROM sync_due WHERE next_attempt_at <= now() LIMIT {}", limit
    )
    return [str(r["item_key"]) for r in rows]


async def postpone_due(keys: list[str]) -> None:
    """Claim due keys for this round, so a slow round is not enqueued twice."""
    await CalendarEvent.raw(
        "UPDATE sync_due SET next_attempt_at = now() + interval '10 minutes' WHERE item_key = ANY({})"
        " AND next_attempt_at <= now()",
        keys,
    )


async def refused_by_integration(integration_ids: list[int]) -> dict[int, tuple[int, str]]:
    """integration -> (number of items a provider keeps refusing, the latest reason)."""
    if not integration_ids:
        return {}
    rows = await CalendarEvent.raw(
        """
        SELECT integration, count(*) AS items, (array_agg(last_error ORDER BY next_attempt_at DESC))[1] AS reason
        FROM sync_due WHERE integration = ANY({}) GROUP BY integration
        """,
        integration_ids,
    )
    return {int(r["integration"]): (int(r["items"]), str(r["reason"])) for r in rows}
