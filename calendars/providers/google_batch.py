"""Google's batch wire format (https://developers.google.com/calendar/api/guides/batch).

Many API calls travel in one ``multipart/mixed`` request to the API's ``batchPath`` (``/batch/calendar/v3``);
each part is ``application/http`` holding one request with a path-only URL and its own headers (its own
``Authorization``, so calls for different accounts share a batch). The answer holds one ``application/http``
part per call with its own status, matched to the call by ``Content-ID``. Each call still counts against the
quotas on its own. Nothing here knows our event model; `google.py` builds the calls and reads the answers.
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
import http.client
import io
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

MAX_CALLS = 50  # Google allows up to 1000 but advises against batches of more than 50 calls
# compat32 rather than policy.HTTP: the modern policy's header objects cost ten times as much per part, and
# the parts' headers are plain ASCII that needs none of what it adds.
_PARSER = email.parser.BytesParser(policy=email.policy.compat32)


@dataclass(frozen=True)
class Call:
    method: str
    path: str  # path-only URL, e.g. /calendar/v3/calendars/a%40b/events
    token: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    params: Mapping[str, str] = field(default_factory=dict)


def batch_url(api_base: str) -> tuple[str, str]:
    """(the batch endpoint, the API's path prefix) for an API base such as https://www.googleapis.com/calendar/v3."""
    parts = urlsplit(api_base.rstrip("/"))
    return urlunsplit(parts._replace(path="/batch" + parts.path)), parts.path


def encode(calls: Sequence[Call], boundary: str) -> bytes:
    chunks = []
    for index, call in enumerate(calls):
        target = call.path + (("?" + urlencode(call.params)) if call.params else "")
        lines = [f"{call.method} {target} HTTP/1.1", f"Authorization: Bearer {call.token}"]
        lines += [f"{name}: {value}" for name, value in call.headers.items()]
        payload = b""
        if call.body is not None:
            payload = json.dumps(call.body, separators=(",", ":")).encode()
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        head = f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: <item{index}>\r\n\r\n"
        chunks.append(head.encode() + "\r\n".join(lines).encode("latin-1") + b"\r\n\r\n" + payload + b"\r\n")
    return b"".join(chunks) + f"--{boundary}--\r\n".encode()


def decode(response: httpx.Response, count: int) -> list[httpx.Response | None]:
    """The answer of each call, in call order (None where the batch answer holds none for it)."""
    content_type = response.headers.get("content-type", "")
    outer = _PARSER.parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + response.content)
    answers: list[httpx.Response | None] = [None] * count
    if not outer.is_multipart():
        return answers
    parts = outer.get_payload()
    assert isinstance(parts, list)
    for position, part in enumerate(parts):
        index = _index(str(part.get("Content-ID", "")), position)
        if 0 <= index < count:
            answers[index] = _response(_payload(part))
    return answers


def _index(content_id: str, position: int) -> int:
    """`<response-item3>` -> 3 (parts should come in order, but the Content-ID is what ties them)."""
    name = content_id.strip().strip("<>")
    digits = name.removeprefix("response-item")
    return int(digits) if digits.isdigit() else position


def _payload(message: email.message.Message) -> bytes:
    data = message.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _response(raw: bytes) -> httpx.Response | None:
    status_line, _, rest = raw.lstrip(b"\r\n").partition(b"\n")
    words = status_line.decode("latin-1").split()
    if len(words) < 2 or not words[1].isdigit():
        return None
    stream = io.BytesIO(rest)
    message = http.client.parse_headers(stream)
    headers = [(name, value) for name, value in message.items() if name.lower() != "content-length"]
    return httpx.Response(int(words[1]), headers=headers, content=stream.read())


async def exchange(client: httpx.AsyncClient, api_base: str, calls: Sequence[Call]) -> list[httpx.Response | None]:
    """Send up to MAX_CALLS calls in one batch request; raises httpx errors for the request as a whole."""
    if len(calls) > MAX_CALLS:
        raise ValueError(f"a batch holds at most {MAX_CALLS} calls")
    url, _ = batch_url(api_base)
    boundary = "batch_" + secrets.token_hex(12)
    response = await client.post(
        url,
        content=encode(calls, boundary),
        headers={"Content-Type": f"multipart/mixed; boundary={boundary}", "Accept": "multipart/mixed"},
    )
    response.raise_for_status()
    return decode(response, len(calls))
