"""Fixtures for the Google sandbox tests: the subprocess, fresh accounts and a webhook receiver."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.support.google_sandbox import google_sandbox  # noqa: F401


@dataclass
class Account:
    email: str
    token: str
    refresh_token: str
    client: httpx.Client

    @property
    def calendar(self) -> str:
        return f"/calendar/v3/calendars/{self.email}"


@pytest.fixture
def sandbox_http(google_sandbox: str) -> Iterator[httpx.Client]:  # noqa: F811
    with httpx.Client(base_url=google_sandbox, timeout=10) as client:
        yield client


@pytest.fixture
def account(google_sandbox: str, sandbox_http: httpx.Client) -> Iterator[Account]:  # noqa: F811
    """A brand-new Google account with an access token (issued via the admin shortcut)."""
    email = f"user-{uuid.uuid4().hex[:10]}@gmail.test"
    issued = sandbox_http.post("/_sandbox/tokens", json={"email": email}).json()
    headers = {"Authorization": f"Bearer {issued['access_token']}"}
    with httpx.Client(base_url=google_sandbox, headers=headers, timeout=10) as client:
        yield Account(email, issued["access_token"], issued["refresh_token"], client)


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    hits: list[Hit] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Hit]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.hits) >= count, timeout)
            return list(self.hits)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A tiny real HTTP server that records web_hook notifications."""
    box: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            hit = Hit(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with box[0].cond:
                box[0].hits.append(hit)
                box[0].cond.notify_all()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(Receiver(f"http://127.0.0.1:{server.server_address[1]}/hooks/google"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box[0]
    server.shutdown()
    server.server_close()
