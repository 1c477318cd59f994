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
                         data={"request_id": request_id_of(page), "other_email": email,
                               "decision": "accept"})  # fmt: skip
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
    mode: str = "echo"  # echo | wrong | json | status500 | slow
    hits: list[Hit] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)
    release: threading.Event = field(default_factory=threading.Event)

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
            if token is not None and mode == "slow":
                box[0].release.wait(10)
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


@pytest.fixture
def faults(http: httpx.Client) -> Iterator[httpx.Client]:
    yield http
    http.delete("/_sandbox/faults")


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
                         data={"request_id": request_id_of(page), "other_email": email,
                               "decision": "accept"})  # fmt: skip
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
            "client_id": str(uuid.uuid4()), "redirect_uri": REDIRECT_URI, "response_type": "code",
            "scope": SCOPE})  # fmt: skip
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


# ---- Graph: me, calendars, events ---------------------------------------------------------------------------


def test_me_and_calendars(mailbox: Mailbox) -> None:
    me = mailbox.client.get("/v1.0/me")
    assert me.status_code == 200 and me.json()["userPrincipalName"] == mailbox.email
    assert me.headers["client-request-id"] and me.headers["request-id"]
    calendars = mailbox.client.get("/v1.0/me/calendars").json()["value"]
    assert [c["name"] for c in calendars] == ["Calendar", "Deliveries", "Team holidays"]
    assert [c["isDefaultCalendar"] for c in calendars] == [True, False, False]
    assert all(c["canEdit"] and c["owner"]["address"] == mailbox.email for c in calendars)
    default = mailbox.client.get("/v1.0/me/calendar").json()
    assert default["id"] == mailbox.calendar_id


def test_times_accept_windows_and_iana_zones_and_come_back_in_the_preferred_zone(mailbox: Mailbox) -> None:
    body = event_body(start="2030-03-30T23:30:00", end="2030-03-31T03:30:00", zone="Europe/Berlin")
    created = mailbox.client.post(mailbox.events, json=body)
    assert created.status_code == 201, created.text
    event = created.json()
    # Default rendering is UTC; the night of the spring-forward change in Berlin is 3 hours long, not 4.
    assert event["start"] == {"dateTime": "2030-03-30T22:30:00.0000000", "timeZone": "UTC"}
    assert event["end"] == {"dateTime": "2030-03-31T01:30:00.0000000", "timeZone": "UTC"}
    assert event["originalStartTimeZone"] == "W. Europe Standard Time"
    assert GRAPH_DATETIME.match(event["start"]["dateTime"])
    pacific = mailbox.client.get(f"/v1.0/me/events/{event['id']}",
                                 headers={"Prefer": 'outlook.timezone="Pacific Standard Time"'})  # fmt: skip
    assert pacific.headers["preference-applied"] == 'outlook.timezone="Pacific Standard Time"'
    assert pacific.json()["start"] == {"dateTime": "2030-03-30T15:30:00.0000000", "timeZone": "Pacific Standard Time"}
    tokyo = mailbox.client.post(mailbox.events, json=event_body(zone="Tokyo Standard Time")).json()
    assert tokyo["start"]["dateTime"] == "2030-07-01T00:00:00.0000000"
    assert tokyo["originalStartTimeZone"] == "Tokyo Standard Time"
    bad_prefer = mailbox.client.post(mailbox.events, json=event_body(subject="never"),
                                     headers={"Prefer": 'outlook.timezone="Nowhere/Else"'})  # fmt: skip
    assert bad_prefer.status_code == 400
    assert "never" not in [e["subject"] for e in mailbox.client.get(mailbox.events).json()["value"]]
    bad = mailbox.client.post(mailbox.events, json=event_body(zone="Mars/Olympus_Mons"))
    assert bad.status_code == 400 and graph_error(bad)["code"] == "TimeZoneNotSupportedException"
    offset = mailbox.client.post(mailbox.events, json=event_body(start="2030-07-01T09:00:00Z"))
    assert offset.status_code == 400
    missing_zone = mailbox.client.post(
        mailbox.events, json={**event_body(), "end": {"dateTime": "2030-07-01T10:00:00"}}
    )
    assert missing_zone.status_code == 400


