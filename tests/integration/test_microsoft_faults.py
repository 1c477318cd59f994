"""Outlook under fire: a manager and a driver connect while notifications are live, Graph fails 30% of requests
(429 with Retry-After, 503, 429 MailboxConcurrency) and the worker dies mid-run. Afterwards every item is in
every target calendar exactly once, nothing of ours is left over (0 orphans) and the audit is clean."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator

import httpx
import pytest

from calendars.sync import audit
from rental.accounts import create_api_token
from tests.support.connect_scenario import connect_schedule, full_sync_done, sync_settled
from tests.support.google_flow import eventually
from tests.support.microsoft_flow import connect_microsoft, mailbox, our_key, outlook_events, outlook_keys
from tests.support.worker import WorkerHandle

FAULTS = {
    "error_rate": 0.3,
    "error_kinds": ["tooManyRequests", "serviceUnavailable", "mailboxConcurrency"],
    "retry_after_seconds": 1,
    "seed": 7,
}


@pytest.fixture
def quick_full_sync_retry(worker_process: WorkerHandle) -> Iterator[None]:
    """The worker started after the kill asks again for a full sync the kill interrupted after 20 s instead of
    5 minutes (as the chaos test's stack does); the session's worker gets its own settings back afterwards."""
    before = os.environ.get("RENTCAL_FULL_SYNC_RETRY_SECONDS")
    os.environ["RENTCAL_FULL_SYNC_RETRY_SECONDS"] = "20"
    yield
    if before is None:
        del os.environ["RENTCAL_FULL_SYNC_RETRY_SECONDS"]
    else:
        os.environ["RENTCAL_FULL_SYNC_RETRY_SECONDS"] = before
    worker_process.stop()
    worker_process.start()


@pytest.mark.timeout(900)  # a connect of 176 items through 30% throttling on a shared two-core machine
async def test_connect_with_graph_faults_and_a_worker_kill_puts_every_item_in_every_calendar_once(
    live_server: str, worker_process: WorkerHandle, microsoft_sandbox: str, quick_full_sync_retry: None
) -> None:
    plan = await connect_schedule()
    manager_account, driver_account = f"fm.{plan.tenant.slug}@contoso.test", f"fd.{plan.tenant.slug}@contoso.test"
    manager_calendar = await mailbox(microsoft_sandbox, manager_account)
    driver_calendar = await mailbox(microsoft_sandbox, driver_account)

    async def kill_the_worker_mid_run() -> None:
        async def started() -> bool:
            return sum((await outlook_keys(microsoft_sandbox, manager_calendar)).values()) >= 10

        await eventually(started, timeout=180, what="the first events of the connect")
        worker_process.kill()  # the whole worker process group dies, mid-run
        await asyncio.sleep(1)
        worker_process.start()

    async with httpx.AsyncClient(base_url=microsoft_sandbox, timeout=30) as sandbox:
        assert (await sandbox.delete("/_sandbox/stats")).is_success
        assert (await sandbox.post("/_sandbox/faults", json=FAULTS)).is_success
        try:
            manager, driver, late, _ = await asyncio.gather(
                connect_microsoft(live_server, await create_api_token(plan.manager_email), manager_account),
                connect_microsoft(live_server, await create_api_token(plan.driver_email), driver_account),
                plan.bookings_during_the_connect(),
                kill_the_worker_mid_run(),
            )
            await eventually(lambda: full_sync_done(manager["id"]), timeout=600, what="the manager's full sync")
            await eventually(lambda: full_sync_done(driver["id"]), timeout=600, what="the driver's full sync")
            injected = (await sandbox.get("/_sandbox/stats")).json()["faults_injected"]
            assert {"tooManyRequests", "serviceUnavailable", "mailboxConcurrency"} <= set(injected), injected
        finally:
            await sandbox.delete("/_sandbox/faults")

    expected = {
        manager_calendar: {f"booking:{i}" for i in plan.booking_ids + late},
        driver_calendar: {f"delivery:{i}" for i in plan.delivery_ids},
    }

    async def exactly_once() -> bool:
        for calendar_id, keys in expected.items():
            counts = await outlook_keys(microsoft_sandbox, calendar_id)
            if set(counts) != keys or max(counts.values()) != 1:
                return False
        return True

    seen: list[object] = [None]

    async def settled() -> bool:
        """Nothing left to do, including what the kill interrupted (a lost push is redone once its outbox row is
        requeued, a dead worker's lock expires) and the reads our own writes' notifications asked for; and
        Graph saw no request and sent no notification since the previous look (none is in flight)."""
        left = await sync_settled(plan.tenant.id, [manager["id"], driver["id"]], expected)
        async with httpx.AsyncClient(base_url=microsoft_sandbox, timeout=30) as sandbox:
            stats = (await sandbox.get("/_sandbox/stats")).json()
        activity = (stats["requests"]["total"], stats["notifications"])
        quiet, seen[0] = left is None and activity == seen[0], left or activity
        return quiet

    try:
        await eventually(settled, timeout=300, what="the worker to finish every write and read")
    except AssertionError as exc:
        raise AssertionError(f"{exc}: {seen[0]}") from None
    assert await exactly_once()
    for calendar_id in expected:  # nothing in the calendars but our items (no orphans, no stray copies)
        assert all(our_key(e) for e in await outlook_events(microsoft_sandbox, calendar_id))
    for integration in (manager, driver):
        report = await audit.audit_integration(integration["id"])
        assert report.problems == 0, report
