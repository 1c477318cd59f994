"""The Microsoft identity platform + Graph v1.0 sandbox, exercised over real HTTP against its own subprocess."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.support.microsoft_sandbox import microsoft_sandbox, run_microsoft_sandbox  # noqa: F401

REDIRECT_URI = "http://127.0.0.1:9/oauth/microsoft/callback"
CLIENT_ID = "6731de76-14a6-49ae-97bc-6eba6914391e"
SCOPE = "offline_access Calendars.ReadWrite User.Read openid email"
KEY_PROP = "String {66f5a359-4659-4830-9070-00047ec6ac6e} Name rentcalKey"
GRAPH_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}$")


# ---- fixtures and helpers -----------------------------------------------------------------------------------


@dataclass
class Mailbox:
    email: str
    token: str
    refresh_token: str
    client: httpx.Client
    calendar_id: str

    @property
    def events(self) -> str:
        return f"/v1.0/me/calendars/{self.calendar_id}/events"


@pytest.fixture
def http(microsoft_sandbox: str) -> Iterator[httpx.Client]:  # noqa: F811
    with httpx.Client(base_url=microsoft_sandbox, timeout=20) as client:
        yield client


def new_mailbox(base_url: str, http: httpx.Client, scope: str = SCOPE) -> Mailbox:
    email = f"user-{uuid.uuid4().hex[:10]}@contoso.test"
    issued = http.post("/_sandbox/tokens", json={"email": email, "scope": scope, "client_id": CLIENT_ID}).json()
    client = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {issued['access_token']}"}, timeout=20)
    calendars = client.get("/v1.0/me/calendars").json()["value"]
    default = next(c["id"] for c in calendars if c["isDefaultCalendar"])
    return Mailbox(email, issued["access_token"], issued.get("refresh_token", ""), client, default)


@pytest.fixture
def mailbox(microsoft_sandbox: str, http: httpx.Client) -> Iterator[Mailbox]:  # noqa: F811
    box = new_mailbox(microsoft_sandbox, http)
    yield box
    box.client.close()


def graph_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "innerError"}, error
    assert isinstance(error["message"], str) and error["message"]
    inner = error["innerError"]
    assert set(inner) == {"date", "request-id", "client-request-id"}
    uuid.UUID(inner["request-id"])
    return dict(error)


def aad_error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert {"error", "error_description", "error_codes", "timestamp", "trace_id", "correlation_id"} <= set(body)
    assert body["error_description"].startswith(f"AADSTS{body['error_codes'][0]}: ")
    return dict(body)


def when(local: str, zone: str) -> dict[str, str]:
    return {"dateTime": local, "timeZone": zone}


def event_body(
    subject: str = "Excavator hire",
    start: str = "2030-07-01T09:00:00",
    end: str = "2030-07-01T10:00:00",
    zone: str = "W. Europe Standard Time",
    **extra: Any,
) -> dict[str, Any]:
    return {"subject": subject, "start": when(start, zone), "end": when(end, zone), **extra}  # fmt: skip


def instant(value: dict[str, str]) -> datetime:
    """A UTC-rendered dateTimeTimeZone as an aware datetime."""
    assert value["timeZone"] == "UTC", value
    return datetime.fromisoformat(value["dateTime"][:26]).replace(tzinfo=UTC)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def claims_of(jwt: str) -> dict[str, Any]:
    header, payload, _ = jwt.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["alg"] == "HS256"
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def consent(http: httpx.Client, challenge: str | None, *, tenant: str = "common", scope: str = SCOPE,
            redirect_uri: str = REDIRECT_URI, **extra: str) -> httpx.Response:  # fmt: skip
    params = {"client_id": CLIENT_ID, "response_type": "code", "redirect_uri": redirect_uri, "response_mode": "query",
              "scope": scope, "state": "st-42", "code_challenge_method": "S256", **extra}  # fmt: skip
    if challenge:
        params["code_challenge"] = challenge
    return http.get(f"/{tenant}/oauth2/v2.0/authorize", params=params)


def request_id_of(page: httpx.Response) -> str:
    match = re.search(r"name='request_id' value='([^']+)'", page.text)
    assert match, page.text
    return match.group(1)


def sign_in(http: httpx.Client, email: str, *, scope: str = SCOPE, tenant: str = "common") -> tuple[str, str]:
    """Walk authorize → consent (Accept) → redirect; returns (code, verifier)."""
    verifier, challenge = pkce_pair()
    page = consent(http, challenge, tenant=tenant, scope=scope, nonce="n-1")
    assert page.status_code == 200, page.text
    decision = http.post(f"/{tenant}/oauth2/v2.0/consent",
                         data={"request_id": request_id_of(page), "other_email": email, "decision": "accept"})  # fmt: skip
    assert decision.status_code == 302, decision.text
    location = urlsplit(decision.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["st-42"]
    return query["code"][0], verifier


def redeem(http: httpx.Client, code: str, verifier: str | None, tenant: str = "common") -> httpx.Response:
    form = {"client_id": CLIENT_ID, "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "scope": SCOPE}  # fmt: skip
    if verifier is not None:
        form["code_verifier"] = verifier
    return http.post(f"/{tenant}/oauth2/v2.0/token", data=form)


def refresh(http: httpx.Client, refresh_token: str) -> httpx.Response:
    form = {"client_id": CLIENT_ID, "grant_type": "refresh_token", "refresh_token": refresh_token}
    return http.post("/common/oauth2/v2.0/token", data=form)


# ---- webhook receiver ------------------------------------------------------------------------------------------


@dataclass
class Hit:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    base: str
    mode: str = "echo"  # echo | wrong | json | status500
    hits: list[Hit] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def url(self, path: str = "/hooks/microsoft") -> str:
        return self.base + path

    def notifications(self, path: str = "/hooks/microsoft") -> list[dict[str, Any]]:
        with self.cond:
            hits = [h for h in self.hits if h.path.startswith(path) and "validationToken" not in h.query]
        return [item for h in hits for item in h.json()["value"]]

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> list[dict[str, Any]]:
        with self.cond:
            self.cond.wait_for(lambda: predicate(self._all()), timeout)
            return self._all()

    def _all(self) -> list[dict[str, Any]]:
        return [item for h in self.hits if "validationToken" not in h.query for item in h.json()["value"]]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real HTTP server answering Graph's validation handshake and recording notifications."""
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            hit = Hit(parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()}, body)
            token = hit.query.get("validationToken", [None])[0]
            mode = box[0].mode
            if token is not None and mode != "status500":
                reply = (token if mode != "wrong" else "not-the-token").encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json" if mode == "json" else "text/plain")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            else:
                self.send_response(202 if mode != "status500" else 500)
                self.send_header("Content-Length", "0")
                self.end_headers()
            with box[0].cond:
                box[0].hits.append(hit)
                box[0].cond.notify_all()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box[0]
    server.shutdown()
    server.server_close()


