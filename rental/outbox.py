"""Transactional outbox: the record that calendars must learn of a change.

`record` must be called inside the transaction that makes the change. NOTIFY is delivered
only when that transaction commits, so the dispatcher wakes at once; it also polls, so a
missed notification (or a crash between commit and enqueue) delays work but loses none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rental.tables import Outbox

CHANNEL = "rentcal_outbox"


@dataclass(frozen=True)
class OutboxEvent:
    id: int
    company_id: int
    topic: str
    aggregate_id: int
    payload: dict[str, Any]
    processed: bool


async def record(company_id: int, topic: str, aggregate_id: int, payload: dict[str, Any]) -> int:
    rows = await Outbox.insert(
        Outbox(company=company_id, topic=topic, aggregate_id=aggregate_id, payload=payload)
    ).returning(Outbox.id)
    await Outbox.raw(f"NOTIFY {CHANNEL}")
    return int(rows[0]["id"])


async def claim_undispatched(limit: int = 100) -> list[int]:
    """Mark up to `limit` rows dispatched and return their ids (call, then enqueue, then commit)."""
    rows = await Outbox.raw(
        """
        UPDATE outbox SET dispatched_at = now(), attempts = attempts + 1
        WHERE id IN (
            SELECT id FROM outbox WHERE dispatched_at IS NULL
            ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED
        )
        RETURNING id
        """,
        limit,
    )
    return sorted(int(r["id"]) for r in rows)


async def requeue_stale(older_than_seconds: float = 300) -> list[int]:
    """Dispatched but never processed (lost message): make it eligible again."""
    rows = await Outbox.raw(
        """
        UPDATE outbox SET dispatched_at = NULL
        WHERE processed_at IS NULL AND dispatched_at < now() - make_interval(secs => {})
          AND attempts < 20
        RETURNING id
        """,
        older_than_seconds,
    )
    return [int(r["id"]) for r in rows]


async def load(event_id: int) -> OutboxEvent | None:
    row = await Outbox.select().where(Outbox.id == event_id).first()
    if row is None:
        return None
    return OutboxEvent(
        id=row["id"],
        company_id=row["company"],
        topic=row["topic"],
        aggregate_id=row["aggregate_id"],
        payload=row["payload"] if isinstance(row["payload"], dict) else _json(row["payload"]),
        processed=row["processed_at"] is not None,
    )


async def mark_processed(event_id: int, error: str = "") -> None:
    await Outbox.update({Outbox.processed_at: datetime.now(UTC), Outbox.last_error: error}).where(Outbox.id == event_id)


async def mark_failed(event_id: int, error: str) -> None:
    await Outbox.update({Outbox.last_error: error[:2000]}).where(Outbox.id == event_id)


def _json(raw: Any) -> dict[str, Any]:
    import json

    value = json.loads(raw) if isinstance(raw, str) else raw
    return value if isinstance(value, dict) else {}
