"""Google OAuth 2.0 code flow with PKCE against the sandbox, over real HTTP, the consent form posted like a browser."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import pytest

from calendars.accounts.oauth import (
    AuthorizationFailed,
    AuthorizationRequest,
    GoogleOAuthConfig,
    OAuthTokenSource,
    exchange_code,
    oauth_client,
    refresh,
    revoke,
    start_authorization,
    verify_callback,
)
from calendars.providers.base import Credentials, NeedsReconnect, RequestRejected, RetryableError
from calendars.providers.google import GoogleCalendarProvider
from tests.support.google_sandbox import run_google_sandbox

CLIENT_ID = "rentcal-test.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-sandbox-secret"  # the private sandbox enforces it
REDIRECT_URI = "http://127.0.0.1:9/oauth/google/callback"
CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[str]:
    """A private sandbox that enforces our client id and secret, as Google does."""
    args = ("--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, "--redirect-uri", REDIRECT_URI)
    with run_google_sandbox(*args, "--no-seed-events") as base:
        yield base


@pytest.fixture
def config(sandbox: str) -> GoogleOAuthConfig:
    return GoogleOAuthConfig.from_base_url(sandbox, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI)


@pytest.fixture
async def browser() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10, follow_redirects=False) as client:
        yield client


@pytest.fixture
def email() -> str:
    return f"oauth-{uuid.uuid4().hex[:12]}@example.test"


# ---- a browser, minimally: read the consent form and submit it --------------------------------------------


@dataclass
class Form:
    action: str = ""
    method: str = "get"
    fields: list[tuple[str, str]] = field(default_factory=list)  # what a browser would submit, sans buttons
    buttons: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (name, value)
    text_inputs: set[str] = field(default_factory=set)


class FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.form: Form | None = None
        self._button: dict[str, str | None] | None = None
        self._label = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and self.form is None:
            self.form = Form(action=a.get("action") or "", method=(a.get("method") or "get").lower())
        elif self.form is None:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            name, value = str(a["name"]), a.get("value") or ""
            if kind in ("radio", "checkbox"):
                if "checked" in a:
                    self.form.fields.append((name, value))
            elif kind not in ("submit", "button", "reset"):
                self.form.fields.append((name, value))
                if kind in ("text", "email"):
                    self.form.text_inputs.add(name)
        elif tag == "button":
            self._button, self._label = a, ""

    def handle_data(self, data: str) -> None:
        if self._button is not None:
            self._label += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "button" and self._button is not None and self.form is not None:
            name = self._button.get("name")
            if name and (self._button.get("type") or "submit") == "submit":
                self.form.buttons[self._label.strip()] = (name, self._button.get("value") or "")
            self._button = None


async def consent(
    browser: httpx.AsyncClient, url: str, *, email: str | None = None, button: str = "Allow"
) -> httpx.Response:
    """Open the consent page, type `email` into "Use another account" (or keep the preselected account) and press
    `button`; returns the server's answer (a redirect to our callback)."""
    page = await browser.get(url)
    assert page.status_code == 200, page.text
    parser = FormParser()
    parser.feed(page.text)
    form = parser.form
    assert form is not None and form.method == "post"
    assert {"Allow", "Cancel"} <= set(form.buttons)
    fields = list(form.fields)
    if email is not None:
        (other,) = [name for name in form.text_inputs]
        fields = [(name, email if name == other else value) for name, value in fields]
    fields.append(form.buttons[button])
    return await browser.post(
        urljoin(str(page.url), form.action),
        content=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Referer": str(page.url)},
    )


def callback_of(response: httpx.Response) -> str:
    assert response.status_code in (302, 303), response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI + "?")
    return location


async def authorize(
    browser: httpx.AsyncClient, config: GoogleOAuthConfig, email: str
) -> tuple[AuthorizationRequest, str]:
    request = start_authorization(config)
    return request, verify_callback(request, callback_of(await consent(browser, request.url, email=email)))


