"""Connect a Google (sandbox) account the way a person does: authorize, consent, callback."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from rental.accounts import staff_for_token
from tests.support.portal import PASSWORD

T = TypeVar("T")


async def portal_login(
    browser: httpx.AsyncClient, live_server: str, email: str, next_path: str = "", password: str = PASSWORD
) -> httpx.Response:
    """Log `browser` in to the portal as a staff member, through the login form; returns the form's answer."""
    page = await browser.get(f"{live_server}/login", params={"next": next_path} if next_path else None)
    csrf = re.search(r"name=\"_csrf_token\" value=\"([^\"]+)\"", page.text)
    next_field = re.search(r"name=\"next\" value=\"([^\"]*)\"", page.text)
    assert csrf and next_field, page.text
    return await browser.post(
        f"{live_server}/login",
        data={
            "email": email,
            "password": password,
            "next": html.unescape(next_field.group(1)),
            "_csrf_token": csrf.group(1),
        },
    )


async def consent_redirect(
    browser: httpx.AsyncClient, authorization_url: str, account: str, *, grant: tuple[str, ...] | None = None
) -> str:
    """Open the sandbox consent screen, choose `account`, press Allow; the callback URL Google redirects to.

    `grant` = the optional scopes left ticked (None: the decision is posted without the checkboxes, granting all).
    """
    consent = await browser.get(authorization_url)
    request_id = re.search(r"name='request_id' value='([^']+)'", consent.text)
    assert request_id, consent.text
    decision_url = str(consent.url.copy_with(path="/o/oauth2/v2/auth/decision", query=None))
    fields = [("request_id", request_id.group(1)), ("account", account), ("other_email", account)]
    if grant is not None:
        fields += [("scope_choice", "1"), *(("scope", scope) for scope in grant)]
    decision = await browser.post(
        decision_url,
        content=urlencode([*fields, ("decision", "allow")]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert decision.status_code in (302, 303), decision.text
    return decision.headers["location"]


async def connect_google(
    live_server: str, api_token: str, account: str, *, login: tuple[str, str] | None = None
) -> dict[str, Any]:
    """Start through the API, consent, then open the callback in a browser that is not logged in yet: the portal
    asks for the login first (as the staff member owning `api_token`, or `login` = (e-mail, password) on a
    server with its own database) and comes back to the callback. Returns the new integration as the API lists it."""
    headers = {"Authorization": f"Bearer {api_token}"}
    if login is None:
        staff = await staff_for_token(api_token)
        assert staff is not None
        login = (staff.email, PASSWORD)
    async with httpx.AsyncClient(timeout=30) as browser:
        start = (
            await browser.post(f"{live_server}/api/v1/calendar_integrations/google/authorize", headers=headers)
        ).json()
        callback = await browser.get(await consent_redirect(browser, start["authorization_url"], account))
        assert callback.status_code == 303 and callback.headers["location"].startswith("/login?"), callback.text
        next_path = parse_qs(urlsplit(callback.headers["location"]).query)["next"][0]
        logged_in = await portal_login(browser, live_server, login[0], next_path, login[1])
        assert logged_in.status_code == 303 and logged_in.headers["location"] == next_path
        done = await browser.get(f"{live_server}{next_path}")
        assert done.status_code in (302, 303), done.text
        assert "error" not in done.headers["location"], done.headers["location"]
        listed = (await browser.get(f"{live_server}/api/v1/calendar_integrations", headers=headers)).json()
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
