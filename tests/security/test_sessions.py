"""Items 6, 7 and 10 (sessions): rotation, no anonymous sessions, CSRF bound to the session, login throttle."""

from __future__ import annotations

import asyncio

import httpx
import redis.asyncio as aioredis

from rentcal.settings import get_settings
from tests.factories import make_staff, make_tenant
from tests.security.conftest import as_client, log_in, new_address


async def _session_keys() -> set[bytes]:
    client = aioredis.Redis.from_url(get_settings().redis_url)
    try:
        return set(await client.keys("rentcal:sessions*"))
    finally:
        await client.aclose()  # type: ignore[attr-defined]  # types-redis predates redis 5's aclose


async def test_anonymous_requests_create_no_server_side_session(live_server: str) -> None:
    before = await _session_keys()
    async with httpx.AsyncClient(base_url=live_server, headers=as_client()) as client:
        for path in ("/login", "/", "/health", "/portal/bookings", "/schema/openapi.json"):
            response = await client.get(path)
            assert "session=" not in response.headers.get("set-cookie", ""), path
    assert await _session_keys() - before == set()


async def test_a_planted_session_id_does_not_survive_login_and_logout_kills_the_session(live_server: str) -> None:
    tenant = await make_tenant()
    _, email = await make_staff(tenant, "driver")
    planted = "a" * 64
    async with httpx.AsyncClient(base_url=live_server, headers=as_client()) as client:
        client.cookies.set("session", planted, domain="127.0.0.1", path="/")
        assert (await log_in(client, email)).status_code == 303
        issued = client.cookies.get("session")
        assert issued and issued != planted
        async with httpx.AsyncClient(base_url=live_server) as attacker:
            attacker.cookies.set("session", planted)
            assert (await attacker.get("/portal/bookings")).status_code in (302, 303)
        assert (await client.get("/portal/bookings")).status_code == 200
        # Logging in again (same browser) issues yet another id; the previous one stops working.
        assert (await log_in(client, email)).status_code == 303
        again = client.cookies.get("session")
        assert again and again != issued
        async with httpx.AsyncClient(base_url=live_server) as stale:
            stale.cookies.set("session", issued)
            assert (await stale.get("/portal/bookings")).status_code in (302, 303)
        await client.post("/logout")
        async with httpx.AsyncClient(base_url=live_server) as replay:
            replay.cookies.set("session", again)
            assert (await replay.get("/portal/bookings")).status_code in (302, 303)


async def test_csrf_tokens_are_bound_to_the_session(live_server: str) -> None:
    tenant = await make_tenant()
    _, first = await make_staff(tenant, "manager")
    _, second = await make_staff(tenant, "manager")
    async with (
        httpx.AsyncClient(base_url=live_server, headers=as_client()) as alice,
        httpx.AsyncClient(base_url=live_server, headers=as_client()) as mallory,
    ):
        await log_in(alice, first)
        await log_in(mallory, second)
        form = {"offsets": "3h", "enabled": "on"}
        assert (await alice.post("/portal/reminders", data=form)).status_code == 200
        # Mallory's own valid CSRF token and cookie, sent with Alice's session: refused.
        alice_session = alice.cookies.get("session")
        assert alice_session
        mallory.cookies.set("session", alice_session)
        refused = await mallory.post("/portal/reminders", data=form)
        assert refused.status_code == 403 and "another session" in refused.json()["detail"]


async def test_login_is_throttled_per_account_and_per_address(live_server: str) -> None:
    tenant = await make_tenant()
    _, email = await make_staff(tenant, "technician")
    limit = get_settings().login_attempts_per_account
    async with httpx.AsyncClient(base_url=live_server) as client:
        for i in range(limit):  # from different addresses: the account's budget runs out
            client.headers["X-Forwarded-For"] = new_address()
            assert (await log_in(client, email, f"wrong-{i}")).status_code == 401
        client.headers["X-Forwarded-For"] = new_address()
        refused = await log_in(client, email)  # even the right password waits now
        assert refused.status_code == 429 and "too many failed logins for this account" in refused.text
        assert int(refused.headers["retry-after"]) > 0

        address = new_address()
        client.headers["X-Forwarded-For"] = address
        per_address = get_settings().login_attempts_per_address
        for i in range(per_address):
            await log_in(client, f"nobody{i}@example.test", "x")
        blocked = await log_in(client, f"someone-else@{tenant.slug}.test", "x")
        assert blocked.status_code == 429 and "your address" in blocked.text


async def test_password_hashing_does_not_stall_the_event_loop(live_server: str) -> None:
    """Twenty concurrent wrong passwords and a health check: the health check is not queued behind
    them (argon2 runs in a thread). Asserted by order of completion, not by a time limit."""
    done: list[str] = []

    async def wrong(i: int) -> None:
        async with httpx.AsyncClient(base_url=live_server, headers=as_client(), timeout=60) as client:
            response = await log_in(client, f"ghost{i}@example.test", f"w{i}")
            assert response.status_code == 401
            done.append("login")

    async def health() -> None:
        async with httpx.AsyncClient(base_url=live_server, timeout=60) as client:
            await asyncio.sleep(0.05)
            assert (await client.get("/health")).status_code == 200
            done.append("health")

    await asyncio.gather(*[wrong(i) for i in range(20)], health())
    assert done.index("health") < len(done) - 1
