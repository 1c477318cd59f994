"""Website requests hold stock for a limited time (RENTCAL_REQUEST_HOLD_HOURS, default 48).

A request is a `pending` booking with `hold_until`; staff confirm or cancel it, or the periodic job
turns it `expired` once the hold has run out, which frees the unit (the occupancy trigger drops
it) and records `booking.expired` in the outbox (calendars remove it, the customer is mailed). In
the "requests need e-mail confirmation" mode a request starts `unverified`, holding nothing; the
hold starts when the customer clicks the link, if the unit is still free.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from rental import audit, outbox
from rental.errors import Conflict, NotFound
from rental.statuses import REQUEST_WAITING, SHOWN_IN_CALENDARS, sql_list
from rental.tables import Booking
from rental.tenants import Tenant
from rentcal.settings import get_settings


def hold_until(now: datetime | None = None) -> datetime:
    return (now or datetime.now(UTC)) + timedelta(hours=get_settings().request_hold_hours)


async def expire_due(now: datetime | None = None, limit: int = 200) -> list[int]:
    """Expire pending and unverified requests whose hold ran out; their ids."""
    now = now or datetime.now(UTC)
    expired: list[int] = []
    async with Booking._meta.db.transaction():
        rows = await Booking.raw(
            """
            WITH due AS (
                SELECT id, status AS was FROM booking
                WHERE status IN """
            + sql_list(REQUEST_WAITING)
            + """ AND hold_until <= {}
                ORDER BY hold_until LIMIT {} FOR UPDATE SKIP LOCKED
            )
            UPDATE booking b SET status = 'expired', sequence = b.sequence + 1, updated_at = now()
            FROM due WHERE b.id = due.id
            RETURNING b.id, b.company, due.was
            """,
            now,
            limit,
        )
        for row in rows:
            payload = {"status": "expired", "changes": ["status"], "was": row["was"]}
            await outbox.record(row["company"], "booking.expired", row["id"], payload)
            await audit.record(row["company"], row["id"], "updated", {"status": (row["was"], "expired")})
            expired.append(int(row["id"]))
    return expired


async def start_hold(tenant: Tenant, booking_id: int, now: datetime | None = None) -> datetime:
    """The customer clicked the e-mail link: the unverified request becomes pending and holds the unit.

    Clicking again changes nothing. Conflict when the unit was taken meanwhile (the request expires)
    or the request has already expired.
    """
    row = (
        await Booking.select(Booking.status, Booking.hold_until)
        .where((Booking.id == booking_id) & (Booking.company == tenant.id))
        .first()
    )
    if row is None:
        raise NotFound(f"request {booking_id} not found")
    if row["status"] != "unverified":
        if row["status"] in SHOWN_IN_CALENDARS:
            return row["hold_until"] or (now or datetime.now(UTC))
        raise Conflict(f"request {booking_id} is {row['status']}")
    until = hold_until(now)
    try:
        async with Booking._meta.db.transaction():
            started = (
                await Booking.update(
                    {Booking.status: "pending", Booking.hold_until: until, Booking.updated_at: datetime.now(UTC)}
                )
                .where((Booking.id == booking_id) & (Booking.status == "unverified"))
                .returning(Booking.id)
            )
            if started:  # else a second click won the race: it recorded the change
                await outbox.record(
                    tenant.id, "booking.updated", booking_id, {"status": "pending", "changes": [], "request": True}
                )
                await audit.record(tenant.id, booking_id, "updated", {"status": ("unverified", "pending")})
    except asyncpg.ExclusionViolationError:
        async with Booking._meta.db.transaction():
            expired = (
                await Booking.update({Booking.status: "expired", Booking.updated_at: datetime.now(UTC)})
                .where((Booking.id == booking_id) & (Booking.status == "unverified"))
                .returning(Booking.id)
            )
            if expired:
                await audit.record(tenant.id, booking_id, "updated", {"status": ("unverified", "expired")})
        raise Conflict("the dates were taken before the request was confirmed") from None
    return until
