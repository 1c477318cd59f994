"""The sandbox's batch endpoint (POST /batch/calendar/v3), in the wire format of Google's batch guide."""

from __future__ import annotations

import email.parser
import email.policy
import json
import uuid

import httpx

from tests.sandboxes.conftest import Account

BOUNDARY = "batch_foobarbaz"


def part(content_id: str, request_line: str, headers: dict[str, str] | None = None, body: object = None) -> str:
    lines = [request_line, *[f"{k}: {v}" for k, v in (headers or {}).items()]]
    payload = ""
    if body is not None:
        payload = json.dumps(body)
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return (
        f"--{BOUNDARY}\r\nContent-Type: application/http\r\nContent-ID: <{content_id}>\r\n\r\n"
        + "\r\n".join(lines)
        + "\r\n\r\n"
        + payload
        + "\r\n"
    )


def send(client: httpx.Client, parts: list[str], token: str | None = None) -> httpx.Response:
    headers = {"Content-Type": f"multipart/mixed; boundary={BOUNDARY}"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = "".join(parts) + f"--{BOUNDARY}--\r\n"
    # a batch of 1,001 calls on a busy machine can take a while to refuse
    return client.post("/batch/calendar/v3", content=body, headers=headers, timeout=120)


def answers(response: httpx.Response) -> list[tuple[str, int, dict[str, str], bytes]]:
    """(Content-ID, status, headers, body) of each part of a batch answer."""
    assert response.headers["content-type"].startswith("multipart/mixed; boundary=")
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    head = b"Content-Type: " + response.headers["content-type"].encode() + b"\r\n\r\n"
    outer = parser.parsebytes(head + response.content)
    found = []
    for item in outer.iter_parts():
        assert item.get_content_type() == "application/http"
        raw = item.get_payload(decode=True)
        assert isinstance(raw, bytes)
        status_line, _, rest = raw.partition(b"\r\n")
        assert status_line.startswith(b"HTTP/1.1 ")
        inner = parser.parsebytes(rest)
        body = inner.get_payload(decode=True)
        assert isinstance(body, bytes)
        found.append((str(item["Content-ID"]), int(status_line.split()[1]), dict(inner.items()), body))
    return found


def event(summary: str, day: int, **extra: object) -> dict[str, object]:
    start, end = f"2030-10-{day:02d}T10:00:00Z", f"2030-10-{day:02d}T11:00:00Z"
    return {"summary": summary, "start": {"dateTime": start}, "end": {"dateTime": end}, **extra}


def new_account(sandbox_http: httpx.Client) -> tuple[str, str]:
    email_address = f"batch-{uuid.uuid4().hex[:10]}@gmail.test"
    return email_address, sandbox_http.post("/_sandbox/tokens", json={"email": email_address}).json()["access_token"]


def test_calls_run_in_order_each_with_its_own_status(account: Account, sandbox_http: httpx.Client) -> None:
    path = f"/calendar/v3/calendars/{account.email}/events"
    taken = account.client.post(path, json=event("already there", 1, id="takenid0001")).json()
    response = send(
        sandbox_http,
        [
            part("item1:a@example.com", f"POST {path} HTTP/1.1", body=event("first", 2, id="batchid0001")),
            part("item2:a@example.com", f"POST {path}", body=event("clash", 3, id="takenid0001")),
            part("item3:a@example.com", f"GET {path}/batchid0001"),  # request line without a version, as in the guide
            part("item4:a@example.com", f"PATCH {path}/takenid0001", {"If-Match": '"stale"'}, {"summary": "x"}),
            part("item5:a@example.com", f"DELETE {path}/takenid0001", {"If-Match": taken["etag"]}),
            part("item6:a@example.com", f"GET {path}/nosuchevent"),
        ],
        token=account.token,  # the outer Authorization applies to every call
    )
    assert response.status_code == 200
    found = answers(response)
    assert [(cid, status) for cid, status, _, _ in found] == [
        ("<response-item1:a@example.com>", 200),
        ("<response-item2:a@example.com>", 409),
        ("<response-item3:a@example.com>", 200),
        ("<response-item4:a@example.com>", 412),
        ("<response-item5:a@example.com>", 204),
        ("<response-item6:a@example.com>", 404),
    ]
    assert json.loads(found[0][3])["summary"] == "first"
    assert json.loads(found[1][3])["error"]["errors"][0]["reason"] == "duplicate"
    assert json.loads(found[2][3])["id"] == "batchid0001"
    assert found[0][2]["Content-Type"].startswith("application/json")
    listed = account.client.get(path).json()["items"]
    assert [e["summary"] for e in listed] == ["first"]


def test_each_call_carries_its_own_account_and_counts_against_its_quota(sandbox_http: httpx.Client) -> None:
    alice, alice_token = new_account(sandbox_http)
    bob, bob_token = new_account(sandbox_http)
    try:
        sandbox_http.post("/_sandbox/faults", json={"user_requests_per_minute": 2})
        calls = [
            part(f"a{n}", f"POST /calendar/v3/calendars/{alice}/events", {"Authorization": f"Bearer {alice_token}"},
                 event(f"alice {n}", 10 + n))
            for n in range(3)
        ] + [
            part("b0", f"POST /calendar/v3/calendars/{bob}/events", {"Authorization": f"Bearer {bob_token}"},
                 event("bob", 20)),
            part("nobody", f"GET /calendar/v3/calendars/{bob}/events"),
        ]  # fmt: skip
        found = answers(send(sandbox_http, calls))
        assert [status for _, status, _, _ in found] == [200, 200, 403, 200, 401]
        assert json.loads(found[2][3])["error"]["errors"][0]["reason"] == "userRateLimitExceeded"
        stats = sandbox_http.get("/_sandbox/stats").json()
        assert stats["faults_injected"]["userRateLimitExceeded"] == 1
    finally:
        sandbox_http.delete("/_sandbox/faults")
    bob_events = sandbox_http.get(f"/_sandbox/calendars/{bob}/events").json()["items"]
    assert [e["summary"] for e in bob_events] == ["bob"]


def test_project_quota_counts_every_call(account: Account, sandbox_http: httpx.Client) -> None:
    path = f"/calendar/v3/calendars/{account.email}/events"
    try:
        sandbox_http.post("/_sandbox/faults", json={"project_requests_per_minute": 3})
        found = answers(send(sandbox_http, [part(f"i{n}", f"GET {path}") for n in range(4)], token=account.token))
        assert [status for _, status, _, _ in found] == [200, 200, 200, 403]
        assert json.loads(found[3][3])["error"]["errors"][0]["reason"] == "rateLimitExceeded"
    finally:
        sandbox_http.delete("/_sandbox/faults")


def test_malformed_batches_are_refused(account: Account, sandbox_http: httpx.Client) -> None:
    plain = account.client.post("/batch/calendar/v3", json={"calls": []})
    assert plain.status_code == 400
    assert send(sandbox_http, [], token=account.token).status_code == 400
    full_url = part("x", f"GET http://elsewhere.test/calendar/v3/calendars/{account.email}/events")
    found = answers(send(sandbox_http, [full_url], token=account.token))
    assert found[0][1] == 400
    too_many = [part(f"i{n}", f"GET /calendar/v3/calendars/{account.email}/events") for n in range(1001)]
    refused = send(sandbox_http, too_many, token=account.token)
    assert refused.status_code == 400
    assert refused.json()["error"]["errors"][0]["reason"] == "batchSizeTooLarge"
