"""Connect a Microsoft 365 (sandbox) account the way a person does: authorize, pick the account, accept."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx

from calendars.providers import microsoft_wire as wire
from rental.accounts import staff_for_token
from tests.support.google_flow import portal_login
from tests.support.portal import PASSWORD


async def microsoft_consent(browser: httpx.AsyncClient, authorization_url: str, account: str) -> str:
    """Open the sandbox's consent screen, choose `account`, press Accept; the callback URL it redirects to."""
    consent = await browser.get(authorization_url)
    assert consent.status_code == 200, consent.text
    request_id = re.search(r"name='request_id' value='([^']+)'", consent.text)
    action = re.search(r"<form method='post' action='([^']+)'", consent.text)
    assert request_id and action, consent.text
    decision = await browser.post(
        urljoin(str(consent.url), action.group(1)),
        data={"request_id": request_id.group(1), "account": account, "other_email": account, "decision": "accept"},
    )
    assert decision.status_code in (302, 303), decision.text
    return decision.headers["location"]


async def connect_microsoft(live_server: str, api_token: str, account: str) -> dict[str, Any]:
    """Start through the API (`/outlook/authorize`, the epic's path), consent, then open the callback in a browser
    that logs in to the portal first. Returns the new integration as the API lists it."""
    headers = {"Authorization": f"Bearer {api_token}"}
    staff = await staff_for_token(api_token)
    assert staff is not None
    async with httpx.AsyncClient(timeout=30) as browser:
        started = await browser.post(f"{live_server}/api/v1/calendar_integrations/outlook/authorize", headers=headers)
        assert started.status_code == 200, started.text
        callback_url = await microsoft_consent(browser, started.json()["authorization_url"], account)
        assert urlsplit(callback_url).path == "/oauth/microsoft/callback", callback_url
        callback = await browser.get(callback_url)
        assert callback.status_code == 303 and callback.headers["location"].startswith("/login?"), callback.text
        next_path = parse_qs(urlsplit(callback.headers["location"]).query)["next"][0]
        logged_in = await portal_login(browser, live_server, staff.email, next_path, PASSWORD)
        assert logged_in.status_code == 303 and logged_in.headers["location"] == next_path
        done = await browser.get(f"{live_server}{next_path}")
        assert done.status_code in (302, 303), done.text
        assert "error" not in done.headers["location"], done.headers["location"]
        listed = (await browser.get(f"{live_server}/api/v1/calendar_integrations", headers=headers)).json()
    return next(i for i in listed if i["account_email"] == account and i["provider"] == "microsoft")


async def outlook_events(sandbox: str, calendar_id: str) -> list[dict[str, Any]]:
    """The calendar's events as the sandbox's admin view lists them (deleted ones left out)."""
    async with httpx.AsyncClient(base_url=sandbox, timeout=30) as client:
        response = await client.get(f"/_sandbox/calendars/{calendar_id}/events")
        response.raise_for_status()
    return [e for e in response.json()["items"] if not e.get("deleted")]


def our_key(event: dict[str, Any]) -> str | None:
    """Our item key from the event's single-value extended property, None on events we did not write."""
    for prop in event.get("singleValueExtendedProperties") or []:
        if str(prop.get("id", "")).lower() == wire.KEY_PROPERTY.lower():
            return str(prop["value"])
    return None


async def outlook_keys(sandbox: str, calendar_id: str) -> Counter[str]:
    """How many live events carry each of our keys in the calendar."""
    return Counter(k for k in map(our_key, await outlook_events(sandbox, calendar_id)) if k)


async def mailbox(sandbox: str, account: str) -> str:
    """Create the sandbox mailbox `account` (if new); the id of its default calendar."""
    async with httpx.AsyncClient(base_url=sandbox, timeout=30) as client:
        created = (await client.post("/_sandbox/accounts", json={"email": account})).json()
    return str(created["calendarIds"][0])


async def subscriptions(sandbox: str) -> list[dict[str, Any]]:
    """Every live subscription the sandbox holds."""
    async with httpx.AsyncClient(base_url=sandbox, timeout=30) as client:
        response = await client.get("/_sandbox/subscriptions")
        response.raise_for_status()
    return list(response.json()["items"])