def test_bodies_are_validated_against_the_graph_schema(mailbox: Mailbox) -> None:
    cases = [
        ({**event_body(), "colorId": "5"}, "The property 'colorId' does not exist on type 'microsoft.graph.event'"),
        ({**event_body(), "showAs": "veryBusy"}, "Requested value 'veryBusy' was not found"),
        ({**event_body(), "isReminderOn": "yes"}, "Edm.Boolean"),
        ({**event_body(), "reminderMinutesBeforeStart": "60"}, "Edm.Int32"),
        ({**event_body(), "categories": "Booked"}, "StartArray"),
        ({**event_body(), "start": {"dateTime": "2030-07-01T09:00:00", "timezone": "UTC"}}, "'timezone' does not"),
        ({**event_body(), "body": {"contentType": "markdown", "content": "x"}}, "'markdown' was not found"),
    ]
    for body, message in cases:
        response = mailbox.client.post(mailbox.events, json=body, headers={"client-request-id": "my-id"})
        assert response.status_code == 400, body
        error = graph_error(response)
        assert error["code"] == "RequestBodyRead" and message in error["message"], error
        assert error["innerError"]["client-request-id"] == "my-id"
    not_json = mailbox.client.post(mailbox.events, content=b"{nope", headers={"content-type": "application/json"})
    assert not_json.status_code == 400 and graph_error(not_json)["code"] == "RequestBodyRead"
    assert mailbox.client.get(mailbox.events).json()["value"] == []


def test_create_get_patch_delete_with_etags(mailbox: Mailbox) -> None:
    created = mailbox.client.post(mailbox.events, json=event_body(showAs="tentative", isReminderOn=True,
                                                                  reminderMinutesBeforeStart=1440))  # fmt: skip
    event = created.json()
    assert event["@odata.etag"] == f'W/"{event["changeKey"]}"'
    assert (event["showAs"], event["reminderMinutesBeforeStart"], event["type"]) == (
        "tentative",
        1440,
        "singleInstance",
    )
    path = f"{mailbox.events}/{event['id']}"
    assert mailbox.client.get(path).json()["subject"] == "Excavator hire"
    assert mailbox.client.get(f"/v1.0/me/events/{event['id']}").json()["id"] == event["id"]

    patched = mailbox.client.patch(path, json={"subject": "Excavator hire (moved)", "isReminderOn": False},
                                   headers={"If-Match": event["@odata.etag"]})  # fmt: skip
    assert patched.status_code == 200, patched.text
    after = patched.json()
    assert after["subject"] == "Excavator hire (moved)" and after["isReminderOn"] is False
    assert after["showAs"] == "tentative" and after["start"] == event["start"]  # PATCH leaves other fields alone
    assert after["@odata.etag"] != event["@odata.etag"]

    stale = mailbox.client.patch(path, json={"subject": "lost update"}, headers={"If-Match": event["@odata.etag"]})
    assert stale.status_code == 412 and graph_error(stale)["code"] == "ErrorIrresolvableConflict"
    assert mailbox.client.get(path).json()["subject"] == "Excavator hire (moved)"
    stale_delete = mailbox.client.delete(path, headers={"If-Match": event["@odata.etag"]})
    assert stale_delete.status_code == 412

    moved = mailbox.client.patch(path, json={"start": when("2030-07-02T09:00:00", "UTC"),
                                             "end": when("2030-07-02T11:00:00", "UTC")})  # fmt: skip
    assert instant(moved.json()["end"]) - instant(moved.json()["start"]) == timedelta(hours=2)
    backwards = mailbox.client.patch(path, json={"end": when("2030-07-01T00:00:00", "UTC")})
    assert backwards.status_code == 400
    no_transaction = mailbox.client.patch(path, json={"transactionId": "late"})
    assert no_transaction.status_code == 400

    assert mailbox.client.delete(path, headers={"If-Match": moved.json()["@odata.etag"]}).status_code == 204
    gone = mailbox.client.get(path)
    assert gone.status_code == 404 and graph_error(gone)["code"] == "ErrorItemNotFound"
    assert mailbox.client.delete(path).status_code == 404


def test_transaction_id_makes_creates_idempotent(mailbox: Mailbox) -> None:
    body = event_body(transactionId="rentcal-booking-17-v1")
    first = mailbox.client.post(mailbox.events, json=body)
    again = mailbox.client.post(mailbox.events, json={**body, "subject": "retry"})
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.json()["subject"] == "Excavator hire"
    assert again.json()["transactionId"] == "rentcal-booking-17-v1"
    assert len(mailbox.client.get(mailbox.events).json()["value"]) == 1
    other = mailbox.client.post(mailbox.events, json=event_body(transactionId="rentcal-booking-18-v1"))
    assert other.json()["id"] != first.json()["id"]


