"""A thin fault-injecting HTTP proxy in front of a CalDAV server (Radicale), over real HTTP.

It listens on two addresses that share one upstream, like Apple's ``caldav.icloud.com`` (the *front*)
and the per-user ``pNN-caldav.icloud.com`` host an account lives on (the *host*). The server always
does the real work; the proxy only changes what the client hears, the way iCloud differs from Radicale:

* ``per_user_host``: the front answers discovery only (``/.well-known/caldav`` is a 301 to ``/``), names
  the calendar home as an absolute URL on the host with an explicit port (``https://p37-caldav.icloud.com:443
  /123/calendars/``), and sends every other request there with a 301;
* ``weak_etags``: ETag headers and ``getetag`` values in weak form (``W/"..."``); the weak tags the client
  sends back in If-Match are accepted (passed on without ``W/``);
* ``no_sync``: collections whose path contains one of these parts refuse REPORT sync-collection with
  ``no_sync_status`` (403 or 501) while still naming a sync token in PROPFIND;
* ``read_only``: collections whose path contains one of these parts are shared read-only: the privilege
  set says only read, and PUT and DELETE answer 403.

``faults`` adds random failures to a share of the requests (503, 429 with Retry-After, a connection
dropped before the server saw the request, a reply lost after it did the work, a 412 after a write that
went through, as when a retried write of ours raced the first one).
"""

from __future__ import annotations

import contextlib
import random
import threading
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urljoin, urlsplit

import httpx
from defusedxml import ElementTree as SafeET

from calendars.providers import caldav_xml as dav

FAULT_KINDS = ("503", "429", "drop", "lost", "race412")
HOP_HEADERS = frozenset(
    {"host", "content-length", "connection", "keep-alive", "transfer-encoding", "accept-encoding", "content-encoding"}
)
READ_PRIVILEGES = ("read", "read-current-user-privilege-set")


@dataclass
class Quirks:
    per_user_host: bool = False
    weak_etags: bool = False
    no_sync: tuple[str, ...] = ()
    no_sync_status: int = 403
    read_only: tuple[str, ...] = ()


@dataclass
class Faults:
    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    retry_after: int = 1
    seed: int = 1


@dataclass
class Seen:
    listener: str  # "front" | "host"
    method: str
    path: str
    status: int | None  # None: the connection was dropped


@dataclass
class DavProxy:
    upstream: str
    quirks: Quirks = field(default_factory=Quirks)
    faults: Faults = field(default_factory=Faults)
    front_url: str = ""
    host_url: str = ""
    seen: list[Seen] = field(default_factory=list)
    injected: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _random: random.Random = field(default_factory=random.Random)

    def set_faults(self, faults: Faults) -> None:
        with self._lock:
            self.faults = faults
            self._random = random.Random(faults.seed)

    def next_fault(self, method: str, headers: dict[str, str]) -> str | None:
        with self._lock:
            if self.faults.rate <= 0 or self._random.random() >= self.faults.rate:
                return None
            kinds = [k for k in self.faults.kinds if k != "race412" or (method == "PUT" and _conditional(headers))]
            kind = self._random.choice(kinds) if kinds else None
            if kind:
                self.injected[kind] += 1
            return kind

    def record(self, listener: str, method: str, path: str, status: int | None) -> None:
        with self._lock:
            self.seen.append(Seen(listener, method, path, status))


def _conditional(headers: dict[str, str]) -> bool:
    return "if-match" in headers or "if-none-match" in headers