def expiry_in(minutes: int) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def subscribe(box: Mailbox, receiver: Receiver, **extra: Any) -> httpx.Response:
    body = {"changeType": "created,updated,deleted", "notificationUrl": receiver.url(),
            "resource": f"me/calendars/{box.calendar_id}/events", "expirationDateTime": expiry_in(60),
            "clientState": "secret-client-state", **extra}  # fmt: skip
    return box.client.post("/v1.0/subscriptions", json=body)


# ---- identity platform --------------------------------------------------------------------------------------


def test_authorization_code_flow_with_pkce_consent_and_id_token(http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    page = consent(http, challenge, nonce="n-1")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert ">Accept</button>" in page.text and ">Cancel</button>" in page.text
    assert re.search(r"type='radio'[^>]*value='demo.manager@contoso.test'", page.text)
    assert "Have full access to your calendars" in page.text
    email = f"flow-{uuid.uuid4().hex[:8]}@contoso.test"
    decision = http.post("/common/oauth2/v2.0/consent",
                         data={"request_id": request_id_of(page), "other_email": email, "decision": "accept"})  # fmt: skip
    assert decision.status_code == 302
    query = parse_qs(urlsplit(decision.headers["location"]).query)
    assert query["state"] == ["st-42"] and "session_state" in query
    code = query["code"][0]

    missing = redeem(http, code, None)
    assert missing.status_code == 400 and aad_error(missing)["error_codes"] == [50148]
    wrong = redeem(http, code, secrets.token_urlsafe(48))
    assert wrong.status_code == 400
    assert aad_error(wrong)["error"] == "invalid_grant" and wrong.json()["error_codes"] == [501481]

    tokens = redeem(http, code, verifier)
    assert tokens.status_code == 200, tokens.text
    assert tokens.headers["cache-control"].startswith("no-store")
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and body["ext_expires_in"] == 3600
    assert set(body["scope"].split()) == {
        "https://graph.microsoft.com/Calendars.ReadWrite",
        "https://graph.microsoft.com/User.Read",
        "openid",
        "email",
    }
    assert body["access_token"] and body["refresh_token"]
    claims = claims_of(body["id_token"])
    assert claims["preferred_username"] == email and claims["email"] == email
    assert claims["aud"] == CLIENT_ID and claims["nonce"] == "n-1" and claims["ver"] == "2.0"
    assert claims["iss"].endswith(f"/{claims['tid']}/v2.0")
    uuid.UUID(claims["oid"])
    uuid.UUID(claims["tid"])

    reused = redeem(http, code, verifier)
    assert reused.status_code == 400 and aad_error(reused)["error_codes"] == [54005]

    me = http.get("/v1.0/me", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert me["id"] == claims["oid"] and me["userPrincipalName"] == email and me["mail"] == email


def test_refresh_tokens_rotate_and_the_old_one_dies(http: httpx.Client) -> None:
    code, verifier = sign_in(http, f"rot-{uuid.uuid4().hex[:8]}@contoso.test")
    first = redeem(http, code, verifier).json()
    second = refresh(http, first["refresh_token"])
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] != first["refresh_token"]
    assert second.json()["access_token"] != first["access_token"]
    stale = refresh(http, first["refresh_token"])
    assert stale.status_code == 400
    assert aad_error(stale)["error"] == "invalid_grant" and stale.json()["error_codes"] == [70000]
    third = refresh(http, second.json()["refresh_token"])
    assert third.status_code == 200 and third.json()["refresh_token"] not in (
        first["refresh_token"],
        second.json()["refresh_token"],
    )
    narrowed = refresh(http, third.json()["refresh_token"]).json()
    assert "id_token" in narrowed


def test_no_refresh_token_without_offline_access(http: httpx.Client) -> None:
    code, verifier = sign_in(http, f"online-{uuid.uuid4().hex[:8]}@contoso.test", scope="Calendars.ReadWrite openid")
    body = redeem(http, code, verifier).json()
    assert "refresh_token" not in body and body["access_token"]
    assert "email" not in claims_of(body["id_token"])


def test_revoked_and_expired_grants_answer_invalid_grant_with_aadsts_codes(
    microsoft_sandbox: str,  # noqa: F811
    http: httpx.Client,
) -> None:
    box = new_mailbox(microsoft_sandbox, http)
    assert box.client.get("/v1.0/me").status_code == 200
    assert http.post("/_sandbox/grants/revoke", json={"email": box.email}).json() == {"revoked": 1}
    revoked = refresh(http, box.refresh_token)
    assert revoked.status_code == 400 and aad_error(revoked)["error_codes"] == [50173]
    dead = box.client.get("/v1.0/me")
    assert dead.status_code == 401 and graph_error(dead)["code"] == "InvalidAuthenticationToken"
    assert "www-authenticate" in dead.headers

    other = new_mailbox(microsoft_sandbox, http)
    assert http.post("/_sandbox/grants/expire", json={"email": other.email}).json() == {"expired": 1}
    expired = refresh(http, other.refresh_token)
    assert expired.status_code == 400 and aad_error(expired)["error_codes"] == [700082]

    assert http.post("/_sandbox/tokens/expire", json={"email": other.email}).json() == {"expired": 1}
    late = other.client.get("/v1.0/me/calendars")
    assert late.status_code == 401 and "expired" in graph_error(late)["message"]
    unknown = refresh(http, "M.C5Sbx_not-a-token")
    assert unknown.status_code == 400 and unknown.json()["error"] == "invalid_request"


def test_authorize_rejects_bad_requests(http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    unregistered = consent(http, challenge, redirect_uri="https://evil.example/callback")
    assert unregistered.status_code == 400 and "AADSTS50011" in unregistered.text
    no_pkce = consent(http, None)
    assert no_pkce.status_code == 302
    no_pkce_query = parse_qs(urlsplit(no_pkce.headers["location"]).query)
    assert no_pkce_query["error"] == ["invalid_request"] and "AADSTS9002325" in no_pkce_query["error_description"][0]
    bad_scope = consent(http, challenge, scope="Calendars.ReadWrite Mail.Send")
    assert parse_qs(urlsplit(bad_scope.headers["location"]).query)["error"] == ["invalid_scope"]
    unknown_tenant = consent(http, challenge, tenant=str(uuid.uuid4()))
    assert unknown_tenant.status_code == 400 and "AADSTS90002" in unknown_tenant.text

    page = consent(http, challenge)
    cancelled = http.post("/common/oauth2/v2.0/consent", data={"request_id": request_id_of(page), "decision": "cancel"})
    query = parse_qs(urlsplit(cancelled.headers["location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["st-42"]
    assert query["error_description"][0].startswith("AADSTS65004")


def test_a_tenant_id_limits_the_accounts_that_can_sign_in(http: httpx.Client) -> None:
    tid = http.post("/_sandbox/accounts", json={"email": "boss@fabrikam.test"}).json()["tid"]
    _, challenge = pkce_pair()
    page = consent(http, challenge, tenant=tid)
    assert page.status_code == 200
    assert "demo.manager@contoso.test" not in page.text
    foreign = http.post(f"/{tid}/oauth2/v2.0/consent", data={
        "request_id": request_id_of(page), "other_email": "someone@contoso.test", "decision": "accept"})  # fmt: skip
    assert foreign.status_code == 400 and "AADSTS50020" in foreign.text
    code, verifier = sign_in(http, "clerk@fabrikam.test", tenant=tid)
    body = redeem(http, code, verifier, tenant=tid).json()
    assert claims_of(body["id_token"])["tid"] == tid


def test_registered_redirect_uris_client_secret_and_https_webhooks_are_enforced(receiver: Receiver) -> None:
    args = ("--client-id", CLIENT_ID, "--client-secret", "s3cret", "--redirect-uri", REDIRECT_URI)
    with run_microsoft_sandbox(*args) as base, httpx.Client(base_url=base, timeout=20) as http:
        _, challenge = pkce_pair()
        loopback = consent(http, challenge, redirect_uri="http://localhost:8000/callback")
        assert loopback.status_code == 400 and "AADSTS50011" in loopback.text
        other_client = http.get("/common/oauth2/v2.0/authorize", params={
            "client_id": str(uuid.uuid4()), "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": SCOPE})  # fmt: skip
        assert other_client.status_code == 400 and "AADSTS700016" in other_client.text
        code, verifier = sign_in(http, "secret@contoso.test")
        no_secret = redeem(http, code, verifier)
        assert no_secret.status_code == 401 and aad_error(no_secret)["error_codes"] == [7000218]
        form = {"client_id": CLIENT_ID, "client_secret": "s3cret", "grant_type": "authorization_code", "code": code,
                "redirect_uri": REDIRECT_URI, "code_verifier": verifier}  # fmt: skip
        token = http.post("/common/oauth2/v2.0/token", data=form)
        assert token.status_code == 200, token.text

        box = new_mailbox(base, http)
        plain = subscribe(box, receiver)
        assert plain.status_code == 400 and "HTTPS" in graph_error(plain)["message"]
        assert receiver.hits == []