def test_single_value_extended_properties(mailbox: Mailbox) -> None:
    body = event_body(singleValueExtendedProperties=[{"id": KEY_PROP, "value": "booking:17"}])
    event = mailbox.client.post(mailbox.events, json=body).json()
    assert "singleValueExtendedProperties" not in event
    mailbox.client.post(mailbox.events, json=event_body(subject="someone else's"))
    path = f"{mailbox.events}/{event['id']}"
    expand = f"singleValueExtendedProperties($filter=id eq '{KEY_PROP}')"
    read = mailbox.client.get(path, params={"$expand": expand}).json()
    assert read["singleValueExtendedProperties"] == [{"id": KEY_PROP, "value": "booking:17"}]
    unrelated = "String {00020329-0000-0000-c000-000000000046} Name other"
    assert (
        "singleValueExtendedProperties"
        not in mailbox.client.get(
            path, params={"$expand": f"singleValueExtendedProperties($filter=id eq '{unrelated}')"}
        ).json()
    )
    found = mailbox.client.get(mailbox.events, params={
        "$filter": f"singleValueExtendedProperties/Any(ep: ep/id eq '{KEY_PROP}' and ep/value eq 'booking:17')",
        "$expand": expand}).json()["value"]  # fmt: skip
    assert [e["id"] for e in found] == [event["id"]]
    mailbox.client.patch(path, json={"singleValueExtendedProperties": [{"id": KEY_PROP, "value": "booking:18"}]})
    assert mailbox.client.get(path, params={"$expand": expand}).json()["singleValueExtendedProperties"][0][
        "value"] == "booking:18"  # fmt: skip
    bad = mailbox.client.post(mailbox.events, json=event_body(
        singleValueExtendedProperties=[{"id": "rentcalKey", "value": "x"}]))  # fmt: skip
    assert bad.status_code == 400 and graph_error(bad)["code"] == "ErrorInvalidProperty"


def test_categories_and_master_categories(mailbox: Mailbox) -> None:
    master = mailbox.client.get("/v1.0/me/outlook/masterCategories").json()["value"]
    assert {"displayName": "Red category", "color": "preset0"} in [
        {k: c[k] for k in ("displayName", "color")} for c in master]  # fmt: skip
    created = mailbox.client.post("/v1.0/me/outlook/masterCategories",
                                  json={"displayName": "Rentcal: Confirmed", "color": "preset4"})  # fmt: skip
    assert created.status_code == 201 and created.json()["color"] == "preset4"
    uuid.UUID(created.json()["id"])
    duplicate = mailbox.client.post("/v1.0/me/outlook/masterCategories",
                                    json={"displayName": "rentcal: confirmed", "color": "preset1"})  # fmt: skip
    assert duplicate.status_code == 409
    bad_colour = mailbox.client.post("/v1.0/me/outlook/masterCategories", json={"displayName": "X", "color": "green"})
    assert bad_colour.status_code == 400
    event = mailbox.client.post(mailbox.events, json=event_body(categories=["Rentcal: Confirmed"])).json()
    assert event["categories"] == ["Rentcal: Confirmed"]
    cleared = mailbox.client.patch(f"{mailbox.events}/{event['id']}", json={"categories": []}).json()
    assert cleared["categories"] == []
    assert mailbox.client.delete(f"/v1.0/me/outlook/masterCategories/{created.json()['id']}").status_code == 204
    names = [c["displayName"] for c in mailbox.client.get("/v1.0/me/outlook/masterCategories").json()["value"]]
    assert "Rentcal: Confirmed" not in names


def test_all_day_events_need_midnights_and_float(mailbox: Mailbox) -> None:
    noon = mailbox.client.post(mailbox.events, json=event_body(isAllDay=True))
    assert noon.status_code == 400 and "midnight" in graph_error(noon)["message"]
    body = event_body(start="2030-07-01T00:00:00", end="2030-07-03T00:00:00", zone="Pacific Standard Time",
                      isAllDay=True, showAs="free")  # fmt: skip
    event = mailbox.client.post(mailbox.events, json=body).json()
    assert event["isAllDay"] is True and event["showAs"] == "free"
    assert event["start"] == {"dateTime": "2030-07-01T00:00:00.0000000", "timeZone": "UTC"}
    tokyo = mailbox.client.get(f"/v1.0/me/events/{event['id']}", headers={"Prefer": 'outlook.timezone="Asia/Tokyo"'})
    assert tokyo.json()["end"] == {"dateTime": "2030-07-03T00:00:00.0000000", "timeZone": "Asia/Tokyo"}
    to_timed = mailbox.client.patch(f"/v1.0/me/events/{event['id']}", json={
        "isAllDay": False, "start": when("2030-07-01T08:00:00", "UTC"),
        "end": when("2030-07-01T09:00:00", "UTC")})  # fmt: skip
    assert to_timed.status_code == 200 and to_timed.json()["isAllDay"] is False


def test_lists_page_with_next_links(mailbox: Mailbox) -> None:
    for n in range(5):
        mailbox.client.post(mailbox.events, json=event_body(subject=f"e{n}"))
    first = mailbox.client.get(mailbox.events, headers={"Prefer": "odata.maxpagesize=2"})
    assert first.headers["preference-applied"] == "odata.maxpagesize=2"
    subjects = [e["subject"] for e in first.json()["value"]]
    link = first.json()["@odata.nextLink"]
    while link:
        page = mailbox.client.get(link, headers={"Prefer": "odata.maxpagesize=2"}).json()
        subjects += [e["subject"] for e in page["value"]]
        link = page.get("@odata.nextLink")
    assert subjects == ["e0", "e1", "e2", "e3", "e4"]
    selected = mailbox.client.get(mailbox.events, params={"$select": "subject,start", "$top": "1"}).json()["value"]
    assert set(selected[0]) == {"@odata.etag", "id", "subject", "start"}


