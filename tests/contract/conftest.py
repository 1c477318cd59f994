"""Fixtures for the provider contract tests: the Google sandbox and a local webhook receiver."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.google_sandbox import google_sandbox  # noqa: F401


@dataclass
class Hit:
    path: str
    headers: dict[str, str]


@dataclass
class WebhookReceiver:
    """A tiny real HTTP server that records the notifications POSTed to it."""

    url: str
    hits: list[Hit] = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)

    def _wait(self, predicate_count: int, channel_id: str | None, timeout: float) -> list[Hit]:
        def matching() -> list[Hit]:
            return [h for h in self.hits if channel_id is None or h.headers.get("x-goog-channel-id") == channel_id]

        with self.cond:
            self.cond.wait_for(lambda: len(matching()) >= predicate_count, timeout)
            return matching()

    async def wait_for(self, count: int, *, channel_id: str | None = None, timeout: float = 10.0) -> list[Hit]:
        return await asyncio.to_thread(self._wait, count, channel_id, timeout)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    box: list[WebhookReceiver] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with box[0].cond:
                box[0].hits.append(Hit(self.path, {k.lower(): v for k, v in self.headers.items()}))
                box[0].cond.notify_all()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(WebhookReceiver(f"http://127.0.0.1:{server.server_address[1]}/hooks/google"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box[0]
    server.shutdown()
    server.server_close()