# ---- the flow -----------------------------------------------------------------------------------------------


def test_authorization_url_asks_for_offline_access_with_pkce(config: GoogleOAuthConfig) -> None:
    request = start_authorization(config)
    parts = urlsplit(request.url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == config.authorize_url
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    challenge = base64.urlsafe_b64encode(hashlib.sha256(request.code_verifier.encode()).digest()).rstrip(b"=")
    assert query == {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "scope": f"{CALENDAR_SCOPE} openid email",
        "state": request.state,
        "code_challenge": challenge.decode(),
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
        "include_granted_scopes": "true",
    }
    assert 43 <= len(request.code_verifier) <= 128
    other = start_authorization(config)
    assert (other.state, other.code_verifier) != (request.state, request.code_verifier)


async def test_code_flow_exchange_refresh_revoke(
    config: GoogleOAuthConfig, browser: httpx.AsyncClient, email: str, sandbox: str
) -> None:
    request, code = await authorize(browser, config, email)

    credentials = await exchange_code(config, code, request.code_verifier)
    assert credentials.access_token and credentials.refresh_token
    assert credentials.extra["email"] == email
    assert CALENDAR_SCOPE in credentials.scope.split()
    assert credentials.expires_at is not None
    assert timedelta(minutes=55) < credentials.expires_at - datetime.now(UTC) <= timedelta(hours=1)

    # The access token works against the Calendar API.
    tokens = OAuthTokenSource(config, credentials)
    async with httpx.AsyncClient(timeout=10) as api:
        provider = GoogleCalendarProvider(f"{sandbox}/calendar/v3", tokens, api)
        assert [c.id for c in await provider.list_calendars() if c.primary] == [email]

    refreshed = await refresh(config, credentials.refresh_token or "")
    assert refreshed.access_token != credentials.access_token
    assert refreshed.refresh_token == credentials.refresh_token  # Google does not rotate it
    assert refreshed.expires_at is not None

    assert await revoke(config, credentials.refresh_token or "") is True
    with pytest.raises(NeedsReconnect, match="invalid_grant"):
        await refresh(config, credentials.refresh_token or "")
    assert await revoke(config, credentials.refresh_token or "") is False  # best effort: already gone


async def test_wrong_code_verifier_is_refused(
    config: GoogleOAuthConfig, browser: httpx.AsyncClient, email: str
) -> None:
    _, code = await authorize(browser, config, email)
    with pytest.raises(AuthorizationFailed, match="invalid_grant") as refused:
        await exchange_code(config, code, start_authorization(config).code_verifier)
    assert refused.value.error == "invalid_grant"
    assert isinstance(refused.value, RequestRejected)


async def test_code_cannot_be_used_twice(config: GoogleOAuthConfig, browser: httpx.AsyncClient, email: str) -> None:
    request, code = await authorize(browser, config, email)
    await exchange_code(config, code, request.code_verifier)
    with pytest.raises(AuthorizationFailed, match="invalid_grant"):
        await exchange_code(config, code, request.code_verifier)


async def test_callback_state_must_match(config: GoogleOAuthConfig, browser: httpx.AsyncClient, email: str) -> None:
    request = start_authorization(config)
    callback = callback_of(await consent(browser, request.url, email=email))
    with pytest.raises(AuthorizationFailed) as mismatch:
        verify_callback(start_authorization(config), callback)
    assert mismatch.value.error == "state_mismatch"
    assert verify_callback(request.state, callback)


async def test_cancelled_consent_is_access_denied(config: GoogleOAuthConfig, browser: httpx.AsyncClient) -> None:
    request = start_authorization(config)
    callback = callback_of(await consent(browser, request.url, button="Cancel"))
    with pytest.raises(AuthorizationFailed) as denied:
        verify_callback(request, callback)
    assert denied.value.error == "access_denied"


async def test_wrong_client_secret_is_rejected(
    config: GoogleOAuthConfig, browser: httpx.AsyncClient, email: str
) -> None:
    request, code = await authorize(browser, config, email)
    with pytest.raises(RequestRejected, match="invalid_client"):
        await exchange_code(replace(config, client_secret="wrong"), code, request.code_verifier)


async def test_email_from_id_token_without_userinfo(
    config: GoogleOAuthConfig, browser: httpx.AsyncClient, email: str
) -> None:
    request, code = await authorize(browser, config, email)
    credentials = await exchange_code(replace(config, userinfo_url=None), code, request.code_verifier)
    assert credentials.extra["email"] == email


async def test_shared_client_is_reused(config: GoogleOAuthConfig, browser: httpx.AsyncClient, email: str) -> None:
    request, code = await authorize(browser, config, email)
    async with oauth_client(config) as client:
        credentials = await exchange_code(config, code, request.code_verifier, client)
        again = await refresh(config, credentials.refresh_token or "", client)
        assert not client.is_closed
    assert again.access_token != credentials.access_token


# ---- failures at the token endpoint -------------------------------------------------------------------------


async def test_token_endpoint_trouble_is_retryable(
    config: GoogleOAuthConfig, browser: httpx.AsyncClient, email: str, sandbox: str
) -> None:
    request, code = await authorize(browser, config, email)
    credentials = await exchange_code(config, code, request.code_verifier)
    refresh_token = credentials.refresh_token or ""
    async with httpx.AsyncClient(base_url=sandbox, timeout=10) as admin:
        for kind in ("backendError", "serviceUnavailable"):
            await admin.post("/_sandbox/faults", json={"apply_to_token": True, "fail_next": [kind]})
            try:
                with pytest.raises(RetryableError):
                    await refresh(config, refresh_token)
            finally:
                await admin.delete("/_sandbox/faults")
    assert (await refresh(config, refresh_token)).access_token  # the grant survived


async def test_unreachable_token_endpoint_is_retryable(config: GoogleOAuthConfig) -> None:
    offline = replace(config, token_url="http://127.0.0.1:9/token")
    with pytest.raises(RetryableError, match="ConnectError"):
        await refresh(offline, "1//whatever")


async def test_revoke_never_raises(config: GoogleOAuthConfig) -> None:
    assert await revoke(config, "not-a-token") is False
    assert await revoke(replace(config, revoke_url="http://127.0.0.1:9/revoke"), "x") is False


# ---- the token source the adapters use --------------------------------------------------------------------


async def test_token_source_refreshes_once_for_concurrent_callers(
    config: GoogleOAuthConfig, browser: httpx.AsyncClient, email: str
) -> None:
    request, code = await authorize(browser, config, email)
    credentials = await exchange_code(config, code, request.code_verifier)
    saved: list[Credentials] = []

    async def persist(fresh: Credentials) -> None:
        saved.append(fresh)

    expired = replace(credentials, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    source = OAuthTokenSource(config, expired, on_refresh=persist)
    tokens = await asyncio.gather(*(source.access_token() for _ in range(5)))
    assert len(set(tokens)) == 1 and tokens[0] != credentials.access_token
    assert source.refreshes == 1 and len(saved) == 1
    assert saved[0].refresh_token == credentials.refresh_token
    assert saved[0].extra["email"] == email

    again = await asyncio.gather(*(source.refreshed_access_token() for _ in range(3)))
    assert len(set(again)) == 1 and source.refreshes == 2

    await revoke(config, credentials.access_token)  # revoking any token ends the whole grant
    with pytest.raises(NeedsReconnect):
        await source.refreshed_access_token()


async def test_token_source_without_refresh_token_needs_reconnect(config: GoogleOAuthConfig) -> None:
    source = OAuthTokenSource(config, Credentials("ya29.x", None, datetime.now(UTC) - timedelta(minutes=5)))
    with pytest.raises(NeedsReconnect):
        await source.access_token()