def test_other_peoples_calendars_are_not_found(microsoft_sandbox: str, http: httpx.Client, mailbox: Mailbox) -> None:  # noqa: F811
    other = new_mailbox(microsoft_sandbox, http)
    theirs = other.client.post(other.events, json=event_body()).json()
    assert mailbox.client.get(f"/v1.0/me/calendars/{other.calendar_id}/events").status_code == 404
    assert mailbox.client.get(f"/v1.0/me/events/{theirs['id']}").status_code == 404
    read_only = new_mailbox(microsoft_sandbox, http, scope="Calendars.Read User.Read")
    denied = read_only.client.post(read_only.events, json=event_body())
    assert denied.status_code == 403 and graph_error(denied)["code"] == "ErrorAccessDenied"
    unknown_path = mailbox.client.get("/v1.0/me/nothingHere")
    assert unknown_path.status_code == 400 and graph_error(unknown_path)["code"] == "BadRequest"


# ---- calendarView, delta and recurrence ---------------------------------------------------------------------------

WINDOW = {"startDateTime": "2030-07-01T00:00:00Z", "endDateTime": "2030-08-01T00:00:00Z"}


def read_delta(box: Mailbox, url: str, params: dict[str, str] | None = None, page_size: int = 2,
               ) -> tuple[list[dict[str, Any]], str, int]:  # fmt: skip
    """Follow nextLinks to the deltaLink; returns (rows, deltaLink, pages)."""
    rows: list[dict[str, Any]] = []
    pages = 0
    headers = {"Prefer": f"odata.maxpagesize={page_size}"}
    response = box.client.get(url, params=params, headers=headers)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        rows += body["value"]
        if "@odata.deltaLink" in body:
            assert "@odata.nextLink" not in body
            return rows, body["@odata.deltaLink"], pages
        assert "$skiptoken=" in body["@odata.nextLink"]
        response = box.client.get(body["@odata.nextLink"], headers=headers)


def test_calendar_view_delta_pages_changes_removals_and_keeps_its_window(mailbox: Mailbox) -> None:
    ids = [mailbox.client.post(mailbox.events, json=event_body(subject=f"b{n}", start=f"2030-07-0{n + 1}T09:00:00",
                                                               end=f"2030-07-0{n + 1}T10:00:00")).json()["id"]
           for n in range(5)]  # fmt: skip
    mailbox.client.post(mailbox.events, json=event_body(subject="outside", start="2030-09-01T09:00:00",
                                                        end="2030-09-01T10:00:00"))  # fmt: skip
    url = f"/v1.0/me/calendars/{mailbox.calendar_id}/calendarView/delta"
    rows, delta_link, pages = read_delta(mailbox, url, WINDOW)
    assert pages == 3 and sorted(r["subject"] for r in rows) == ["b0", "b1", "b2", "b3", "b4"]
    assert "$deltatoken=" in delta_link and "startDateTime" not in delta_link

    nothing, delta_link, _ = read_delta(mailbox, delta_link)
    assert nothing == []
    # A page fetched again (a retry after a lost reply) answers the same rows.
    first = mailbox.client.get(url, params=WINDOW, headers={"Prefer": "odata.maxpagesize=3"}).json()
    second_link = first["@odata.nextLink"]
    again = [mailbox.client.get(second_link, headers={"Prefer": "odata.maxpagesize=3"}).json() for _ in range(2)]
    assert [r["id"] for r in again[0]["value"]] == [r["id"] for r in again[1]["value"]]
    assert len(again[0]["value"]) == 2 and "@odata.deltaLink" in again[1]

    mailbox.client.patch(f"/v1.0/me/events/{ids[0]}", json={"subject": "b0 renamed"})
    mailbox.client.delete(f"/v1.0/me/events/{ids[1]}")
    mailbox.client.patch(f"/v1.0/me/events/{ids[2]}", json={"start": when("2030-10-01T09:00:00", "UTC"),
                                                            "end": when("2030-10-01T10:00:00", "UTC")})  # fmt: skip
    mailbox.client.post(mailbox.events, json=event_body(subject="new in window", start="2030-07-20T09:00:00",
                                                        end="2030-07-20T10:00:00"))  # fmt: skip
    mailbox.client.post(mailbox.events, json=event_body(subject="new outside", start="2031-01-01T09:00:00",
                                                        end="2031-01-01T10:00:00"))  # fmt: skip
    # Parameters sent again with a token are ignored: the round keeps the window of its first request.
    changes, delta_link, _ = read_delta(mailbox, delta_link + "&startDateTime=2020-01-01T00:00:00Z", page_size=10)
    removed = {r["id"]: r for r in changes if "@removed" in r}
    assert set(removed) == {ids[1], ids[2]}
    assert removed[ids[1]] == {"@odata.type": "#microsoft.graph.event", "id": ids[1], "@removed": {"reason": "deleted"}}
    assert sorted(r["subject"] for r in changes if "@removed" not in r) == ["b0 renamed", "new in window"]

    unsupported = mailbox.client.get(url, params={**WINDOW, "$select": "subject"})
    assert (
        unsupported.status_code == 400 and "not supported with change tracking" in graph_error(unsupported)["message"]
    )
    no_window = mailbox.client.get(url)
    assert no_window.status_code == 400 and "StartDateTime and EndDateTime" in graph_error(no_window)["message"]


