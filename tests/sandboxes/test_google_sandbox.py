"""The Google Calendar / OAuth sandbox, exercised over real HTTP against its own subprocess."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import time
import uuid
from collections import Counter
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from tests.sandboxes.conftest import Account, Receiver
from tests.support.google_sandbox import register_redirect_uri, run_google_sandbox

CALENDAR_SCOPE = "https://www.googleapis.com/auth/calendar"
REDIRECT_URI = "http://127.0.0.1:9/oauth/callback"
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(autouse=True)
def registered_client(google_sandbox: str) -> None:
    """Our test client's redirect URI, registered as in Google's Cloud Console."""
    register_redirect_uri(google_sandbox, REDIRECT_URI)


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["code"] == response.status_code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["status"], str) and error["status"]
    assert len(error["errors"]) == 1
    item = error["errors"][0]
    assert item["domain"] in ("global", "usageLimits", "calendar")
    return {"message": error["message"], "status": error["status"], **item}


def timed(start: str, end: str, **extra: Any) -> dict[str, Any]:
    return {"start": {"dateTime": start}, "end": {"dateTime": end}, **extra}


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def start_consent(http: httpx.Client, challenge: str, state: str, **extra: str) -> str:
    params = {
        "client_id": "rentcal-test.apps.googleusercontent.com",
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": f"openid email {CALENDAR_SCOPE}",
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "access_type": "offline",
        "prompt": "consent",
        **extra,
    }
    page = http.get("/o/oauth2/v2/auth", params=params)
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert ">Allow</button>" in page.text and ">Cancel</button>" in page.text
    assert re.search(r"type='radio'[^>]*value='demo.manager@gmail.test'", page.text)
    assert "demo.driver@gmail.test</label>" in page.text
    match = re.search(r"name='request_id' value='([^']+)'", page.text)
    assert match
    return match.group(1)


# ---- OAuth ------------------------------------------------------------------------------------------------


def test_oauth_code_flow_with_pkce_refresh_and_revoke(sandbox_http: httpx.Client) -> None:
    verifier, challenge = pkce_pair()
    request_id = start_consent(sandbox_http, challenge, "st-123")
    decision = sandbox_http.post(
        "/o/oauth2/v2/auth/decision",
        data={"request_id": request_id, "account": "demo.driver@gmail.test", "decision": "allow"},
    )
    assert decision.status_code in (302, 303)
    location = urlsplit(decision.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    query = parse_qs(location.query)
    assert query["state"] == ["st-123"]
    code = query["code"][0]

    client_form = {"client_id": "rentcal-test.apps.googleusercontent.com", "client_secret": "anything"}
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI}
    wrong = sandbox_http.post("/token", data={**client_form, **exchange, "code_verifier": "x" * 50})
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    mismatch = sandbox_http.post(
        "/token", data={**client_form, **exchange, "redirect_uri": "http://evil.test/cb", "code_verifier": verifier}
    )
    assert mismatch.status_code == 400

    tokens = sandbox_http.post("/token", data={**client_form, **exchange, "code_verifier": verifier})
    assert tokens.status_code == 200, tokens.text
    body = tokens.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert CALENDAR_SCOPE in body["scope"].split()
    assert body["access_token"] and body["refresh_token"] and body["id_token"].count(".") == 2
    claims = body["id_token"].split(".")[1]
    assert b"demo.driver@gmail.test" in base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4))

    reused = sandbox_http.post("/token", data={**client_form, **exchange, "code_verifier": verifier})
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"

    bearer = {"Authorization": f"Bearer {body['access_token']}"}
    me = sandbox_http.get("/oauth2/v3/userinfo", headers=bearer).json()
    assert me["email"] == "demo.driver@gmail.test" and me["sub"].isdigit()
    calendars = sandbox_http.get("/calendar/v3/users/me/calendarList", headers=bearer)
    assert calendars.status_code == 200
    primary = [c for c in calendars.json()["items"] if c.get("primary")]
    assert [c["id"] for c in primary] == ["demo.driver@gmail.test"]

    # Refresh with HTTP Basic client authentication this time.
    basic = httpx.BasicAuth("rentcal-test.apps.googleusercontent.com", "anything")
    refreshed = sandbox_http.post(
        "/token", data={"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}, auth=basic
    )
    assert refreshed.status_code == 200
    assert refreshed.json()["access_token"] != body["access_token"]
    assert "refresh_token" not in refreshed.json()

    assert sandbox_http.post("/revoke", params={"token": body["refresh_token"]}).status_code == 200
    again = sandbox_http.post(
        "/token", data={**client_form, "grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )
    assert again.status_code == 400
    assert again.json() == {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}
    dead = sandbox_http.get("/calendar/v3/users/me/calendarList", headers=bearer)
    assert dead.status_code == 401
    assert error_of(dead)["reason"] == "authError"
    assert sandbox_http.post("/revoke", data={"token": body["refresh_token"]}).status_code == 400


def test_consent_cancel_and_other_account(sandbox_http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    request_id = start_consent(sandbox_http, challenge, "cancel-me")
    cancelled = sandbox_http.post("/o/oauth2/v2/auth/decision", data={"request_id": request_id, "decision": "deny"})
    assert parse_qs(urlsplit(cancelled.headers["location"]).query) == {
        "error": ["access_denied"],
        "state": ["cancel-me"],
    }

    verifier, challenge = pkce_pair()
    newcomer = f"newcomer-{uuid.uuid4().hex[:8]}@example.test"
    request_id = start_consent(sandbox_http, challenge, "s2", login_hint=newcomer)
    allowed = sandbox_http.post(
        "/o/oauth2/v2/auth/decision",
        data={"request_id": request_id, "account": "demo.manager@gmail.test", "other_email": newcomer,
              "decision": "allow"},
    )  # fmt: skip
    code = parse_qs(urlsplit(allowed.headers["location"]).query)["code"][0]
    tokens = sandbox_http.post(
        "/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
              "client_id": "rentcal-test.apps.googleusercontent.com", "code_verifier": verifier},
    ).json()  # fmt: skip
    me = sandbox_http.get("/oauth2/v3/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["email"] == newcomer
    missing = sandbox_http.get("/o/oauth2/v2/auth", params={"client_id": "x", "redirect_uri": REDIRECT_URI})
    assert missing.status_code == 400 and "Missing required parameter: response_type" in missing.text


def decide(http: httpx.Client, request_id: str, account: str, ticked: list[str] | None = None) -> dict[str, str]:
    """Press Allow as a browser would (with the scope checkboxes when `ticked` is given); the callback's query."""
    fields = [("request_id", request_id), ("account", account), ("decision", "allow")]
    if ticked is not None:
        fields += [("scope_choice", "1"), *(("scope", scope) for scope in ticked)]
    answer = http.post(
        "/o/oauth2/v2/auth/decision",
        content=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 303, answer.text
    return {k: v[0] for k, v in parse_qs(urlsplit(answer.headers["location"]).query).items()}


def exchange(http: httpx.Client, code: str, verifier: str) -> dict[str, Any]:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
            "client_id": "rentcal-test.apps.googleusercontent.com", "code_verifier": verifier}  # fmt: skip
    response = http.post("/token", data=form)
    assert response.status_code == 200, response.text
    return dict(response.json())


