"""The CalDAV connect of 100+ bookings while the server misbehaves like a busy iCloud: a proxy in front of
Radicale names the calendar home on a per-user host, gives weak ETags, and fails 30% of the requests
(503, 429 with Retry-After, connections dropped before the server saw the request, replies lost after it
did the work, a 412 after a write that went through), and the worker is killed mid-run. Afterwards every
booking is in the calendar exactly once, nothing else of ours is there, and the audit finds nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from calendars.sync import audit
from calendars.tables import CalendarIntegration
from rental.accounts import create_api_token
from tests.factories import make_product, make_staff, make_tenant
from tests.support.caldav_flow import book, connect, keys_of, written_to
from tests.support.caldav_server import Account, caldav_server, next_account_name  # noqa: F401
from tests.support.dav_proxy import FAULT_KINDS, DavProxy, Faults, Quirks, run_dav_proxy
from tests.support.google_flow import eventually
from tests.support.worker import WorkerHandle

LA = ZoneInfo("America/Los_Angeles")
BOOKINGS = 104


@pytest.fixture
def icloud(caldav_server: str) -> Iterator[DavProxy]:  # noqa: F811
    with run_dav_proxy(caldav_server, Quirks(per_user_host=True, weak_etags=True)) as proxy:
        yield proxy


@pytest.fixture
async def account(caldav_server: str) -> AsyncIterator[Account]:  # noqa: F811
    one = Account(caldav_server, next_account_name())  # reads what is stored straight from Radicale
    yield one
    await one.aclose()


async def settled(integration_id: int) -> bool:
    row = (
        await CalendarIntegration.select(CalendarIntegration.last_synced_at, CalendarIntegration.full_sync_requested_at)
        .where(CalendarIntegration.id == integration_id)
        .first()
    )
    return row is not None and row["last_synced_at"] is not None and row["full_sync_requested_at"] is None


@pytest.fixture
def restarted_worker(worker_process: WorkerHandle, monkeypatch: pytest.MonkeyPatch) -> Iterator[WorkerHandle]:
    """The session's worker; killed by the test and started again with a short full-sync retry (a connect's
    full sync lost with the killed worker is asked for again after it), and afterwards as it was."""
    monkeypatch.setenv("RENTCAL_FULL_SYNC_RETRY_SECONDS", "20")
    yield worker_process
    monkeypatch.undo()
    worker_process.kill()
    worker_process.start()


@pytest.mark.timeout(900)
async def test_connect_through_faults_and_a_worker_kill_writes_every_booking_exactly_once(
    live_server: str, restarted_worker: WorkerHandle, icloud: DavProxy, account: Account
) -> None:
    tenant = await make_tenant()
    manager_id, manager_email = await make_staff(tenant, "manager")
    product, _ = await make_product(tenant, units=2)
    first = datetime.now(LA).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(days=2)
    ids = [
        await book(tenant, product, manager_id, first + timedelta(days=i // 2), f"Fault {i}") for i in range(BOOKINGS)
    ]
    expected = {f"booking:{i}" for i in ids}

    # the connect itself asks a person to wait: it gets few retries, so the faults start once it is in
    response = await connect(live_server, await create_api_token(manager_email), account, server_url=icloud.front_url)
    assert response.status_code == 201, response.text
    integration = response.json()
    target = written_to(integration)
    assert target["external_id"].startswith(icloud.host_url)  # the calendar lives on the per-user host
    calendar = account.calendar(target["external_id"].rstrip("/").rsplit("/", 1)[-1])
    icloud.set_faults(Faults(rate=0.3, retry_after=1, seed=12))
    try:

        async def some_written() -> bool:
            return sum(keys_of(await account.stored(calendar)).values()) >= 10

        await eventually(some_written, timeout=120, what="the first events of the connect")
        restarted_worker.kill()  # the whole worker dies mid-run, as in a crash
        await asyncio.sleep(1)
        restarted_worker.start()

        async def exactly_once() -> bool:
            counts = keys_of(await account.stored(calendar))
            return await settled(integration["id"]) and set(counts) == expected and max(counts.values()) == 1

        await eventually(exactly_once, timeout=420, what="every booking exactly once")
    finally:
        icloud.set_faults(Faults())
    assert set(icloud.injected) == set(FAULT_KINDS), icloud.injected  # every kind of fault really happened
    assert sum(icloud.injected.values()) >= 30

    await asyncio.sleep(3)  # pushes and reads still running settle
    counts = keys_of(await account.stored(calendar))
    assert set(counts) == expected and max(counts.values()) == 1  # none lost, none doubled, no orphans
    report = await audit.audit_integration(integration["id"])
    assert report.problems == 0, report  # 0 duplicates, 0 orphans, 0 missing, 0 stale