def test_expired_or_unknown_delta_tokens_answer_410_sync_state_not_found(http: httpx.Client, mailbox: Mailbox) -> None:
    mailbox.client.post(mailbox.events, json=event_body())
    url = f"/v1.0/me/calendars/{mailbox.calendar_id}/calendarView/delta"
    _, delta_link, _ = read_delta(mailbox, url, WINDOW)
    first_page = mailbox.client.get(url, params=WINDOW, headers={"Prefer": "odata.maxpagesize=1"})
    assert first_page.status_code == 200
    assert http.post(f"/_sandbox/calendars/{mailbox.calendar_id}/expire_delta_tokens").status_code == 200
    expired = mailbox.client.get(delta_link)
    assert expired.status_code == 410 and graph_error(expired)["code"] == "syncStateNotFound"
    bogus = mailbox.client.get(url, params={"$deltatoken": "not-a-token"})
    assert bogus.status_code == 410 and graph_error(bogus)["code"] == "syncStateNotFound"
    rows, _, _ = read_delta(mailbox, url, WINDOW)
    assert [r["subject"] for r in rows] == ["Excavator hire"]


def test_recurring_series_expand_into_occurrences_and_exceptions(mailbox: Mailbox) -> None:
    series = mailbox.client.post(mailbox.events, json=event_body(
        subject="Weekly service", start="2030-07-01T09:00:00", end="2030-07-01T10:00:00", zone="UTC",
        recurrence={"pattern": {"type": "weekly", "interval": 1, "daysOfWeek": ["monday"]},
                    "range": {"type": "numbered", "startDate": "2030-07-01", "numberOfOccurrences": 4}},
    ))  # fmt: skip
    assert series.status_code == 201, series.text
    master = series.json()
    assert master["type"] == "seriesMaster" and master["recurrence"]["pattern"]["type"] == "weekly"
    view_url = f"/v1.0/me/calendars/{mailbox.calendar_id}/calendarView"
    view = mailbox.client.get(view_url, params=WINDOW).json()["value"]
    assert [(e["type"], e["start"]["dateTime"][:10]) for e in view] == [
        ("occurrence", "2030-07-01"), ("occurrence", "2030-07-08"), ("occurrence", "2030-07-15"),
        ("occurrence", "2030-07-22")]  # fmt: skip
    assert all(e["seriesMasterId"] == master["id"] and e["recurrence"] is None for e in view)
    listed = mailbox.client.get(mailbox.events).json()["value"]
    assert [e["type"] for e in listed] == ["seriesMaster"]

    moved = mailbox.client.patch(f"/v1.0/me/events/{view[1]['id']}", json={
        "start": when("2030-07-09T14:00:00", "UTC"), "end": when("2030-07-09T15:00:00", "UTC")})  # fmt: skip
    assert moved.status_code == 200 and moved.json()["type"] == "exception"
    assert mailbox.client.delete(f"/v1.0/me/events/{view[2]['id']}").status_code == 204
    after = mailbox.client.get(view_url, params=WINDOW).json()["value"]
    assert [(e["type"], e["start"]["dateTime"][:13]) for e in after] == [
        ("occurrence", "2030-07-01T09"), ("exception", "2030-07-09T14"), ("occurrence", "2030-07-22T09")]  # fmt: skip

    rows, _, _ = read_delta(mailbox, f"{view_url}/delta", WINDOW, page_size=10)
    assert sorted(r["type"] for r in rows) == ["exception", "occurrence", "occurrence"]
    bad = mailbox.client.post(mailbox.events, json=event_body(
        recurrence={"pattern": {"type": "weekly", "interval": 1},
                    "range": {"type": "noEnd", "startDate": "2030-07-01"}}))  # fmt: skip
    assert bad.status_code == 400


# ---- change notifications -----------------------------------------------------------------------------------------


