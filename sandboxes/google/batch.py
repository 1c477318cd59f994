"""The batch endpoint, ``POST /batch/calendar/v3``, as Google documents it
(https://developers.google.com/calendar/api/guides/batch).

The body is ``multipart/mixed``; each part is ``Content-Type: application/http`` holding one HTTP request with
a path-only URL. The outer request's headers (except ``Content-*``) apply to every part unless the part sets
the same header (a part's ``Authorization`` applies to that call only). Each call is then served as if it had
arrived on its own: through the same routes and the same middleware, so it counts against the per-user quota
and may meet an injected fault, each with its own status. The answer is ``multipart/mixed`` with one
``application/http`` part per call, in order, its ``Content-ID`` being ``response-`` plus the call's.
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
import http.client
import io
import json
import secrets
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response, post
from litestar.types import Message

from .errors import GoogleError, bad_request

BATCH_PATH = "/batch/calendar/v3"
API_PREFIX = "/calendar/v3/"
MAX_CALLS = 1000  # "You're limited to 1000 calls in a single batch request."
# compat32: the modern policy's header objects cost ten times as much per part and add nothing for HTTP headers
_PARSER = email.parser.BytesParser(policy=email.policy.compat32)
_REASONS = {200: "OK", 204: "No Content", 304: "Not Modified", 400: "Bad Request", 401: "Unauthorized"}


class Call:
    """One inner request: method, path-only target, its own headers and body."""

    def __init__(self, content_id: str, method: str, target: str, headers: list[tuple[str, str]], body: bytes):
        self.content_id = content_id
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body


def parse_calls(content_type: str, body: bytes) -> list[Call]:
    outer = _PARSER.parsebytes(b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    if not outer.is_multipart() or outer.get_content_type() != "multipart/mixed":
        raise bad_request("A batch request must be multipart/mixed.", reason="badContent")
    calls = []
    parts = outer.get_payload()
    assert isinstance(parts, list)
    for part in parts:
        if not isinstance(part, email.message.Message) or part.get_content_type() != "application/http":
            raise bad_request("Each part of a batch request must be application/http.", reason="badContent")
        calls.append(_call(str(part.get("Content-ID", "")), _payload(part)))
    return calls


def _payload(message: email.message.Message) -> bytes:
    data = message.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _call(content_id: str, raw: bytes) -> Call:
    request_line, _, rest = raw.lstrip(b"\r\n").partition(b"\n")
    words = request_line.decode("latin-1").strip().split()
    if len(words) not in (2, 3):
        raise bad_request("A part of the batch request has no request line.", reason="badContent")
    stream = io.BytesIO(rest)
    message = http.client.parse_headers(stream)
    headers = [(name, value) for name, value in message.items()]
    return Call(content_id, words[0].upper(), words[1], headers, stream.read().rstrip(b"\r\n"))


def _merged_headers(outer: Request[Any, Any, Any], call: Call) -> list[tuple[bytes, bytes]]:
    own = {name.lower() for name, _ in call.headers}
    merged = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in outer.headers.items()
        if not name.lower().startswith("content-") and name.lower() not in own and name.lower() != "host"
    ]
    merged += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in call.headers]
    if call.body and "content-length" not in own:
        merged.append((b"content-length", str(len(call.body)).encode()))
    return merged


async def _serve(request: Request[Any, Any, Any], call: Call) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    url = urlsplit(call.target)
    if url.scheme or url.netloc or not url.path.startswith(API_PREFIX):
        error = bad_request("Each call of a batch must have a path-only URL of the Calendar API.")
        return error.code, [(b"content-type", b"application/json; charset=UTF-8")], _json(error)
    scope: Any = {
        **{k: v for k, v in request.scope.items() if k in ("asgi", "http_version", "scheme", "server", "client")},
        "type": "http",
        "method": call.method,
        "path": url.path,
        "raw_path": url.path.encode(),
        "root_path": "",
        "query_string": url.query.encode(),
        "headers": _merged_headers(request, call),
    }
    sent = False

    async def receive() -> Any:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": call.body, "more_body": False}

    answer: dict[str, Any] = {"status": 500, "headers": [], "body": b""}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer["status"], answer["headers"] = message["status"], list(message.get("headers") or [])
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    await request.app(scope, receive, send)
    return answer["status"], answer["headers"], answer["body"]


def _json(error: GoogleError) -> bytes:
    return json.dumps(error.body()).encode()


def _part(call: Call, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    content_id = call.content_id.strip()
    response_id = f"<response-{content_id[1:]}" if content_id.startswith("<") else f"response-{content_id}"
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, '')}".rstrip()]
    lines += [
        f"{name.decode('latin-1').title()}: {value.decode('latin-1')}"
        for name, value in headers
        if name.lower() != b"content-length"
    ]
    lines.append(f"Content-Length: {len(body)}")
    head = "Content-Type: application/http\r\n" + (f"Content-ID: {response_id}\r\n" if content_id else "")
    return (head + "\r\n" + "\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


@post(BATCH_PATH, opt={"google_method": "batch"})
async def batch(request: Request[Any, Any, Any]) -> Response[Any]:
    calls = parse_calls(request.headers.get("content-type", ""), await request.body())
    if not calls:
        raise bad_request("A batch request needs at least one call.", reason="badContent")
    if len(calls) > MAX_CALLS:
        raise bad_request(f"A batch request can hold at most {MAX_CALLS} calls.", reason="batchSizeTooLarge")
    boundary = "batch_" + secrets.token_urlsafe(12)
    chunks = []
    for call in calls:
        status, headers, body = await _serve(request, call)
        chunks.append(b"--" + boundary.encode() + b"\r\n" + _part(call, status, headers, body) + b"\r\n")
    payload = b"".join(chunks) + b"--" + boundary.encode() + b"--\r\n"
    return Response(content=payload, status_code=200, media_type=f"multipart/mixed; boundary={boundary}")


ROUTES = [batch]