def _matches(path: str, parts: tuple[str, ...]) -> bool:
    return any(part in path for part in parts)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real server
    proxy: DavProxy
    listener: str
    client: httpx.Client

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        path = self.path
        quirks = self.proxy.quirks
        if self.listener == "front" and quirks.per_user_host:
            if urlsplit(path).path.rstrip("/") == "/.well-known/caldav":
                return self._answer(301, {"Location": "/"})
            if self.command != "PROPFIND":
                return self._answer(301, {"Location": urljoin(self.proxy.host_url, path)})
        fault = self.proxy.next_fault(self.command, headers)
        if fault in ("503", "429"):
            return self._answer(int(fault), {"Retry-After": str(self.proxy.faults.retry_after)})
        if fault == "drop":
            return self._drop()
        if self.command == "REPORT" and _matches(path, quirks.no_sync) and b"sync-collection" in body:
            return self._answer(quirks.no_sync_status, {"Content-Type": "text/plain"}, b"sync-collection not supported")
        if self.command in ("PUT", "DELETE") and _matches(path, quirks.read_only):
            return self._answer(403, {"Content-Type": "text/plain"}, b"read-only calendar")
        if quirks.weak_etags and "if-match" in headers:
            headers["if-match"] = headers["if-match"].removeprefix("W/")
        forwarded = {k: v for k, v in headers.items() if k not in HOP_HEADERS}
        response = self.client.request(self.command, self.proxy.upstream + path, content=body, headers=forwarded)
        if fault == "lost":
            return self._drop()
        if fault == "race412" and response.is_success:
            return self._answer(412, {"Content-Type": "text/plain"}, b"precondition failed")
        out_headers = {k: v for k, v in response.headers.items() if k.lower() not in HOP_HEADERS}
        content = response.content
        if quirks.weak_etags and "etag" in response.headers:
            out_headers = {k: v for k, v in out_headers.items() if k.lower() != "etag"}
            out_headers["ETag"] = _weak(response.headers["etag"])
        if response.status_code == 207:
            content = self._rewrite(content)
        self._answer(response.status_code, out_headers, content)

    def _rewrite(self, content: bytes) -> bytes:
        quirks = self.proxy.quirks
        root = SafeET.fromstring(content)
        for response in root.iter(dav.q(dav.DAV, "response")):
            href = response.findtext(dav.q(dav.DAV, "href"), default="")
            for prop in response.iter(dav.q(dav.DAV, "prop")):
                for element in prop:
                    if element.tag == dav.GETETAG and quirks.weak_etags and element.text:
                        element.text = _weak(element.text)
                    elif element.tag == dav.CALENDAR_HOME_SET and quirks.per_user_host:
                        for home in element.iter(dav.q(dav.DAV, "href")):
                            home.text = _explicit_port(urljoin(self.proxy.host_url, home.text or "/"))
                    elif element.tag == dav.CURRENT_USER_PRIVILEGE_SET and _matches(href, quirks.read_only):
                        for child in list(element):
                            element.remove(child)
                        for name in READ_PRIVILEGES:
                            privilege = ET.SubElement(element, dav.q(dav.DAV, "privilege"))
                            ET.SubElement(privilege, dav.q(dav.DAV, name))
        return b'<?xml version="1.0" encoding="utf-8"?>\n' + bytes(ET.tostring(root, encoding="utf-8"))

    def _answer(self, status: int, headers: dict[str, str], content: bytes = b"") -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(content)
        self.proxy.record(self.listener, self.command, urlsplit(self.path).path, status)

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(2)
        self.proxy.record(self.listener, self.command, urlsplit(self.path).path, None)

    do_GET = do_HEAD = do_PUT = do_DELETE = do_POST = do_OPTIONS = _handle
    do_PROPFIND = do_PROPPATCH = do_REPORT = do_MKCALENDAR = do_MKCOL = _handle

    def log_message(self, format: str, *args: object) -> None:
        return


def _weak(etag: str) -> str:
    return etag if etag.startswith("W/") else "W/" + etag


def _explicit_port(url: str) -> str:
    """iCloud writes the port even when it is the scheme's default: ``https://p37-caldav.icloud.com:443/``."""
    parts = urlsplit(url)
    if parts.port is not None:
        return url
    port = 443 if parts.scheme == "https" else 80
    return parts._replace(netloc=f"{parts.hostname}:{port}").geturl()


@contextlib.contextmanager
def run_dav_proxy(upstream: str, quirks: Quirks | None = None, faults: Faults | None = None) -> Iterator[DavProxy]:
    """Start the two listeners (front and per-user host) in threads; yield the proxy; stop them."""
    proxy = DavProxy(upstream.rstrip("/"), quirks or Quirks())
    proxy.set_faults(faults or Faults())
    servers: list[ThreadingHTTPServer] = []
    with httpx.Client(timeout=30, limits=httpx.Limits(max_connections=32)) as client:
        for listener in ("front", "host"):
            handler = type("Handler", (_Handler,), {"proxy": proxy, "listener": listener, "client": client})
            server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers.append(server)
            setattr(proxy, f"{listener}_url", f"http://127.0.0.1:{server.server_address[1]}")
        try:
            yield proxy
        finally:
            for server in servers:
                server.shutdown()
                server.server_close()