def test_subscription_handshake_notifications_renewal_and_delete(mailbox: Mailbox, receiver: Receiver) -> None:
    created = subscribe(mailbox, receiver)
    assert created.status_code == 201, created.text
    sub = created.json()
    uuid.UUID(sub["id"])
    assert sub["clientState"] == "secret-client-state" and sub["changeType"] == "created,updated,deleted"
    handshake = receiver.hits[0]
    token = handshake.query["validationToken"][0]
    assert token.startswith("Validation: Testing client application reachability")
    assert handshake.headers["content-type"].startswith("text/plain")

    event = mailbox.client.post(mailbox.events, json=event_body()).json()
    changed = mailbox.client.patch(f"/v1.0/me/events/{event['id']}", json={"subject": "changed"}).json()
    mailbox.client.delete(f"/v1.0/me/events/{event['id']}")
    items = receiver.wait_for(lambda got: len(got) >= 3)
    assert [i["changeType"] for i in items] == ["created", "updated", "deleted"]
    first = items[0]
    assert first["subscriptionId"] == sub["id"] and first["clientState"] == "secret-client-state"
    assert first["resource"].endswith(f"/Events/{event['id']}") and first["resource"].startswith("Users/")
    assert first["resourceData"]["id"] == event["id"]
    assert first["resourceData"]["@odata.type"] == "#Microsoft.Graph.Event"
    assert items[1]["resourceData"]["@odata.etag"] == changed["@odata.etag"]
    assert first["subscriptionExpirationDateTime"] == sub["expirationDateTime"]

    renewed = mailbox.client.patch(f"/v1.0/subscriptions/{sub['id']}", json={"expirationDateTime": expiry_in(4000)})
    assert renewed.status_code == 200 and renewed.json()["expirationDateTime"] > sub["expirationDateTime"]
    too_long = mailbox.client.patch(f"/v1.0/subscriptions/{sub['id']}", json={"expirationDateTime": expiry_in(5000)})
    assert too_long.status_code == 400 and "4230 minutes" in graph_error(too_long)["message"]
    listed = mailbox.client.get("/v1.0/subscriptions").json()["value"]
    assert [s["id"] for s in listed] == [sub["id"]]

    assert mailbox.client.delete(f"/v1.0/subscriptions/{sub['id']}").status_code == 204
    assert mailbox.client.get(f"/v1.0/subscriptions/{sub['id']}").status_code == 404
    mailbox.client.post(mailbox.events, json=event_body(subject="after unsubscribe"))
    other = mailbox.client.post(mailbox.events, json=event_body(subject="flush"))
    assert other.status_code == 201
    assert len(receiver.notifications()) == 3


def test_notifications_for_one_url_are_batched_in_value(mailbox: Mailbox, receiver: Receiver) -> None:
    first = subscribe(mailbox, receiver, clientState="one").json()
    second = subscribe(mailbox, receiver, clientState="two", changeType="created").json()
    mailbox.client.post(mailbox.events, json=event_body())
    receiver.wait_for(lambda items: len(items) >= 2)
    posts = [h.json()["value"] for h in receiver.hits if "validationToken" not in h.query]
    assert len(posts) == 1
    assert sorted((i["subscriptionId"], i["clientState"]) for i in posts[0]) == sorted(
        [(first["id"], "one"), (second["id"], "two")]
    )


def test_subscriptions_are_refused_when_the_handshake_fails(
    faults: httpx.Client, mailbox: Mailbox, receiver: Receiver
) -> None:
    for mode, message in (("wrong", "exactly match"), ("json", "text/plain"), ("status500", "200 OK")):
        receiver.mode = mode
        refused = subscribe(mailbox, receiver)
        assert refused.status_code == 400, mode
        assert message in graph_error(refused)["message"]
    faults.post("/_sandbox/faults", json={"handshake_timeout_seconds": 0.5})
    receiver.mode = "slow"
    slow = subscribe(mailbox, receiver)
    receiver.release.set()
    assert slow.status_code == 400 and "timeout" in graph_error(slow)["message"]
    faults.delete("/_sandbox/faults")
    receiver.mode = "echo"
    unreachable = subscribe(mailbox, receiver, notificationUrl="http://127.0.0.1:9/hooks")
    assert unreachable.status_code == 400
    too_long = subscribe(mailbox, receiver, expirationDateTime=expiry_in(4300))
    assert too_long.status_code == 400 and graph_error(too_long)["code"] == "ExtensionError"
    bad_change = subscribe(mailbox, receiver, changeType="created,moved")
    assert bad_change.status_code == 400
    bad_resource = subscribe(mailbox, receiver, resource="me/messages")
    assert bad_resource.status_code == 400
    unknown_field = subscribe(mailbox, receiver, colour="blue")
    assert unknown_field.status_code == 400 and graph_error(unknown_field)["code"] == "RequestBodyRead"
    assert mailbox.client.get("/v1.0/subscriptions").json()["value"] == []


