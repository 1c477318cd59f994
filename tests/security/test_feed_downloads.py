"""Items 2 and 3: feed downloads are bounded in size and time, guarded against SSRF, and run in the worker."""

from __future__ import annotations

import gzip
import ipaddress
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from calendars import netguard
from calendars.feeds import fetch
from calendars.feeds import imports as feed_import
from calendars.ical import FeedError
from calendars.ical_tables import FeedImport
from tests.factories import make_staff, make_tenant
from tests.security.conftest import portal_client
from tests.support.worker import WorkerHandle

SECRET_BODY = b"internal-admin-token=hunter2 " * 4


class HostileServer:
    """Serves a gzip-twice bomb, a slow drip, a secret error page, and records the Host headers seen."""

    def __init__(self) -> None:
        self.hosts: list[str] = []
        owner = self
        bomb = gzip.compress(gzip.compress(b"\0" * (50 * 1024 * 1024), 9), 9)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.hosts.append(self.headers.get("Host", ""))
                if self.path == "/bomb.ics":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/calendar")
                    self.send_header("Content-Encoding", "gzip, gzip")
                    self.send_header("Content-Length", str(len(bomb)))
                    self.end_headers()
                    self.wfile.write(bomb)
                elif self.path == "/drip.ics":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/calendar")
                    self.end_headers()
                    try:
                        for _ in range(60):
                            self.wfile.write(b"B")
                            self.wfile.flush()
                            time.sleep(0.5)
                    except OSError:
                        pass
                else:
                    self.send_response(500, "secret reason phrase")
                    self.send_header("Content-Length", str(len(SECRET_BODY)))
                    self.end_headers()
                    self.wfile.write(SECRET_BODY)

            def log_message(self, *args: Any) -> None:
                pass

        self.bomb_size = len(bomb)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.httpd.server_address[1]}{path}"


@pytest.fixture(scope="module")
def hostile() -> Any:
    server = HostileServer()
    yield server
    server.httpd.shutdown()


async def test_a_gzip_twice_bomb_is_refused_without_inflating_it(hostile: HostileServer) -> None:
    assert hostile.bomb_size < 300_000
    with pytest.raises(FeedError, match="larger than the limit of 1,000,000 bytes once decompressed"):
        await fetch.fetch(hostile.url("/bomb.ics"), allow_private=True, max_bytes=1_000_000)


def test_each_compression_layer_is_bounded() -> None:
    data = b"BEGIN:VCALENDAR\r\n" * 1000
    assert fetch.decode_body(gzip.compress(gzip.compress(data)), "gzip, gzip", len(data)) == data
    with pytest.raises(FeedError, match="once decompressed"):
        fetch.decode_body(gzip.compress(gzip.compress(data)), "gzip, gzip", len(data) - 1)
    with pytest.raises(FeedError, match="unsupported compression"):
        fetch.decode_body(data, "br", len(data))


async def test_a_dripping_server_is_stopped_by_the_overall_deadline(hostile: HostileServer) -> None:
    # without the deadline the 30 s drip would end in a complete (if odd) feed, not in this error
    with pytest.raises(FeedError, match="did not send the feed within 2 seconds"):
        await fetch.fetch(hostile.url("/drip.ics"), allow_private=True, deadline=2)


async def test_errors_never_echo_what_the_remote_server_said(hostile: HostileServer) -> None:
    with pytest.raises(FeedError) as caught:
        await fetch.fetch(hostile.url("/secret"), allow_private=True)
    assert str(caught.value) == "The feed's server answered HTTP 500 Internal Server Error."
    assert "hunter2" not in str(caught.value) and "secret" not in str(caught.value)


async def test_the_ssrf_guard_is_on_by_default_and_checks_every_address(hostile: HostileServer) -> None:
    assert (fetch.fetch.__kwdefaults__ or {})["allow_private"] is False
    for host in ("127.0.0.1", "localhost", "[::1]"):
        with pytest.raises(FeedError, match="private network"):
            await fetch.fetch(hostile.url("/secret", host))
    for literal in ("10.0.0.1", "169.254.169.254", "::ffff:127.0.0.1", "192.168.1.1", "fd00::1"):
        with pytest.raises(netguard.BlockedAddress):
            await netguard.public_address(literal, 80)
    assert await netguard.public_address("93.184.215.14", 443) == ipaddress.ip_address("93.184.215.14")


async def test_the_guard_connects_to_the_address_it_checked_and_keeps_the_name(hostile: HostileServer) -> None:
    """No DNS rebinding: the name is resolved once, the connection goes to that address, and the
    server still sees the name (Host header; SNI for https). Loopback is allowed here only to
    have a real server to connect to."""
    resolved: list[str] = []

    def allowed(address: netguard.IPAddress) -> bool:
        resolved.append(str(address))
        return address.is_loopback

    transport = netguard.GuardedTransport(allowed=allowed)
    async with httpx.AsyncClient(transport=transport) as client:
        response = await client.get(hostile.url("/secret", "localhost"))
    assert response.status_code == 500
    assert hostile.hosts[-1] == f"localhost:{hostile.httpd.server_address[1]}"
    assert resolved and all(ipaddress.ip_address(a).is_loopback for a in resolved)
    assert str(response.request.url).startswith(("http://127.0.0.1:", "http://[::1]:"))


async def test_the_portal_starts_imports_in_the_worker_and_shows_the_result(
    live_server: str, hostile: HostileServer, worker_process: WorkerHandle
) -> None:
    tenant = await make_tenant()
    _, email = await make_staff(tenant, "manager")
    async with portal_client(live_server, email) as client:
        page = await client.post(
            "/portal/feeds/imports", data={"url": hostile.url("/drip.ics"), "name": "Drip", "scope": "company"}
        )
        assert page.status_code == 303 and page.headers["location"] == "/portal/feeds"  # POST-redirect-GET
        page = await client.get("/portal/feeds")
        assert page.status_code == 200 and "reading the feed in the background" in page.text
        feed = (
            await FeedImport.select(FeedImport.id, FeedImport.last_success_at, FeedImport.last_error)
            .where(FeedImport.company == tenant.id)
            .first()
        )
        assert feed is not None
        # the page answered while the 30 s drip is still being read: the import has neither succeeded nor failed
        assert feed["last_success_at"] is None and feed["last_error"] == ""
        feed_id = feed["id"]
        row = await client.get(f"/portal/feeds/imports/{feed_id}/row", params={"since": 0})
        assert row.status_code == 200 and f'data-import="{feed_id}"' in row.text


async def test_an_import_that_outlives_its_deadline_is_recorded_as_failed(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rentcal.settings import get_settings

    tenant = await make_tenant()
    staff_id, _email = await make_staff(tenant, "manager")
    from rental.accounts import staff_by_id

    staff = await staff_by_id(staff_id)
    assert staff is not None
    added = await feed_import.add_import(tenant, staff, "Drip", hostile.url("/drip.ics"), personal=False)
    monkeypatch.setenv("RENTCAL_FEED_IMPORT_DEADLINE_SECONDS", "2")
    get_settings.cache_clear()
    try:
        assert await feed_import.refresh(added.id) is False
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    view = await feed_import.get_import(tenant, staff, added.id)
    assert "within 2 seconds" in view.last_error or "longer than 2 seconds" in view.last_error
