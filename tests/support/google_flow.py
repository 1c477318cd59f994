"""Connect a Google (sandbox) account the way a person does: authorize, consent, callback."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

T = TypeVar("T")


async def connect_google(live_server: str, api_token: str, account: str) -> dict[str, Any]:
    """Returns the new integration as the API lists it."""
    headers = {"Authorization": f"Bearer {api_token}"}
    async with httpx.AsyncClient(timeout=30) as client:
        start = (
            await client.post(f"{live_server}/api/v1/calendar_integrations/google/authorize", headers=headers)
        ).json()
        consent = await client.get(start["authorization_url"])
        request_id = re.search(r"name='request_id' value='([^']+)'", consent.text)
        assert request_id, consent.text
        decision_url = str(consent.url.copy_with(path="/o/oauth2/v2/auth/decision", query=None))
        decision = await client.post(
            decision_url,
            data={"request_id": request_id.group(1), "account": account, "other_email": account, "decision": "allow"},
        )
        callback = await client.get(decision.headers["location"])
        assert callback.status_code in (302, 303), callback.text
        assert "error" not in callback.headers["location"], callback.headers["location"]
        listed = (await client.get(f"{live_server}/api/v1/calendar_integrations", headers=headers)).json()
    return next(i for i in listed if i["account_email"] == account)


async def eventually(check: Callable[[], Awaitable[T | None]], timeout: float = 60, what: str = "condition") -> T:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def sandbox_events(sandbox: str, calendar_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{sandbox}/_sandbox/calendars/{calendar_id}/events")
        response.raise_for_status()
        body = response.json()
    return list(body["items"] if isinstance(body, dict) else body)