def test_lifecycle_notifications(http: httpx.Client, mailbox: Mailbox, receiver: Receiver) -> None:
    sub = subscribe(mailbox, receiver, lifecycleNotificationUrl=receiver.url("/hooks/lifecycle")).json()
    assert sorted(h.path for h in receiver.hits) == ["/hooks/lifecycle", "/hooks/microsoft"]  # both handshaken

    lifecycle = f"/_sandbox/subscriptions/{sub['id']}/lifecycle"
    assert http.post(lifecycle, json={"event": "reauthorizationRequired"}).json()["sent"] is True
    got = receiver.wait_for(lambda items: any("lifecycleEvent" in i for i in items))
    event = next(i for i in got if "lifecycleEvent" in i)
    assert event["lifecycleEvent"] == "reauthorizationRequired" and event["subscriptionId"] == sub["id"]
    assert event["clientState"] == "secret-client-state"
    mailbox.client.post(mailbox.events, json=event_body(subject="while paused"))
    assert mailbox.client.post(f"/v1.0/subscriptions/{sub['id']}/reauthorize").status_code == 204
    mailbox.client.post(mailbox.events, json=event_body(subject="after reauthorize"))
    receiver.wait_for(lambda items: any(i.get("changeType") == "created" for i in items))
    assert len([i for i in receiver.notifications() if i.get("changeType") == "created"]) == 1

    http.post(lifecycle, json={"event": "missed"})
    receiver.wait_for(lambda items: any(i.get("lifecycleEvent") == "missed" for i in items))
    http.post(lifecycle, json={"event": "subscriptionRemoved"})
    receiver.wait_for(lambda items: any(i.get("lifecycleEvent") == "subscriptionRemoved" for i in items))
    assert mailbox.client.get(f"/v1.0/subscriptions/{sub['id']}").status_code == 404
    assert http.post(lifecycle, json={"event": "missed"}).status_code == 404


# ---- web view --------------------------------------------------------------------------------------------------------


def test_web_view_moves_and_deletes_like_an_outlook_user(
    http: httpx.Client, mailbox: Mailbox, receiver: Receiver
) -> None:
    event = mailbox.client.post(mailbox.events, json=event_body(subject="Crane <delivery>")).json()
    subscribe(mailbox, receiver)
    page = http.get("/", params={"account": mailbox.email})
    assert page.status_code == 200 and "Crane &lt;delivery&gt;" in page.text
    assert f"id='event-{event['id']}'" in page.text
    moved = http.post("/_web/events/move", data={
        "calendar_id": mailbox.calendar_id, "event_id": event["id"], "start": "2030-07-05T13:00",
        "end": "2030-07-05T15:00", "time_zone": "W. Europe Standard Time"})  # fmt: skip
    assert moved.status_code == 303
    after = mailbox.client.get(f"/v1.0/me/events/{event['id']}").json()
    assert after["start"]["dateTime"] == "2030-07-05T11:00:00.0000000" and after["@odata.etag"] != event["@odata.etag"]
    receiver.wait_for(lambda items: any(i["changeType"] == "updated" for i in items))
    assert http.post("/_web/events/delete", data={"calendar_id": mailbox.calendar_id,
                                                   "event_id": event["id"]}).status_code == 303  # fmt: skip
    assert mailbox.client.get(f"/v1.0/me/events/{event['id']}").status_code == 404
    items = receiver.wait_for(lambda got: any(i["changeType"] == "deleted" for i in got))
    assert [i["changeType"] for i in items] == ["updated", "deleted"]
    assert http.get(after["webLink"].replace(str(http.base_url).rstrip("/"), "")).status_code == 404
    dump = http.get(f"/_sandbox/calendars/{mailbox.calendar_id}/events").json()["items"]
    assert [e["deleted"] for e in dump] == [True]


# ---- faults and throttling -------------------------------------------------------------------------------------------


def test_injected_throttling_and_server_errors(faults: httpx.Client, mailbox: Mailbox) -> None:
    config = {"fail_next": ["tooManyRequests", "serviceUnavailable", "internalServerError", "gatewayTimeout"],
              "retry_after_seconds": 7}  # fmt: skip
    assert faults.post("/_sandbox/faults", json=config).status_code == 200
    throttled = mailbox.client.get(mailbox.events)
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "7"
    assert graph_error(throttled)["code"] == "ApplicationThrottled"
    unavailable = mailbox.client.get(mailbox.events)
    assert unavailable.status_code == 503 and unavailable.headers["retry-after"] == "7"
    assert mailbox.client.get(mailbox.events).status_code == 500
    assert mailbox.client.get(mailbox.events).status_code == 504
    assert mailbox.client.get(mailbox.events).status_code == 200
    stats = faults.get("/_sandbox/stats").json()
    assert stats["faults_injected"]["tooManyRequests"] >= 1
    assert stats["requests"]["by_operation"]["events.list"] >= 5
    assert faults.post("/_sandbox/faults", json={"error_kinds": ["nope"]}).status_code == 400

    faults.post("/_sandbox/faults", json={"fail_next": ["serviceUnavailable"], "apply_to_token": True})
    token = refresh(faults, mailbox.refresh_token)
    assert token.status_code == 503 and token.json()["error"] == "temporarily_unavailable"
    assert refresh(faults, mailbox.refresh_token).status_code == 200