def consent_flow(
    http: httpx.Client, email: str, *, ticked: list[str] | None = None, **params: str
) -> tuple[dict[str, str], dict[str, Any]]:
    """A whole consent for `email`: (the callback's query, the token response)."""
    verifier, challenge = pkce_pair()
    callback = decide(http, start_consent(http, challenge, "st", **params), email, ticked)
    return callback, exchange(http, callback["code"], verifier)


def test_only_registered_redirect_uris_are_accepted(sandbox_http: httpx.Client) -> None:
    other = f"http://127.0.0.1:9/other-{uuid.uuid4().hex[:8]}"
    params = {"client_id": "rentcal-test.apps.googleusercontent.com", "redirect_uri": other, "response_type": "code",
              "scope": CALENDAR_SCOPE, "state": "s"}  # fmt: skip
    refused = sandbox_http.get("/o/oauth2/v2/auth", params=params)
    assert refused.status_code == 400 and "text/html" in refused.headers["content-type"]
    assert "Error 400: redirect_uri_mismatch" in refused.text and other in refused.text
    assert "location" not in refused.headers  # never redirected to an unregistered address

    registered = sandbox_http.post("/_sandbox/oauth", json={"redirect_uris": [other]}).json()
    assert other in registered["redirect_uris"] and REDIRECT_URI in registered["redirect_uris"]
    assert sandbox_http.get("/o/oauth2/v2/auth", params=params).status_code == 200
    assert sandbox_http.post("/_sandbox/oauth", json={"redirect_uris": ["javascript:x"]}).status_code == 400


def test_registered_redirect_uris_come_from_the_command_line() -> None:
    with run_google_sandbox("--redirect-uri", REDIRECT_URI, "--no-seed-events") as base:
        with httpx.Client(base_url=base, timeout=10) as http:
            assert http.get("/_sandbox/oauth").json()["redirect_uris"] == [REDIRECT_URI]
            _, challenge = pkce_pair()
            start_consent(http, challenge, "s")  # accepted
            http.post("/_sandbox/reset")
            assert http.get("/_sandbox/oauth").json()["redirect_uris"] == [REDIRECT_URI]  # configuration survives


def test_consent_scopes_can_be_unticked_and_are_echoed_in_googles_spelling(sandbox_http: httpx.Client) -> None:
    _, challenge = pkce_pair()
    page = sandbox_http.get(
        "/o/oauth2/v2/auth",
        params={"client_id": "rentcal-test.apps.googleusercontent.com", "redirect_uri": REDIRECT_URI,
                "response_type": "code", "scope": f"openid email {CALENDAR_SCOPE}", "code_challenge": challenge,
                "code_challenge_method": "S256"},
    )  # fmt: skip
    boxes = re.findall(r"<input type='checkbox'[^>]*name='scope' value='([^']+)'[^>]*checked>", page.text)
    assert boxes == [CALENDAR_SCOPE]  # openid/email are always shared, never a checkbox
    assert "See, edit, share, and permanently delete all the calendars" in page.text

    email = f"untick-{uuid.uuid4().hex[:8]}@gmail.test"
    callback, tokens = consent_flow(sandbox_http, email, ticked=[])
    spelled = {"openid", "https://www.googleapis.com/auth/userinfo.email"}
    assert set(callback["scope"].split()) == spelled
    assert set(tokens["scope"].split()) == spelled
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    denied = sandbox_http.get("/calendar/v3/users/me/calendarList", headers=bearer)
    assert denied.status_code == 403 and error_of(denied)["reason"] == "insufficientPermissions"

    other = f"tick-{uuid.uuid4().hex[:8]}@gmail.test"
    callback, tokens = consent_flow(sandbox_http, other, ticked=[CALENDAR_SCOPE])
    assert set(tokens["scope"].split()) == {*spelled, CALENDAR_SCOPE} == set(callback["scope"].split())
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert sandbox_http.get("/calendar/v3/users/me/calendarList", headers=bearer).status_code == 200


