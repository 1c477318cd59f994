"""Our reading of Google's batch answers agrees with the standard library's strict (policy.HTTP) MIME reading."""

from __future__ import annotations

import email.parser
import email.policy
import json

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calendars.providers import google_batch

BOUNDARY = "batch_Zm9vYmFy"
STRICT = email.parser.BytesParser(policy=email.policy.HTTP)


def answer_part(content_id: str, status: int, reason: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", *[f"{k}: {v}" for k, v in headers.items()]]
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return (
        f"--{BOUNDARY}\r\nContent-Type: application/http\r\nContent-ID: <{content_id}>\r\n\r\n".encode()
        + "\r\n".join(lines).encode("latin-1")
        + b"\r\n\r\n"
        + body
        + b"\r\n"
    )


def batch_answer(parts: list[bytes]) -> httpx.Response:
    content = b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()
    return httpx.Response(200, headers={"content-type": f"multipart/mixed; boundary={BOUNDARY}"}, content=content)


def strict_reading(response: httpx.Response) -> dict[str, tuple[int, dict[str, str], bytes]]:
    head = b"Content-Type: " + response.headers["content-type"].encode() + b"\r\n\r\n"
    found = {}
    for part in STRICT.parsebytes(head + response.content).iter_parts():
        raw = part.get_payload(decode=True)
        assert isinstance(raw, bytes)
        status_line, _, rest = raw.partition(b"\r\n")
        inner = STRICT.parsebytes(rest)
        body = inner.get_payload(decode=True)
        assert isinstance(body, bytes)
        headers = {k.lower(): str(v) for k, v in inner.items() if k.lower() != "content-length"}
        found[str(part["Content-ID"])] = (int(status_line.split()[1]), headers, body)
    return found


def event(index: int, text: str) -> bytes:
    return json.dumps({"id": f"ev{index}", "summary": text, "etag": f'"{index}"'}).encode()


def test_answers_are_matched_by_content_id_whatever_their_order() -> None:
    parts = [
        answer_part("response-item2", 412, "Precondition Failed", {"Content-Type": "application/json"}, b"{}"),
        answer_part("response-item0", 200, "OK", {"Content-Type": "application/json", "ETag": '"7"'}, event(0, "a")),
        answer_part("response-item1", 204, "No Content", {}, b""),
    ]
    answers = google_batch.decode(batch_answer(parts), 4)
    assert [a.status_code if a else None for a in answers] == [200, 204, 412, None]
    assert answers[0] is not None and answers[0].json()["id"] == "ev0"
    assert answers[0].headers["etag"] == '"7"'
    assert answers[1] is not None and answers[1].content == b""


def test_an_answer_that_is_not_multipart_holds_no_answers() -> None:
    response = httpx.Response(200, headers={"content-type": "application/json"}, content=b"{}")
    assert google_batch.decode(response, 2) == [None, None]


def test_a_call_we_encode_reads_back_through_a_strict_parser() -> None:
    calls = [
        google_batch.Call("PATCH", "/calendar/v3/calendars/a%40b/events/x", "tok", {"summary": "Lift ✓"}),
        google_batch.Call("DELETE", "/calendar/v3/calendars/a%40b/events/y", "tok2", headers={"If-Match": '"3"'}),
    ]
    body = google_batch.encode(calls, BOUNDARY)
    head = f"Content-Type: multipart/mixed; boundary={BOUNDARY}\r\n\r\n".encode()
    parts = list(STRICT.parsebytes(head + body).iter_parts())
    assert [str(p["Content-ID"]) for p in parts] == ["<item0>", "<item1>"]
    first = parts[0].get_payload(decode=True)
    assert isinstance(first, bytes)
    assert first.startswith(b"PATCH /calendar/v3/calendars/a%40b/events/x HTTP/1.1\r\nAuthorization: Bearer tok\r\n")
    assert json.loads(first.partition(b"\r\n\r\n")[2]) == {"summary": "Lift ✓"}


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from([(200, "OK"), (404, "Not Found"), (409, "Conflict"), (503, "Unavailable")]), texts),
        min_size=1,
        max_size=50,
    ),
    st.randoms(use_true_random=False),
)
def test_decoding_agrees_with_the_strict_reading(calls: list[tuple[tuple[int, str], str]], rng: object) -> None:
    parts = [
        answer_part(
            f"response-item{i}",
            status,
            reason,
            {"Content-Type": "application/json; charset=UTF-8", "ETag": f'"{i}"', "Vary": "Origin"},
            event(i, text),
        )
        for i, ((status, reason), text) in enumerate(calls)
    ]
    rng.shuffle(parts)  # type: ignore[attr-defined]
    response = batch_answer(parts)
    strict = strict_reading(response)
    ours = google_batch.decode(response, len(calls))
    for i, answer in enumerate(ours):
        assert answer is not None
        status, headers, body = strict[f"<response-item{i}>"]
        assert answer.status_code == status
        assert answer.content == body
        # the strict reading re-quotes parameters (charset="UTF-8"); ours keeps the header as sent
        assert answer.headers["content-type"] == "application/json; charset=UTF-8"
        assert {k: v for k, v in answer.headers.items() if k not in ("content-length", "content-type")} == {
            k: v for k, v in headers.items() if k != "content-type"
        }
        assert answer.json()["summary"] == calls[i][1]


@pytest.mark.parametrize("status_line", [b"HTTP/1.1 abc", b"garbage", b""])
def test_a_part_without_a_status_line_gives_no_answer(status_line: bytes) -> None:
    raw = f"--{BOUNDARY}\r\nContent-Type: application/http\r\nContent-ID: <response-item0>\r\n\r\n".encode()
    response = batch_answer([raw + status_line + b"\r\n\r\n{}\r\n"])
    assert google_batch.decode(response, 1) == [None]
