"""Helpers for the security suite: signed-in portal clients and per-test client addresses."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from tests.support.portal import PASSWORD

_addresses = itertools.count(1)


def new_address() -> str:
    """A documentation address (RFC 5737) no other test uses; the test servers trust X-Forwarded-For
    from loopback, so each test gets its own rate-limit and login-throttle budget."""
    n = next(_addresses)
    return f"203.0.113.{n % 250 + 1}"


def as_client(address: str | None = None) -> dict[str, str]:
    return {"X-Forwarded-For": address or new_address()}


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    """Log in through the real form (CSRF cookie + hidden field) and send the CSRF header afterwards."""
    await client.get("/login")
    response = await client.post(
        "/login",
        data={"email": email, "password": password, "_csrf_token": client.cookies.get("csrftoken", "")},
    )
    client.headers["x-csrftoken"] = client.cookies.get("csrftoken") or ""
    return response


@asynccontextmanager
async def portal_client(base: str, email: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=base, headers=as_client(), timeout=30) as client:
        response = await log_in(client, email)
        assert response.status_code == 303, response.text
        yield client


from tests.e2e.conftest import browser, page  # noqa: E402, F401  (Chromium for the CSP check)
