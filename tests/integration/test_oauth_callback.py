"""Connecting Google through the real web process: the pending authorization is bound to whoever started it,
the calendar scope must be granted, a re-consent keeps the stored refresh token, and one token source refreshes
a rotating grant once however many workers ask at the same time."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from calendars import vault
from calendars.accounts import integrations
from calendars.accounts.connections import google_oauth_config, stored_credentials, token_source
from calendars.accounts.oauth import OAuthConfig, OAuthTokenSource, start_authorization
from calendars.providers.base import Credentials, NeedsReconnect
from calendars.tables import CalendarIntegration
from rental.accounts import create_api_token, staff_by_id
from rental.tenants import Tenant, tenant_by_id
from tests.factories import make_staff, make_tenant
from tests.support.google_flow import connect_google, consent_redirect, portal_login
from tests.support.google_sandbox import run_google_sandbox

REFUSED = "started by another person or in another browser, so nothing was connected"


@pytest.fixture
async def browsers() -> AsyncIterator[list[httpx.AsyncClient]]:
    """Three separate browsers (cookie jars), none logged in."""
    clients = [httpx.AsyncClient(timeout=30) for _ in range(3)]
    yield clients
    for client in clients:
        await client.aclose()


async def staff_member(tenant: Tenant | None = None) -> tuple[int, str, str]:
    """(staff id, portal email, API token) of a new manager, in a new company unless `tenant` is given."""
    staff_id, email = await make_staff(tenant or await make_tenant(), "manager")
    return staff_id, email, await create_api_token(email)


async def api_authorize(live_server: str, token: str) -> str:
    async with httpx.AsyncClient(timeout=30) as client:
        response = await client.post(
            f"{live_server}/api/v1/calendar_integrations/google/authorize",
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    return str(response.json()["authorization_url"])


async def logged_in(browser: httpx.AsyncClient, live_server: str, email: str) -> httpx.AsyncClient:
    answer = await portal_login(browser, live_server, email)
    assert answer.status_code == 303, answer.text
    return browser


async def open_callback(browser: httpx.AsyncClient, url: str) -> tuple[str, dict[str, str]]:
    """Open our callback; (where it sends the browser, that address's query)."""
    answer = await browser.get(url)
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["location"]
    return location, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


async def integrations_of(account: str) -> list[dict[str, object]]:
    return list(await CalendarIntegration.select().where(CalendarIntegration.account_email == account))


async def test_api_started_connection_completes_only_for_the_same_staff_member(
    live_server: str, google_sandbox: str, browsers: list[httpx.AsyncClient]
) -> None:
    victim_id, victim_email, victim_token = await staff_member()
    _, attacker_email, _ = await staff_member()  # another company
    victim_account, attacker_account = (f"{n}-{uuid.uuid4().hex[:8]}@gmail.test" for n in ("victim", "attacker"))
    url = await api_authorize(live_server, victim_token)

    # The consent link reaches someone else, who is logged in to the portal and consents with their own Google.
    attacker = await logged_in(browsers[0], live_server, attacker_email)
    location, query = await open_callback(attacker, await consent_redirect(attacker, url, attacker_account))
    assert location.startswith("/portal/integrations?") and REFUSED in query["error"]
    page = await attacker.get(f"{live_server}{location}")
    assert REFUSED in page.text
    assert await integrations_of(attacker_account) == []

    # The staff member's own browser, not logged in yet: log in first, then back to the callback.
    victim = browsers[1]
    callback = await consent_redirect(victim, url, victim_account)
    location, query = await open_callback(victim, callback)
    assert location.startswith("/login?") and query["next"].startswith("/oauth/google/callback?state=")
    assert await integrations_of(victim_account) == []
    answer = await portal_login(victim, live_server, victim_email, query["next"])
    assert answer.headers["location"] == query["next"]
    location, query = await open_callback(victim, f"{live_server}{query['next']}")  # the state was not used up
    assert "message" in query and "error" not in query, location
    (row,) = await integrations_of(victim_account)
    assert row["user"] == victim_id and row["status"] == "active"

    # Used once: the same callback again only says it expired.
    _, query = await open_callback(victim, callback)
    assert "expired" in query["error"]


async def test_portal_started_connection_is_bound_to_its_browser_session(
    live_server: str, google_sandbox: str, browsers: list[httpx.AsyncClient]
) -> None:
    tenant = await make_tenant()
    victim_id, victim_email, _ = await staff_member(tenant)
    _, attacker_email, _ = await staff_member()
    account = f"portal-{uuid.uuid4().hex[:8]}@gmail.test"
    victim = await logged_in(browsers[0], live_server, victim_email)
    page = await victim.get(f"{live_server}/portal/integrations/")
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert csrf
    started = await victim.post(
        f"{live_server}/portal/integrations/google/connect", data={"_csrf_token": csrf.group(1)}
    )
    assert started.status_code == 303
    url = started.headers["location"]

    attacker = await logged_in(browsers[1], live_server, attacker_email)
    _, query = await open_callback(attacker, await consent_redirect(attacker, url, f"x-{account}"))
    assert REFUSED in query["error"]
    # Even the same staff member in another browser session cannot complete it.
    elsewhere = await logged_in(browsers[2], live_server, victim_email)
    _, query = await open_callback(elsewhere, await consent_redirect(elsewhere, url, account))
    assert REFUSED in query["error"]
    assert await integrations_of(account) == [] and await integrations_of(f"x-{account}") == []

    _, query = await open_callback(victim, await consent_redirect(victim, url, account))
    assert query.get("message") == "Google Calendar connected", query
    (row,) = await integrations_of(account)
    assert row["user"] == victim_id and row["company"] == tenant.id


async def test_unticked_calendar_scope_is_refused_revoked_and_not_stored(
    live_server: str, google_sandbox: str, browsers: list[httpx.AsyncClient]
) -> None:
    _, email, token = await staff_member()
    account = f"untick-{uuid.uuid4().hex[:8]}@gmail.test"
    browser = await logged_in(browsers[0], live_server, email)

    callback = await consent_redirect(browser, await api_authorize(live_server, token), account, grant=())
    location, query = await open_callback(browser, callback)
    assert query["error"].startswith("Rentcal needs access to your calendars; please tick")
    assert "See, edit, share, and permanently delete all the calendars" in query["error"]
    page = await browser.get(f"{live_server}{location}")
    assert "Rentcal needs access to your calendars" in page.text
    assert await integrations_of(account) == []
    async with httpx.AsyncClient(base_url=google_sandbox) as sandbox:
        grants = (await sandbox.get("/_sandbox/oauth", params={"email": account})).json()["grants"]
    assert grants and all(g["revoked"] for g in grants)  # no live refresh token left behind

    calendar = "https://www.googleapis.com/auth/calendar"
    callback = await consent_redirect(browser, await api_authorize(live_server, token), account, grant=(calendar,))
    _, query = await open_callback(browser, callback)
    assert query.get("message") == "Google Calendar connected", query
    (row,) = await integrations_of(account)
    assert calendar in vault.open_credentials(str(row["credentials"])).scope.split()


async def test_reconsent_without_a_refresh_token_keeps_the_stored_one(live_server: str, google_sandbox: str) -> None:
    staff_id, _, token = await staff_member()
    account = f"reconsent-{uuid.uuid4().hex[:8]}@gmail.test"
    integration = await connect_google(live_server, token, account)
    before = await stored_credentials(integration["id"])
    assert before.refresh_token

    # A consent without prompt=consent: Google answers with an access token only.
    no_prompt = replace(google_oauth_config(), extra_authorize_params=(("access_type", "offline"),))
    request = start_authorization(no_prompt)
    async with httpx.AsyncClient(timeout=30) as browser:
        callback = await consent_redirect(browser, request.url, account)
    code = parse_qs(urlsplit(callback).query)["code"][0]
    staff = await staff_by_id(staff_id)
    assert staff is not None
    again = await integrations.complete_google(await tenant_by_id(staff.company_id), staff, code, request.code_verifier)
    assert again == integration["id"]
    after = await stored_credentials(again)
    assert after.access_token != before.access_token
    assert after.refresh_token == before.refresh_token
    await token_source(again).refreshed_access_token()  # and it still refreshes


# ---- one token source, concurrent refreshes, rotating refresh tokens -------------------------------------------


@pytest.fixture(scope="module")
def rotating_sandbox() -> Iterator[str]:
    with run_google_sandbox("--rotate-refresh-tokens", "--no-seed-events") as base:
        yield base


async def expired_grant(sandbox: str, email: str) -> Credentials:
    async with httpx.AsyncClient(base_url=sandbox) as admin:
        issued = (await admin.post("/_sandbox/tokens", json={"email": email})).json()
    return Credentials(issued["access_token"], issued["refresh_token"], datetime.now(UTC) - timedelta(seconds=1))


async def refreshes(sandbox: str) -> int:
    async with httpx.AsyncClient(base_url=sandbox) as admin:
        return int((await admin.get("/_sandbox/oauth")).json()["refreshes"])


async def test_concurrent_refreshes_with_rotating_refresh_tokens_keep_the_grant(
    rotating_sandbox: str, app_env: dict[str, str]
) -> None:
    config = OAuthConfig.from_base_url(rotating_sandbox, "sandbox-client", "unused", "http://127.0.0.1:9/cb")
    # Without the shared lock and re-read, the second refresher uses the rotated-away token and loses the grant.
    bare = await expired_grant(rotating_sandbox, f"race-{uuid.uuid4().hex[:8]}@gmail.test")
    outcomes = await asyncio.gather(
        OAuthTokenSource(config, bare).access_token(),
        OAuthTokenSource(config, bare).access_token(),
        return_exceptions=True,
    )
    assert sum(isinstance(o, NeedsReconnect) for o in outcomes) == 1

    tenant = await make_tenant()
    staff_id, _ = await make_staff(tenant, "manager")
    granted = await expired_grant(rotating_sandbox, f"rotate-{uuid.uuid4().hex[:8]}@gmail.test")
    rows = await CalendarIntegration.insert(
        CalendarIntegration(
            company=tenant.id,
            user=staff_id,
            provider="google",
            account_email="rotate@gmail.test",
            credentials=vault.seal_credentials(granted),
            include_all_bookings=False,
        )
    ).returning(CalendarIntegration.id)
    integration_id = int(rows[0]["id"])
    start = await refreshes(rotating_sandbox)

    # Two workers, each with its own in-process cache, find the access token expired at the same moment.
    first, second = token_source(integration_id, config), token_source(integration_id, config)
    tokens = await asyncio.gather(first.access_token(), second.access_token())
    assert tokens[0] == tokens[1] != granted.access_token
    assert await refreshes(rotating_sandbox) == start + 1
    stored = await stored_credentials(integration_id)
    assert stored.access_token == tokens[0] and stored.refresh_token not in (None, granted.refresh_token)

    # Google refuses the token in one worker: it refreshes with the rotated token; the other one then re-reads.
    newer = await first.refreshed_access_token()
    assert await second.refreshed_access_token() == newer
    assert await refreshes(rotating_sandbox) == start + 2
    row = await CalendarIntegration.select().where(CalendarIntegration.id == integration_id).first()
    assert row is not None and row["status"] == "active"

    # A grant revoked at the provider marks the connection for reconnecting.
    async with httpx.AsyncClient(base_url=rotating_sandbox) as sandbox:
        assert (await sandbox.post("/revoke", data={"token": newer})).status_code == 200
    with pytest.raises(NeedsReconnect):
        await token_source(integration_id, config).refreshed_access_token()
    row = await CalendarIntegration.select().where(CalendarIntegration.id == integration_id).first()
    assert row is not None and row["status"] == "needs_reconnect"
