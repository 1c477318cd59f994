"""The outbox reaches the Dramatiq worker end to end, and nothing is lost or doubled."""

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rental import bookings, outbox
from rental.schemas import BookingCreate, CustomerIn
from rental.tables import Outbox
from tasks import outbox as outbox_tasks
from tests.factories import make_product, make_tenant
from tests.support.worker import WorkerHandle

LA = ZoneInfo("America/Los_Angeles")


async def wait_processed(booking_id: int, count: int, timeout: float = 30) -> list[dict]:  # type: ignore[type-arg]
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = await Outbox.select().where(Outbox.aggregate_id == booking_id).order_by(Outbox.id)
        if len(rows) == count and all(r["processed_at"] for r in rows):
            return list(rows)
        assert asyncio.get_running_loop().time() < deadline, rows
        await asyncio.sleep(0.1)


async def held_back_event(company_id: int, topic: str, dispatched_ago: timedelta = timedelta(0)) -> int:
    """An outbox row already marked dispatched, so the running dispatcher leaves it to the test."""
    rows = await Outbox.insert(
        Outbox(
            company=company_id, topic=topic, aggregate_id=1, payload={}, dispatched_at=datetime.now(LA) - dispatched_ago
        )
    ).returning(Outbox.id)
    return int(rows[0]["id"])


async def test_booking_change_is_processed_by_the_worker(worker_process: WorkerHandle) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    start = datetime(2027, 8, 2, 8, tzinfo=LA)
    booking = await bookings.create_booking(
        tenant,
        BookingCreate(
            product_id=product,
            starts_at=start,
            ends_at=start + timedelta(days=1),
            customer=CustomerIn(name="Wes", email="wes@example.test"),
        ),
    )
    await bookings.cancel_booking(tenant, booking.id)
    rows = await wait_processed(booking.id, 2)
    assert [r["topic"] for r in rows] == ["booking.created", "booking.cancelled"]
    assert all(r["dispatched_at"] <= r["processed_at"] for r in rows)
    assert worker_process.poll() is None


async def test_a_duplicate_message_changes_nothing() -> None:
    tenant = await make_tenant()
    calls: list[int] = []

    async def handler(event: outbox.OutboxEvent) -> None:
        calls.append(event.id)

    outbox_tasks.HANDLERS["test.dup"] = [handler]
    try:
        event_id = await held_back_event(tenant.id, "test.dup")
        assert await outbox_tasks.process_event(event_id) is True
        assert await outbox_tasks.process_event(event_id) is False
        assert calls == [event_id]
    finally:
        del outbox_tasks.HANDLERS["test.dup"]


async def test_a_lost_message_is_dispatched_again() -> None:
    tenant = await make_tenant()
    # dispatched an hour ago but never processed: the message was lost (e.g. Redis restarted)
    event_id = await held_back_event(tenant.id, "test.lost", dispatched_ago=timedelta(hours=1))
    fresh_id = await held_back_event(tenant.id, "test.lost")
    requeued = await outbox.requeue_stale(older_than_seconds=300)
    assert event_id in requeued and fresh_id not in requeued


async def test_a_failing_handler_keeps_the_row_for_a_retry_without_holding_back_the_others() -> None:
    tenant = await make_tenant()
    calls: list[str] = []
    failures = [RuntimeError("mail server said 451")]

    async def flaky(event: outbox.OutboxEvent) -> None:
        calls.append("flaky")
        if failures:
            raise failures.pop()

    async def steady(event: outbox.OutboxEvent) -> None:
        calls.append("steady")

    outbox_tasks.HANDLERS["test.flaky"] = [flaky, steady]
    try:
        event_id = await held_back_event(tenant.id, "test.flaky")
        try:
            await outbox_tasks.process_event(event_id)
        except RuntimeError as exc:
            assert str(exc) == "mail server said 451"  # raised so Dramatiq retries the message
        else:
            raise AssertionError("the failure was swallowed")
        row = await Outbox.select().where(Outbox.id == event_id).first()
        assert row is not None and row["processed_at"] is None
        assert row["last_error"] == "RuntimeError: mail server said 451"
        assert calls == ["flaky", "steady"]
        assert await outbox_tasks.process_event(event_id) is True  # the retry
        assert await outbox_tasks.process_event(9_999_999) is False  # a row that is gone
    finally:
        del outbox_tasks.HANDLERS["test.flaky"]
