"""Cached answers are never stale: two web processes, a change made through one, seen by the other.

Every change sends a NOTIFY at commit (a row trigger); the test waits for that notification to reach
its own LISTEN connection, which shows the change is committed and announced, then asks the other
process. A process hears the same notification at about the same moment, so its next answer is
expected to show the change; `next_answer_showing` allows a few more requests for a loaded machine
(and reports how many it needed) rather than measuring time.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from rental.changes import CHANNEL
from rental.tables import ApiToken, AvailabilityBlock
from tests.factories import make_api_token, make_product, make_tenant
from tests.support.net import free_port, wait_until_up
from tests.support.services import ROOT
from tests.widget.conftest import client_address

LA = ZoneInfo("America/Los_Angeles")
RANGE = "from=2027-09-01&to=2027-09-03"


@pytest.fixture(scope="module")
def second_server(live_server: str) -> Iterator[str]:
    """Process B: the real app again, beside the session's live_server (process A)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "rentcal.cli", "web", "--port", str(port)], cwd=ROOT, env=os.environ.copy()
    )
    try:
        wait_until_up(f"{base}/health")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)


class Announcements:
    """The test's own LISTEN connection on the change channel."""

    def __init__(self) -> None:
        self.heard: asyncio.Queue[str] = asyncio.Queue()

    async def wait_for(self, payload: str) -> None:
        while (await asyncio.wait_for(self.heard.get(), timeout=10)) != payload:
            pass


@pytest.fixture
async def announcements() -> AsyncIterator[Announcements]:
    listener = Announcements()
    connection = await asyncpg.connect(os.environ["DATABASE_URL"])
    await connection.add_listener(CHANNEL, lambda *args: listener.heard.put_nowait(args[-1]))
    yield listener
    await connection.close()


async def next_answer_showing(
    client: httpx.AsyncClient, url: str, shows: Callable[[httpx.Response], bool], **kwargs: Any
) -> httpx.Response:
    for _ in range(50):
        response = await client.get(url, **kwargs)
        if shows(response):
            return response
        await asyncio.sleep(0.02)
    raise AssertionError(f"{url} never showed the change: {response.status_code} {response.text[:300]}")


def day(response: httpx.Response, index: int) -> dict[str, Any]:
    days: list[dict[str, Any]] = response.json()["days"]
    return days[index]


async def test_a_booking_through_one_process_shows_in_the_other_and_changes_the_etag(
    live_server: str, second_server: str, announcements: Announcements
) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    token = await make_api_token(tenant)
    url = f"/public/v1/{tenant.slug}/products/{product}/availability?{RANGE}"
    async with httpx.AsyncClient(base_url=second_server, headers=client_address()) as b:
        first = await b.get(url)
        etag = first.headers["etag"]
        assert day(first, 1)["status"] == "available"
        cached = await b.get(url, headers={"If-None-Match": etag})
        assert cached.status_code == 304 and cached.content == b""

        booking = {
            "product_id": product,
            "starts_at": datetime(2027, 9, 2, 8, tzinfo=LA).isoformat(),
            "ends_at": datetime(2027, 9, 2, 17, tzinfo=LA).isoformat(),
            "customer": {"name": "Ona Other", "email": "ona@example.test"},
        }
        async with httpx.AsyncClient(base_url=live_server) as a:
            created = await a.post("/api/v1/bookings", json=booking, headers={"Authorization": f"Bearer {token}"})
            assert created.status_code == 201, created.text
        await announcements.wait_for(str(tenant.id))

        changed = await next_answer_showing(b, url, lambda r: r.status_code == 200, headers={"If-None-Match": etag})
        assert changed.headers["etag"] != etag
        assert [d["status"] for d in changed.json()["days"]] == ["available", "partial", "available"]
        # the new ETag is the one a 304 now answers to, in this process and the other
        for base in (second_server, live_server):
            async with httpx.AsyncClient(base_url=base, headers=client_address()) as client:
                again = await client.get(url, headers={"If-None-Match": changed.headers["etag"]})
                assert again.status_code == 304 and again.headers["etag"] == changed.headers["etag"]