def test_a_lost_reply_still_commits_and_transaction_id_prevents_a_duplicate(
    faults: httpx.Client, mailbox: Mailbox
) -> None:
    faults.post("/_sandbox/faults", json={"fail_next": ["lostReply"], "operations": ["events.create"]})
    body = event_body(transactionId="lost-reply-1")
    with pytest.raises(httpx.HTTPError):
        mailbox.client.post(mailbox.events, json=body)
    retried = mailbox.client.post(mailbox.events, json=body)
    assert retried.status_code == 201
    listed = mailbox.client.get(mailbox.events).json()["value"]
    assert [e["id"] for e in listed] == [retried.json()["id"]]


def test_mailbox_concurrency_limit(faults: httpx.Client, microsoft_sandbox: str, mailbox: Mailbox) -> None:  # noqa: F811
    faults.post("/_sandbox/faults", json={"latency_ms": 3000})
    headers = {"Authorization": f"Bearer {mailbox.token}"}

    def call(_: int) -> httpx.Response:
        with httpx.Client(base_url=microsoft_sandbox, headers=headers, timeout=30) as client:
            return client.get("/v1.0/me/calendars")

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(call, range(8)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(200) <= 4 and statuses.count(429) >= 4, statuses
    throttled = next(r for r in responses if r.status_code == 429)
    error = graph_error(throttled)
    assert error["code"] == "ApplicationThrottled" and "MailboxConcurrency" in error["message"]
    assert throttled.headers["retry-after"] == "1"
    faults.delete("/_sandbox/faults")
    assert mailbox.client.get("/v1.0/me/calendars").status_code == 200


# ---- free/busy ----------------------------------------------------------------------------------------------------


def test_get_schedule_reports_availability_and_enforces_its_limits(
    microsoft_sandbox: str,  # noqa: F811
    http: httpx.Client,
    mailbox: Mailbox,
) -> None:
    other = new_mailbox(microsoft_sandbox, http)
    mailbox.client.post(mailbox.events, json=event_body(start="2030-07-01T09:00:00", end="2030-07-01T10:00:00",
                                                        zone="UTC", showAs="busy"))  # fmt: skip
    mailbox.client.post(mailbox.events, json=event_body(start="2030-07-01T09:30:00", end="2030-07-01T11:00:00",
                                                        zone="UTC", showAs="tentative"))  # fmt: skip
    free = event_body(subject="free", start="2030-07-01T11:00:00", end="2030-07-01T12:00:00", zone="UTC", showAs="free")
    mailbox.client.post(mailbox.events, json=free)
    other.client.post(other.events, json=event_body(start="2030-07-01T08:00:00", end="2030-07-01T09:00:00",
                                                    zone="UTC", showAs="oof"))  # fmt: skip
    body = {"schedules": [mailbox.email, other.email, "nobody@nowhere.test"],
            "startTime": when("2030-07-01T08:00:00", "UTC"), "endTime": when("2030-07-01T12:00:00", "UTC"),
            "availabilityViewInterval": 60}  # fmt: skip
    response = mailbox.client.post("/v1.0/me/calendar/getSchedule", json=body)
    assert response.status_code == 200, response.text
    mine, theirs, missing = response.json()["value"]
    assert mine["scheduleId"] == mailbox.email and mine["availabilityView"] == "0210"
    assert [i["status"] for i in mine["scheduleItems"]] == ["busy", "tentative"]
    assert mine["scheduleItems"][0]["start"] == {"dateTime": "2030-07-01T09:00:00.0000000", "timeZone": "UTC"}
    assert theirs["availabilityView"] == "3000"
    assert missing["error"]["responseCode"] == "UserNotFound"

    too_many = mailbox.client.post("/v1.0/me/calendar/getSchedule",
                                   json={**body, "schedules": [f"u{n}@contoso.test" for n in range(21)]})  # fmt: skip
    assert too_many.status_code == 400
    too_long = mailbox.client.post("/v1.0/me/calendar/getSchedule",
                                   json={**body, "endTime": when("2030-09-15T00:00:00", "UTC")})  # fmt: skip
    assert too_long.status_code == 400 and "62 days" in graph_error(too_long)["message"]