def test_refresh_token_only_on_first_consent_or_prompt_consent(sandbox_http: httpx.Client) -> None:
    email = f"again-{uuid.uuid4().hex[:8]}@gmail.test"
    first = consent_flow(sandbox_http, email, prompt="")[1]
    assert first["refresh_token"]
    again = consent_flow(sandbox_http, email, prompt="select_account")[1]
    assert "refresh_token" not in again and again["access_token"]
    client = {"client_id": "rentcal-test.apps.googleusercontent.com"}
    refresh = {**client, "grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    assert sandbox_http.post("/token", data=refresh).status_code == 200  # the first one still works

    forced = consent_flow(sandbox_http, email, prompt="consent")[1]
    assert forced["refresh_token"] and forced["refresh_token"] != first["refresh_token"]

    assert sandbox_http.post("/revoke", data={"token": forced["refresh_token"]}).status_code == 200
    grants = sandbox_http.get("/_sandbox/oauth", params={"email": email}).json()["grants"]
    assert grants and all(g["revoked"] for g in grants)  # the account's whole authorization of the client
    assert sandbox_http.post("/token", data=refresh).status_code == 400
    assert consent_flow(sandbox_http, email, prompt="")[1]["refresh_token"]  # a first consent again


def test_include_granted_scopes_adds_earlier_grants(sandbox_http: httpx.Client) -> None:
    email = f"incremental-{uuid.uuid4().hex[:8]}@gmail.test"
    consent_flow(sandbox_http, email, ticked=[CALENDAR_SCOPE])
    _, later = consent_flow(sandbox_http, email, ticked=[], include_granted_scopes="true")
    assert CALENDAR_SCOPE in later["scope"].split()
    _, alone = consent_flow(sandbox_http, f"x-{email}", ticked=[], include_granted_scopes="true")
    assert CALENDAR_SCOPE not in alone["scope"].split()


def test_rotating_refresh_tokens() -> None:
    with run_google_sandbox("--rotate-refresh-tokens", "--no-seed-events") as base:
        with httpx.Client(base_url=base, timeout=10) as http:
            issued = http.post("/_sandbox/tokens", json={"email": "rotate@gmail.test"}).json()
            form = {"grant_type": "refresh_token", "client_id": "sandbox-client"}
            first = http.post("/token", data={**form, "refresh_token": issued["refresh_token"]}).json()
            assert first["refresh_token"] != issued["refresh_token"]
            stale = http.post("/token", data={**form, "refresh_token": issued["refresh_token"]})
            assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"
            assert http.post("/token", data={**form, "refresh_token": first["refresh_token"]}).status_code == 200
            assert http.get("/_sandbox/oauth").json()["refreshes"] == 2  # the refused one is not counted

            assert http.post("/_sandbox/oauth", json={"rotate_refresh_tokens": False}).status_code == 200
            latest = http.get("/_sandbox/oauth").json()
            assert latest["rotate_refresh_tokens"] is False


def test_configured_client_credentials_are_enforced() -> None:
    with run_google_sandbox("--client-id", "cid-1", "--client-secret", "s3cret", "--no-seed-events") as base:
        with httpx.Client(base_url=base, timeout=10) as http:
            form = {"grant_type": "refresh_token", "refresh_token": "1//nope"}
            unknown = http.post("/token", data={**form, "client_id": "other", "client_secret": "s3cret"})
            assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"
            bad_secret = http.post("/token", data=form, auth=httpx.BasicAuth("cid-1", "wrong"))
            assert bad_secret.status_code == 401 and bad_secret.json()["error"] == "invalid_client"
            good = http.post("/token", data=form, auth=httpx.BasicAuth("cid-1", "s3cret"))
            assert good.status_code == 400 and good.json()["error"] == "invalid_grant"
            page = http.get(
                "/o/oauth2/v2/auth",
                params={"client_id": "other", "redirect_uri": REDIRECT_URI, "response_type": "code", "scope": "x"},
            )
            assert page.status_code == 401 and "invalid_client" in page.text
            events = http.get("/_sandbox/accounts").json()["items"]
            holidays = [c["id"] for a in events for c in a["calendars"] if c["summary"] == "Team holidays"]
            assert all(http.get(f"/_sandbox/calendars/{cid}/events").json()["items"] == [] for cid in holidays)


def test_access_tokens_expire(sandbox_http: httpx.Client) -> None:
    email = f"ttl-{uuid.uuid4().hex[:8]}@gmail.test"
    sandbox_http.post("/_sandbox/faults", json={"token_ttl_seconds": 1})
    try:
        issued = sandbox_http.post("/_sandbox/tokens", json={"email": email}).json()
    finally:
        sandbox_http.delete("/_sandbox/faults")
    assert issued["expires_in"] == 1
    bearer = {"Authorization": f"Bearer {issued['access_token']}"}
    assert sandbox_http.get("/calendar/v3/users/me/calendarList", headers=bearer).status_code == 200
    time.sleep(1.1)
    expired = sandbox_http.get("/calendar/v3/users/me/calendarList", headers=bearer)
    assert expired.status_code == 401
    error = error_of(expired)
    assert (error["reason"], error["status"], error["domain"]) == ("authError", "UNAUTHENTICATED", "global")
    assert "invalid_token" in expired.headers["www-authenticate"]
    # The refresh token still works, and the admin switch expires the new token early.
    fresh = sandbox_http.post(
        "/token",
        data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"], "client_id": "sandbox-client"},
    ).json()
    bearer = {"Authorization": f"Bearer {fresh['access_token']}"}
    assert sandbox_http.get("/calendar/v3/colors", headers=bearer).status_code == 200
    assert sandbox_http.post("/_sandbox/tokens/expire", json={"email": email}).json()["expired"] == 1
    assert sandbox_http.get("/calendar/v3/colors", headers=bearer).status_code == 401
    missing = sandbox_http.get("/calendar/v3/colors")
    assert missing.status_code == 401 and error_of(missing)["reason"] == "required"


def test_scopes_are_checked_against_the_discovery_document(sandbox_http: httpx.Client) -> None:
    email = f"scopes-{uuid.uuid4().hex[:8]}@gmail.test"
    readonly = sandbox_http.post(
        "/_sandbox/tokens", json={"email": email, "scope": f"{CALENDAR_SCOPE}.readonly"}
    ).json()["access_token"]
    bearer = {"Authorization": f"Bearer {readonly}"}
    assert sandbox_http.get(f"/calendar/v3/calendars/{email}/events", headers=bearer).status_code == 200
    denied = sandbox_http.post(
        f"/calendar/v3/calendars/{email}/events",
        headers=bearer,
        json=timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"),
    )
    assert denied.status_code == 403 and error_of(denied)["reason"] == "insufficientPermissions"


# ---- calendars, colors -------------------------------------------------------------------------------------


def test_calendar_list_and_colors(account: Account) -> None:
    listing = account.client.get("/calendar/v3/users/me/calendarList").json()
    assert listing["kind"] == "calendar#calendarList" and listing["etag"].startswith('"')
    by_summary = {item["summary"]: item for item in listing["items"]}
    assert set(by_summary) == {account.email, "Deliveries", "Team holidays"}
    assert by_summary[account.email]["primary"] is True
    for name in ("Deliveries", "Team holidays"):
        entry = by_summary[name]
        assert re.fullmatch(r"c_[0-9a-f]{64}@group\.calendar\.google\.com", entry["id"])
        assert "primary" not in entry
        assert entry["accessRole"] == "owner" and entry["kind"] == "calendar#calendarListEntry"
        assert entry["backgroundColor"].startswith("#") and entry["timeZone"] == "Europe/Berlin"

    colors = account.client.get("/calendar/v3/colors").json()
    assert colors["kind"] == "calendar#colors"
    assert sorted(colors["event"], key=int) == [str(n) for n in range(1, 12)]
    assert len(colors["calendar"]) == 24
    assert colors["event"]["1"] == {"background": "#a4bdfc", "foreground": "#1d1d1d"}
    assert colors["event"]["11"]["background"] == "#dc2127"
    assert colors["calendar"]["1"]["background"] == "#ac725e"
    other = account.client.get("/calendar/v3/calendars/demo.manager@gmail.test/events")
    assert other.status_code == 404 and error_of(other)["reason"] == "notFound"


# ---- events --------------------------------------------------------------------------------------------------


def test_insert_with_client_id_duplicate_and_delete(account: Account) -> None:
    event_id = "rentcal0booking" + uuid.uuid4().hex[:8]
    body = timed(
        "2030-07-01T09:00:00Z",
        "2030-07-01T17:00:00Z",
        id=event_id,
        summary="Excavator rental",
        description="Booking #42",
        location="Depot 3",
        colorId="5",
        reminders={"useDefault": False, "overrides": [{"method": "popup", "minutes": 15}]},
        extendedProperties={"private": {"bookingId": "42"}, "shared": {"shop": "north"}},
    )
    created = account.client.post(f"{account.calendar}/events", json=body)
    assert created.status_code == 200, created.text
    event = created.json()
    assert event["kind"] == "calendar#event" and event["id"] == event_id
    assert re.fullmatch(r'"\d+"', event["etag"])
    assert event["status"] == "confirmed" and event["sequence"] == 0
    assert RFC3339_MS.match(event["created"]) and RFC3339_MS.match(event["updated"])
    assert event["iCalUID"] == f"{event_id}@google.com"
    assert "/calendar/event?eid=" in event["htmlLink"]
    # Returned in the calendar's zone (Europe/Berlin is UTC+2 in July).
    assert event["start"] == {"dateTime": "2030-07-01T11:00:00+02:00"}
    assert event["end"] == {"dateTime": "2030-07-01T19:00:00+02:00"}
    assert event["organizer"] == {"email": account.email, "self": True}
    assert event["creator"]["email"] == account.email
    assert event["reminders"] == body["reminders"]
    assert event["extendedProperties"] == body["extendedProperties"]
    assert (event["colorId"], event["location"], event["description"]) == ("5", "Depot 3", "Booking #42")
    assert account.client.get(event["htmlLink"]).status_code == 200

    duplicate = account.client.post(f"{account.calendar}/events", json=body)
    assert duplicate.status_code == 409
    error = error_of(duplicate)
    assert (error["reason"], error["message"]) == ("duplicate", "The requested identifier already exists.")

    assert account.client.delete(f"{account.calendar}/events/{event_id}").status_code == 204
    fetched = account.client.get(f"{account.calendar}/events/{event_id}")
    assert fetched.status_code == 200 and fetched.json()["status"] == "cancelled"
    gone = account.client.delete(f"{account.calendar}/events/{event_id}")
    assert gone.status_code == 410 and error_of(gone)["reason"] == "deleted"
    assert account.client.post(f"{account.calendar}/events", json=body).status_code == 409
    missing = account.client.get(f"{account.calendar}/events/doesnotexist1")
    assert missing.status_code == 404 and error_of(missing)["reason"] == "notFound"


@pytest.mark.parametrize("bad_id", ["UPPERCASE123", "abcd", "wxyz01234", "has-dash-123", "a" * 1025])
def test_invalid_client_event_ids(account: Account, bad_id: str) -> None:
    response = account.client.post(
        f"{account.calendar}/events", json=timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z", id=bad_id)
    )
    assert response.status_code == 400
    error = error_of(response)
    assert (error["reason"], error["message"]) == ("invalid", "Invalid resource id value.")


def test_bodies_are_validated_against_the_discovery_document(account: Account) -> None:
    url = f"{account.calendar}/events"
    ok = timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z")

    unknown = account.client.post(url, json={**ok, "colour": "5"})
    assert unknown.status_code == 400
    assert error_of(unknown)["message"] == 'Invalid JSON payload received. Unknown name "colour": Cannot find field.'
    nested = account.client.post(url, json={**ok, "start": {"dateTime": "2030-01-01T10:00:00Z", "zone": "UTC"}})
    assert nested.status_code == 400 and "Unknown name \"zone\" at 'resource.start'" in error_of(nested)["message"]
    wrong_type = account.client.post(url, json={**ok, "summary": 123})
    assert wrong_type.status_code == 400
    assert error_of(wrong_type)["message"].endswith("Invalid value at 'resource.summary' (TYPE_STRING), 123")
    bad_start = account.client.post(url, json={**ok, "start": "x"})
    assert bad_start.status_code == 400 and "'resource.start'" in error_of(bad_start)["message"]
    bad_bool = account.client.post(url, json={**ok, "reminders": {"useDefault": "yes"}})
    assert bad_bool.status_code == 400 and "TYPE_BOOL" in error_of(bad_bool)["message"]
    missing_end = account.client.post(url, json={"start": ok["start"], "summary": "x"})
    assert missing_end.status_code == 400 and error_of(missing_end)["reason"] == "required"
    backwards = account.client.post(url, json=timed("2030-01-01T12:00:00Z", "2030-01-01T11:00:00Z"))
    error = error_of(backwards)
    assert (backwards.status_code, error["reason"], error["domain"]) == (400, "timeRangeEmpty", "calendar")
    assert error["message"] == "The specified time range is empty."
    no_zone = account.client.post(url, json=timed("2030-01-01T10:00:00", "2030-01-01T11:00:00"))
    assert no_zone.status_code == 400 and "time zone" in error_of(no_zone)["message"]
    both = account.client.post(url, json={"start": {"date": "2030-01-01"}, "end": ok["end"]})
    assert both.status_code == 400
    bad_query = account.client.get(url, params={"colour": "1"})
    assert bad_query.status_code == 400 and 'Unknown name "colour"' in error_of(bad_query)["message"]
    bad_int = account.client.get(url, params={"maxResults": "0"})
    assert bad_int.status_code == 400
    not_json = account.client.post(url, content=b"{nope", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and error_of(not_json)["reason"] == "parseError"
    # Read-only fields sent back from a previous read are accepted (get -> modify -> update).
    created = account.client.post(url, json={**ok, "summary": "roundtrip"}).json()
    created["summary"] = "roundtrip 2"
    updated = account.client.put(f"{url}/{created['id']}", json=created)
    assert updated.status_code == 200 and updated.json()["summary"] == "roundtrip 2"


def test_if_match_and_patch_versus_update(account: Account) -> None:
    url = f"{account.calendar}/events"
    event = account.client.post(
        url,
        json=timed(
            "2030-02-01T10:00:00Z", "2030-02-01T11:00:00Z", summary="Crane", description="keep me",
            extendedProperties={"private": {"a": "1"}},
        ),
    ).json()  # fmt: skip
    one = f"{url}/{event['id']}"
    stale = event["etag"]
    patched = account.client.patch(
        one,
        headers={"If-Match": stale},
        json={"start": {"dateTime": "2030-02-01T12:00:00Z"}, "end": {"dateTime": "2030-02-01T13:00:00Z"},
              "extendedProperties": {"private": {"b": "2"}}},
    )  # fmt: skip
    assert patched.status_code == 200, patched.text
    after = patched.json()
    assert after["etag"] != stale and after["sequence"] == 1 and after["updated"] > event["updated"]
    assert after["description"] == "keep me" and after["start"]["dateTime"] == "2030-02-01T13:00:00+01:00"
    assert after["extendedProperties"]["private"] == {"a": "1", "b": "2"}

    for method in ("PATCH", "PUT", "DELETE"):
        payload = timed("2030-02-01T10:00:00Z", "2030-02-01T11:00:00Z") if method != "DELETE" else None
        response = account.client.request(method, one, headers={"If-Match": stale}, json=payload)
        assert response.status_code == 412, method
        error = error_of(response)
        assert (error["reason"], error["message"]) == ("conditionNotMet", "Precondition Failed")

    replaced = account.client.put(
        one, headers={"If-Match": after["etag"]}, json=timed("2030-02-02T10:00:00Z", "2030-02-02T11:00:00Z")
    ).json()
    assert "description" not in replaced and "summary" not in replaced and replaced["id"] == event["id"]
    not_modified = account.client.get(one, headers={"If-None-Match": replaced["etag"]})
    assert not_modified.status_code == 304
    assert account.client.delete(one, headers={"If-Match": replaced["etag"]}).status_code == 204


def test_list_pagination_and_ordering(account: Account) -> None:
    url = f"{account.calendar}/events"
    ids = set()
    for day in (5, 3, 7, 1, 6, 2, 4):
        created = account.client.post(url, json=timed(f"2030-03-0{day}T10:00:00Z", f"2030-03-0{day}T11:00:00Z"))
        ids.add(created.json()["id"])
    seen: list[str] = []
    pages = 0
    token: str | None = None
    while True:
        params: dict[str, Any] = {"maxResults": 3}
        if token:
            params["pageToken"] = token
        page = account.client.get(url, params=params).json()
        pages += 1
        assert page["kind"] == "calendar#events" and page["timeZone"] == "Europe/Berlin"
        seen += [item["id"] for item in page["items"]]
        token = page.get("nextPageToken")
        if token is None:
            assert page["nextSyncToken"]
            break
        assert "nextSyncToken" not in page and len(page["items"]) == 3
    assert pages == 3 and len(seen) == 7 and set(seen) == ids

    refused = account.client.get(url, params={"orderBy": "startTime"})
    assert refused.status_code == 400
    ordered = account.client.get(url, params={"orderBy": "startTime", "singleEvents": "true"}).json()["items"]
    starts = [item["start"]["dateTime"] for item in ordered]
    assert starts == sorted(starts) and len(starts) == 7
    window = account.client.get(
        url, params={"timeMin": "2030-03-03T00:00:00Z", "timeMax": "2030-03-05T00:00:00Z"}
    ).json()["items"]
    assert sorted(item["start"]["dateTime"][:10] for item in window) == ["2030-03-03", "2030-03-04"]
    empty = account.client.get(url, params={"timeMin": "2030-03-05T00:00:00Z", "timeMax": "2030-03-01T00:00:00Z"})
    assert empty.status_code == 400 and error_of(empty)["reason"] == "timeRangeEmpty"


def test_incremental_sync_includes_cancelled_and_invalidation(account: Account) -> None:
    url = f"{account.calendar}/events"
    first = account.client.post(url, json=timed("2030-04-01T10:00:00Z", "2030-04-01T11:00:00Z")).json()
    second = account.client.post(url, json=timed("2030-04-02T10:00:00Z", "2030-04-02T11:00:00Z")).json()
    untouched = account.client.post(url, json=timed("2030-04-03T10:00:00Z", "2030-04-03T11:00:00Z")).json()
    full = account.client.get(url).json()
    assert {i["id"] for i in full["items"]} == {first["id"], second["id"], untouched["id"]}
    token = full["nextSyncToken"]

    added = account.client.post(url, json=timed("2030-04-04T10:00:00Z", "2030-04-04T11:00:00Z")).json()
    account.client.patch(f"{url}/{first['id']}", json={"summary": "changed"})
    account.client.delete(f"{url}/{second['id']}")

    delta = account.client.get(url, params={"syncToken": token})
    assert delta.status_code == 200
    items = {item["id"]: item for item in delta.json()["items"]}
    assert set(items) == {added["id"], first["id"], second["id"]}
    assert items[first["id"]]["summary"] == "changed"
    assert items[second["id"]]["status"] == "cancelled"
    assert set(items[second["id"]]) <= {"kind", "etag", "id", "status"}
    # The full list hides the cancelled event unless showDeleted is set.
    assert second["id"] not in {i["id"] for i in account.client.get(url).json()["items"]}
    shown = account.client.get(url, params={"showDeleted": "true"}).json()["items"]
    assert any(i["id"] == second["id"] and i["status"] == "cancelled" for i in shown)

    clash = account.client.get(url, params={"syncToken": token, "timeMin": "2030-01-01T00:00:00Z"})
    assert clash.status_code == 400
    newer = delta.json()["nextSyncToken"]
    quiet = account.client.get(url, params={"syncToken": newer}).json()
    assert quiet["items"] == [] and quiet["nextSyncToken"]

    invalidated = account.client.post(f"/_sandbox/calendars/{account.email}/invalidate_sync_tokens")
    assert invalidated.status_code in (200, 201)
    stale = account.client.get(url, params={"syncToken": newer})
    assert stale.status_code == 410
    error = error_of(stale)
    assert error["reason"] == "fullSyncRequired"
    assert error["message"] == "Sync token is no longer valid, a full sync is required."
    assert account.client.get(url).status_code == 200


def test_incremental_sync_paginates(account: Account) -> None:
    url = f"{account.calendar}/events"
    token = account.client.get(url).json()["nextSyncToken"]
    for hour in range(5):
        account.client.post(url, json=timed(f"2030-05-01T1{hour}:00:00Z", f"2030-05-01T1{hour}:30:00Z"))
    got: list[str] = []
    page_token = None
    while True:
        params = {"syncToken": token, "maxResults": 2, **({"pageToken": page_token} if page_token else {})}
        page = account.client.get(url, params=params).json()
        got += [item["id"] for item in page["items"]]
        page_token = page.get("nextPageToken")
        if not page_token:
            assert "nextSyncToken" in page
            break
    assert len(got) == 5 == len(set(got))


def test_watch_delivers_sync_then_exists(account: Account, receiver: Receiver) -> None:
    channel_id = str(uuid.uuid4())
    watched = account.client.post(
        f"{account.calendar}/events/watch",
        json={"id": channel_id, "type": "web_hook", "address": receiver.url, "token": "tenant=7"},
    )
    assert watched.status_code == 200, watched.text
    channel = watched.json()
    assert channel["kind"] == "api#channel" and channel["id"] == channel_id
    assert channel["token"] == "tenant=7" and channel["resourceId"]
    assert channel["expiration"].isdigit() and int(channel["expiration"]) > time.time() * 1000
    assert channel["resourceUri"].endswith("/events?alt=json")

    first = receiver.wait_for(1)[0]
    assert first.body == b""
    assert first.headers["x-goog-resource-state"] == "sync"
    assert first.headers["x-goog-message-number"] == "1"
    assert first.headers["x-goog-channel-id"] == channel_id
    assert first.headers["x-goog-channel-token"] == "tenant=7"
    assert first.headers["x-goog-resource-id"] == channel["resourceId"]
    assert first.headers["x-goog-resource-uri"] == channel["resourceUri"]
    assert first.headers["x-goog-channel-expiration"].endswith("GMT")

    event = account.client.post(
        f"{account.calendar}/events", json=timed("2030-06-01T10:00:00Z", "2030-06-01T11:00:00Z")
    ).json()
    second = receiver.wait_for(2)[1]
    assert (second.headers["x-goog-resource-state"], second.headers["x-goog-message-number"]) == ("exists", "2")
    changed = account.client.patch(f"/_sandbox/calendars/{account.email}/events/{event['id']}", json={"summary": "x"})
    assert changed.json()["etag"] != event["etag"] and changed.json()["sequence"] == 1
    third = receiver.wait_for(3)[2]
    assert (third.headers["x-goog-resource-state"], third.headers["x-goog-message-number"]) == ("exists", "3")
    duplicate = account.client.post(
        f"{account.calendar}/events/watch", json={"id": channel_id, "type": "web_hook", "address": receiver.url}
    )
    assert duplicate.status_code == 400

    stop = account.client.post(
        "/calendar/v3/channels/stop", json={"id": channel_id, "resourceId": channel["resourceId"]}
    )
    assert stop.status_code == 204
    account.client.delete(f"{account.calendar}/events/{event['id']}")
    time.sleep(0.4)
    assert len(receiver.hits) == 3
    again = account.client.post(
        "/calendar/v3/channels/stop", json={"id": channel_id, "resourceId": channel["resourceId"]}
    )
    assert again.status_code == 404


def test_freebusy(account: Account) -> None:
    url = f"{account.calendar}/events"
    account.client.post(url, json=timed("2030-08-01T10:00:00Z", "2030-08-01T11:00:00Z"))
    account.client.post(url, json=timed("2030-08-01T10:30:00Z", "2030-08-01T12:00:00Z"))
    account.client.post(url, json=timed("2030-08-01T13:00:00Z", "2030-08-01T14:00:00Z", transparency="transparent"))
    gone = account.client.post(url, json=timed("2030-08-01T15:00:00Z", "2030-08-01T16:00:00Z")).json()
    account.client.delete(f"{url}/{gone['id']}")
    account.client.post(url, json=timed("2030-08-01T17:30:00Z", "2030-08-01T19:00:00Z"))
    response = account.client.post(
        "/calendar/v3/freeBusy",
        json={"timeMin": "2030-08-01T00:00:00Z", "timeMax": "2030-08-01T18:00:00Z",
              "items": [{"id": account.email}, {"id": "nobody@gmail.test"}]},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["kind"] == "calendar#freeBusy"
    assert body["timeMin"] == "2030-08-01T00:00:00.000Z" and body["timeMax"] == "2030-08-01T18:00:00.000Z"
    assert body["calendars"][account.email]["busy"] == [
        {"start": "2030-08-01T10:00:00Z", "end": "2030-08-01T12:00:00Z"},
        {"start": "2030-08-01T17:30:00Z", "end": "2030-08-01T18:00:00Z"},
    ]
    assert body["calendars"]["nobody@gmail.test"]["errors"] == [{"domain": "global", "reason": "notFound"}]
    bad = account.client.post("/calendar/v3/freeBusy", json={"timeMin": "2030-08-01T00:00:00Z", "items": []})
    assert bad.status_code == 400


def test_recurring_events_expand_with_single_events(account: Account) -> None:
    url = f"{account.calendar}/events"
    master = account.client.post(
        url,
        json={"summary": "Weekly inspection", "recurrence": ["RRULE:FREQ=WEEKLY;COUNT=3"],
              "start": {"dateTime": "2030-09-02T09:00:00", "timeZone": "Europe/Berlin"},
              "end": {"dateTime": "2030-09-02T10:00:00", "timeZone": "Europe/Berlin"}},
    ).json()  # fmt: skip
    assert master["recurrence"] == ["RRULE:FREQ=WEEKLY;COUNT=3"]
    single = account.client.get(url, params={"singleEvents": "true", "orderBy": "startTime"}).json()["items"]
    assert [i["start"]["dateTime"] for i in single] == [
        "2030-09-02T09:00:00+02:00", "2030-09-09T09:00:00+02:00", "2030-09-16T09:00:00+02:00",
    ]  # fmt: skip
    assert all(i["recurringEventId"] == master["id"] for i in single)
    assert account.client.get(f"{url}/{single[1]['id']}").json()["originalStartTime"] == single[1]["start"]
    assert [i["id"] for i in account.client.get(url).json()["items"]] == [master["id"]]
    bad = account.client.post(url, json={**timed("2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"), "recurrence": ["x"]})
    assert bad.status_code == 400


# ---- faults, admin, stats -----------------------------------------------------------------------------------


def test_fault_injection_rates_and_shapes(account: Account, sandbox_http: httpx.Client) -> None:
    settings = {"error_rate": 0.3, "error_kinds": ["rateLimitExceeded", "tooManyRequests", "backendError"], "seed": 1}

    def run() -> list[int]:
        assert sandbox_http.post("/_sandbox/faults", json=settings).status_code in (200, 201)
        statuses = []
        for _ in range(200):
            response = account.client.get("/calendar/v3/colors")
            statuses.append(response.status_code)
            if response.status_code != 200:
                error = error_of(response)
                expected = {403: ("usageLimits", "rateLimitExceeded"), 429: ("usageLimits", "rateLimitExceeded"),
                            500: ("global", "backendError")}[response.status_code]  # fmt: skip
                assert (error["domain"], error["reason"]) == expected
                if response.status_code == 429:
                    assert response.headers["retry-after"] == "1"
        return statuses

    try:
        statuses = run()
        assert run() == statuses  # same seed, same faults
        # Admin, OAuth and the web view are never faulted.
        assert sandbox_http.get("/_sandbox/stats").status_code == 200
        assert sandbox_http.get("/").status_code == 200
    finally:
        sandbox_http.delete("/_sandbox/faults")
    counts = Counter(statuses)
    failures = 200 - counts[200]
    assert 40 <= failures <= 80, counts
    assert {403, 429, 500} <= set(counts) <= {200, 403, 429, 500}
    assert account.client.get("/calendar/v3/colors").status_code == 200

    sandbox_http.post("/_sandbox/faults", json={"fail_next": ["serviceUnavailable"], "latency_ms": 50})
    try:
        started = time.monotonic()
        failed = account.client.get("/calendar/v3/colors")
        assert failed.status_code == 503 and time.monotonic() - started >= 0.05
        assert account.client.get("/calendar/v3/colors").status_code == 200
    finally:
        sandbox_http.delete("/_sandbox/faults")
    refused = sandbox_http.post("/_sandbox/faults", json={"error_kinds": ["nope"]})
    assert refused.status_code == 400

    sandbox_http.post("/_sandbox/faults", json={"fail_next": ["backendError"], "apply_to_token": True})
    try:
        refresh = {"grant_type": "refresh_token", "refresh_token": account.refresh_token, "client_id": "sandbox-client"}
        token_fault = sandbox_http.post("/token", data=refresh)
        assert token_fault.status_code == 500 and token_fault.json()["error"] == "internal_failure"
        assert sandbox_http.post("/token", data=refresh).status_code == 200
    finally:
        sandbox_http.delete("/_sandbox/faults")
    assert sandbox_http.get("/_sandbox/stats").json()["faults_injected"]["backendError"] >= 1


def test_stats_count_requests_by_method(account: Account, sandbox_http: httpx.Client) -> None:
    before = sandbox_http.get("/_sandbox/stats").json()["requests"]["by_method"]
    for _ in range(3):
        account.client.get(f"{account.calendar}/events")
    account.client.post(f"{account.calendar}/events", json=timed("2030-10-01T10:00:00Z", "2030-10-01T11:00:00Z"))
    after = sandbox_http.get("/_sandbox/stats").json()
    by_method = after["requests"]["by_method"]
    assert by_method["calendar.events.list"] - before.get("calendar.events.list", 0) == 3
    assert by_method["calendar.events.insert"] - before.get("calendar.events.insert", 0) == 1
    assert after["requests"]["by_status"]["200"] >= 4


def test_admin_dump_and_user_change(account: Account) -> None:
    url = f"{account.calendar}/events"
    keep = account.client.post(url, json=timed("2030-11-01T10:00:00Z", "2030-11-01T11:00:00Z")).json()
    drop = account.client.post(url, json=timed("2030-11-02T10:00:00Z", "2030-11-02T11:00:00Z")).json()
    account.client.delete(f"{url}/{drop['id']}")
    dump = account.client.get(f"/_sandbox/calendars/{account.email}/events").json()["items"]
    assert {(e["id"], e["status"]) for e in dump} == {(keep["id"], "confirmed"), (drop["id"], "cancelled")}
    changed = account.client.patch(
        f"/_sandbox/calendars/{account.email}/events/{keep['id']}",
        json={"start": {"dateTime": "2030-11-01T12:00:00Z"}, "end": {"dateTime": "2030-11-01T13:00:00Z"}},
    ).json()
    assert changed["sequence"] == 1 and changed["etag"] != keep["etag"] and changed["updated"] > keep["updated"]
    assert account.client.get(f"{url}/{keep['id']}").json()["start"]["dateTime"] == "2030-11-01T13:00:00+01:00"
    invalid = account.client.patch(f"/_sandbox/calendars/{account.email}/events/{keep['id']}", json={"summary": 5})
    assert invalid.status_code == 400


def test_web_view_move_and_delete(account: Account, receiver: Receiver, sandbox_http: httpx.Client) -> None:
    url = f"{account.calendar}/events"
    event = account.client.post(
        url, json=timed("2030-12-01T10:00:00Z", "2030-12-01T11:00:00Z", summary="Forklift pickup", colorId="11")
    ).json()
    account.client.post(
        f"{account.calendar}/events/watch", json={"id": str(uuid.uuid4()), "type": "web_hook", "address": receiver.url}
    )
    receiver.wait_for(1)
    page = sandbox_http.get("/", params={"account": account.email})
    assert page.status_code == 200
    assert "Forklift pickup" in page.text and "#dc2127" in page.text and "Team holidays" in page.text
    assert f"value='{event['id']}'" in page.text

    moved = sandbox_http.post(
        "/_web/events/move",
        data={"calendar_id": account.email, "event_id": event["id"], "start": "2030-12-02T09:30",
              "end": "2030-12-02T12:00", "time_zone": "America/New_York"},
    )  # fmt: skip
    assert moved.status_code == 303
    after = account.client.get(f"{url}/{event['id']}").json()
    assert after["start"] == {"dateTime": "2030-12-02T09:30:00-05:00", "timeZone": "America/New_York"}
    assert after["end"] == {"dateTime": "2030-12-02T12:00:00-05:00", "timeZone": "America/New_York"}
    assert after["etag"] != event["etag"] and after["sequence"] == 1
    hit = receiver.wait_for(2)[1]
    assert hit.headers["x-goog-resource-state"] == "exists" and hit.headers["x-goog-message-number"] == "2"

    bad = sandbox_http.post(
        "/_web/events/move",
        data={"calendar_id": account.email, "event_id": event["id"], "start": "2030-12-02T12:00",
              "end": "2030-12-02T09:00", "time_zone": "UTC"},
    )  # fmt: skip
    assert bad.status_code == 400 and "timeRangeEmpty" in bad.text

    deleted = sandbox_http.post("/_web/events/delete", data={"calendar_id": account.email, "event_id": event["id"]})
    assert deleted.status_code == 303
    assert account.client.get(f"{url}/{event['id']}").json()["status"] == "cancelled"
    assert receiver.wait_for(3)[2].headers["x-goog-resource-state"] == "exists"


def test_google_api_python_client_talks_to_the_sandbox(account: Account, google_sandbox: str) -> None:
    from google.oauth2.credentials import Credentials
    from googleapiclient.discovery import build
    from googleapiclient.errors import HttpError

    rest = httpx.get(f"{google_sandbox}/discovery/v1/apis/calendar/v3/rest").json()
    assert rest["rootUrl"] == f"{google_sandbox}/" and "events" in rest["resources"]
    service = build(
        "calendar", "v3", credentials=Credentials(account.token),
        client_options={"api_endpoint": f"{google_sandbox}/calendar/v3/"}, cache_discovery=False,
    )  # fmt: skip
    created = (
        service.events()
        .insert(calendarId="primary", body=timed("2031-01-05T10:00:00Z", "2031-01-05T11:00:00Z", id="gapiclient01"))
        .execute()
    )
    assert created["id"] == "gapiclient01"
    listed = service.events().list(calendarId="primary", singleEvents=True, orderBy="startTime").execute()
    assert "gapiclient01" in [item["id"] for item in listed["items"]]
    with pytest.raises(HttpError) as raised:
        service.events().insert(
            calendarId="primary", body=timed("2031-01-05T10:00:00Z", "2031-01-05T11:00:00Z", id="gapiclient01")
        ).execute()
    assert raised.value.resp.status == 409
    assert raised.value.error_details[0]["reason"] == "duplicate"


# ---- fidelity added with sync core v2 -----------------------------------------------------------------


def test_410_names_the_sync_token_like_google(account: Account) -> None:
    url = f"{account.calendar}/events"
    token = account.client.get(url).json()["nextSyncToken"]
    account.client.post(f"/_sandbox/calendars/{account.email}/invalidate_sync_tokens")
    error = error_of(account.client.get(url, params={"syncToken": token}))
    assert (error["domain"], error["reason"], error["location"], error["locationType"]) == (
        "calendar",
        "fullSyncRequired",
        "syncToken",
        "parameter",
    )


def test_watch_needs_https_and_bounded_ids_unless_http_is_allowed(receiver: Receiver) -> None:
    with run_google_sandbox("--no-seed-events") as base, httpx.Client(base_url=base, timeout=10) as admin:
        email = f"user-{uuid.uuid4().hex[:10]}@gmail.test"
        token = admin.post("/_sandbox/tokens", json={"email": email}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        url = f"/calendar/v3/calendars/{email}/events/watch"
        plain = admin.post(url, headers=headers, json={"id": "c1", "type": "web_hook", "address": receiver.url})
        assert plain.status_code == 400 and "HTTPS" in error_of(plain)["message"]
        secure = {"type": "web_hook", "address": "https://hooks.example.com/google"}
        too_long = admin.post(url, headers=headers, json={**secure, "id": "x" * 65})
        assert too_long.status_code == 400
        long_token = admin.post(url, headers=headers, json={**secure, "id": "c2", "token": "t" * 257})
        assert long_token.status_code == 400
        assert admin.post(url, headers=headers, json={**secure, "id": "c3", "token": "t" * 256}).status_code == 200


def test_freebusy_limits(account: Account) -> None:
    many = {"timeMin": "2030-08-01T00:00:00Z", "timeMax": "2030-08-02T00:00:00Z",
            "items": [{"id": f"c{i}@gmail.test"} for i in range(51)]}  # fmt: skip
    assert error_of(account.client.post("/calendar/v3/freeBusy", json=many))["reason"] == "tooManyCalendarsRequested"
    long = {"timeMin": "2030-01-01T00:00:00Z", "timeMax": "2030-06-01T00:00:00Z", "items": [{"id": account.email}]}
    assert error_of(account.client.post("/calendar/v3/freeBusy", json=long))["reason"] == "timeRangeTooLong"


def test_per_user_rate_limit_and_refusal_faults(account: Account, sandbox_http: httpx.Client) -> None:
    try:
        sandbox_http.post("/_sandbox/faults", json={"user_requests_per_minute": 3})
        answers = [account.client.get(f"{account.calendar}/events").status_code for _ in range(4)]
        assert answers == [200, 200, 200, 403]
        limited = account.client.get(f"{account.calendar}/events")
        assert error_of(limited)["reason"] == "userRateLimitExceeded"
        for kind, reason in (
            ("dailyLimitExceeded", "dailyLimitExceeded"),
            ("requiredAccessLevel", "requiredAccessLevel"),
        ):
            sandbox_http.post("/_sandbox/faults", json={"fail_next": [kind]})
            refused = account.client.get(f"{account.calendar}/events")
            assert refused.status_code == 403 and error_of(refused)["reason"] == reason
        # a lost reply: the insert happens, the client sees a 500
        sandbox_http.post("/_sandbox/faults", json={"fail_next": ["lostReply"], "methods": ["calendar.events.insert"]})
        lost = account.client.post(
            f"{account.calendar}/events", json=timed("2030-09-01T10:00:00Z", "2030-09-01T11:00:00Z", summary="kept")
        )
        assert lost.status_code == 500
        listed = account.client.get(f"{account.calendar}/events").json()["items"]
        assert [e["summary"] for e in listed] == ["kept"]
    finally:
        sandbox_http.delete("/_sandbox/faults")