async def test_block_outs_and_closures_through_one_process_show_in_the_other(
    live_server: str, second_server: str, announcements: Announcements
) -> None:
    tenant = await make_tenant()
    product, units = await make_product(tenant, units=2)
    token = await make_api_token(tenant)
    auth = {"Authorization": f"Bearer {token}"}
    public = f"/public/v1/{tenant.slug}/products/{product}/availability?{RANGE}"
    calendar = f"/api/v1/products/{product}/calendar?{RANGE}"
    async with (
        httpx.AsyncClient(base_url=live_server) as a,
        httpx.AsyncClient(base_url=second_server, headers=client_address()) as b,
    ):
        assert day(await b.get(public), 0)["available_units"] == 2
        assert day(await b.get(calendar, headers=auth), 0)["available_units"] == 2

        unit_block = {
            "blocked_from": datetime(2027, 9, 1, 0, tzinfo=LA).isoformat(),
            "blocked_until": datetime(2027, 9, 2, 0, tzinfo=LA).isoformat(),
            "unit_id": units[0],
            "reason": "Service",
        }
        created = await a.post("/api/v1/calendar_availability", json=unit_block, headers=auth)
        assert created.status_code == 201, created.text
        await announcements.wait_for(str(tenant.id))
        shown = await next_answer_showing(b, public, lambda r: day(r, 0)["available_units"] == 1)
        assert day(shown, 0)["status"] == "available" and day(shown, 1)["available_units"] == 2
        staff_view = await next_answer_showing(b, calendar, lambda r: day(r, 0)["available_units"] == 1, headers=auth)
        assert day(staff_view, 1)["available_units"] == 2

        closure = {
            "blocked_from": datetime(2027, 9, 3, 0, tzinfo=LA).isoformat(),
            "blocked_until": datetime(2027, 9, 4, 0, tzinfo=LA).isoformat(),
            "reason": "Inventory day",
        }
        created = await a.post("/api/v1/calendar_availability", json=closure, headers=auth)
        assert created.status_code == 201, created.text
        await announcements.wait_for(str(tenant.id))
        closed = await next_answer_showing(b, public, lambda r: day(r, 2)["status"] != "available")
        assert day(closed, 2)["reason"] == "Inventory day"

        removed = await a.delete(f"/api/v1/calendar_availability/{created.json()['id']}", headers=auth)
        assert removed.status_code == 204
        await announcements.wait_for(str(tenant.id))
        reopened = await next_answer_showing(b, public, lambda r: day(r, 2)["status"] == "available")
        assert day(reopened, 0)["available_units"] == 1


async def test_answers_are_cached_until_a_change_is_announced(second_server: str) -> None:
    """The cache is real: a change made with the triggers switched off stays unseen until announced."""
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    url = f"/public/v1/{tenant.slug}/products/{product}/availability?{RANGE}"
    connection = await asyncpg.connect(os.environ["DATABASE_URL"])
    try:
        async with httpx.AsyncClient(base_url=second_server, headers=client_address()) as b:
            before = await b.get(url)
            assert day(before, 0)["status"] == "available"
            async with connection.transaction():
                await connection.execute("SET LOCAL session_replication_role = replica")  # no triggers
                await connection.execute(
                    "INSERT INTO availability_block (company, blocked_from, blocked_until, reason) "
                    "VALUES ($1, $2, $3, 'Silent closure')",
                    tenant.id,
                    datetime(2027, 9, 1, 0, tzinfo=LA),
                    datetime(2027, 9, 2, 0, tzinfo=LA),
                )
            unannounced = await b.get(url)
            assert unannounced.headers["etag"] == before.headers["etag"]
            assert day(unannounced, 0)["status"] == "available"

            await connection.execute(f"NOTIFY {CHANNEL}, '{tenant.id}'")
            closed = await next_answer_showing(b, url, lambda r: day(r, 0)["status"] != "available")
            assert day(closed, 0)["reason"] == "Silent closure"
    finally:
        await AvailabilityBlock.delete().where(AvailabilityBlock.company == tenant.id)
        await connection.close()


async def test_a_revoked_token_stops_working_in_every_process(
    live_server: str, second_server: str, announcements: Announcements
) -> None:
    tenant = await make_tenant()
    token = await make_api_token(tenant)
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient() as client:
        for base in (live_server, second_server):
            assert (await client.get(f"{base}/api/v1/products", headers=auth)).status_code == 200
            assert (await client.get(f"{base}/api/v1/products", headers=auth)).status_code == 200  # cached

        await ApiToken.update({ApiToken.revoked_at: datetime.now(LA)}).where(ApiToken.company == tenant.id)
        await announcements.wait_for("auth")
        for base in (live_server, second_server):
            refused = await next_answer_showing(
                client, f"{base}/api/v1/products", lambda r: r.status_code == 401, headers=auth
            )
            assert "invalid or revoked API token" in refused.json()["detail"]


async def test_cached_answers_carry_the_same_body_and_headers_as_the_route(live_server: str) -> None:
    """The second request is answered from the cache before routing (widget.fastpath): same answer."""
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1)
    url = f"/public/v1/{tenant.slug}/products/{product}/availability?{RANGE}"
    ignored = {"date", "server"}
    async with httpx.AsyncClient(base_url=live_server, headers=client_address()) as client:
        routed, cached = await client.get(url), await client.get(url)
        assert routed.status_code == cached.status_code == 200 and routed.content == cached.content
        assert {k: v for k, v in routed.headers.items() if k not in ignored} == {
            k: v for k, v in cached.headers.items() if k not in ignored
        }
        etag = routed.headers["etag"]
        conditional = {"If-None-Match": etag}
        not_modified = [await client.get(url.replace("?", "/?"), headers=conditional) for _ in range(2)]
        assert [r.status_code for r in not_modified] == [304, 304] and not_modified[1].content == b""
        assert {k: v for k, v in not_modified[1].headers.items() if k not in ignored} == {
            k: v for k, v in routed.headers.items() if k not in ignored | {"content-type", "content-length"}
        }
        # anything unusual goes to the route, which owns the errors
        repeated = await client.get(url + "&from=2027-09-02")
        assert repeated.status_code == 200 and repeated.json()["days"][0]["date"] == "2027-09-02"  # the last wins
        bad = await client.get(f"/public/v1/{tenant.slug}/products/{product}/availability?from=2027-02-30")
        assert bad.status_code == 422 and "'from' must be a date" in bad.json()["detail"]
        unknown = await client.get(f"/public/v1/{tenant.slug}x/products/{product}/availability?{RANGE}")
        assert unknown.status_code == 404
