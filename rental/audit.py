"""Who changes bookings, and through which door: recorded in the same transaction as the change.

The door (portal, API, widget, calendar sync) sets the actor for the request or job with `acting`;
the booking service writes one `booking_change` row per create or update, with the fields that changed.
Work done without an actor (holds expiring, the dispatcher) is recorded as the system."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Literal

import msgspec

from rental.tables import BookingChange as BookingChangeTable

Via = Literal["portal", "api", "widget", "calendar", "system"]
VIA_LABELS: dict[str, str] = {
    "portal": "portal",
    "api": "API",
    "widget": "website widget",
    "calendar": "calendar sync",
    "system": "Rentcal",
}


class Actor(msgspec.Struct, frozen=True):
    name: str
    via: Via
    staff_id: int | None = None


SYSTEM = Actor("Rentcal", "system")
_actor: ContextVar[Actor] = ContextVar("rentcal_actor", default=SYSTEM)


def set_actor(actor: Actor) -> None:
    """For the rest of this request or task (each request runs in its own context)."""
    _actor.set(actor)


@contextlib.contextmanager
def acting(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def record(company_id: int, booking_id: int, action: str, changes: dict[str, tuple[Any, Any]]) -> None:
    """One audit row; call inside the transaction that makes the change."""
    actor = _actor.get()
    await BookingChangeTable.insert(
        BookingChangeTable(
            company=company_id,
            booking=booking_id,
            staff=actor.staff_id,
            actor=actor.name,
            via=actor.via,
            action=action,
            changes={field: [_plain(old), _plain(new)] for field, (old, new) in changes.items()},
        )
    )


class Change(msgspec.Struct):
    at: datetime
    actor: str
    via: str
    action: str
    changes: dict[str, list[Any]]


async def history(company_id: int, booking_id: int) -> list[Change]:
    rows = (
        await BookingChangeTable.select()
        .where((BookingChangeTable.company == company_id) & (BookingChangeTable.booking == booking_id))
        .order_by(BookingChangeTable.at)
        .order_by(BookingChangeTable.id)
    )
    return [
        Change(
            r["at"],
            r["actor"],
            r["via"],
            r["action"],
            msgspec.json.decode(r["changes"]) if isinstance(r["changes"], str) else r["changes"],
        )
        for r in rows
    ]
