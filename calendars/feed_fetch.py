"""Downloading an external .ics feed: webcal:// as https://, redirects, timeout, size limit.

Errors are `FeedError`s with a message for people, and never contain the URL: secret iCal
addresses carry their credentials in the path. Unless RENTCAL_FEED_IMPORT_PRIVATE allows it
(the default outside production), addresses that resolve to loopback, private or link-local
networks are refused, also after a redirect.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from calendars.ical import FeedError
from calendars.ical.imports import DEFAULT_MAX_BYTES
from rental.errors import InvalidInput

TIMEOUT = httpx.Timeout(20.0, connect=10.0)
MAX_REDIRECTS = 5
HEADERS = {"User-Agent": "Rentcal feed import", "Accept": "text/calendar, text/plain;q=0.5, */*;q=0.1"}


@dataclass(frozen=True)
class Fetched:
    body: bytes | None  # None: not modified since the given ETag / Last-Modified
    etag: str
    last_modified: str


def normalize_url(url: str) -> str:
    """https:// for webcal:// and webcals://; only http(s) with a host name is accepted."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme in ("webcal", "webcals"):
        parts = parts._replace(scheme="https")
    elif scheme not in ("http", "https"):
        raise InvalidInput("the feed address must start with https://, http:// or webcal://")
    if not parts.hostname:
        raise InvalidInput("the feed address has no host name")
    return urlunsplit(parts)


def display_url(url: str) -> str:
    """What the portal shows: scheme and host only (the path may be a secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}/…"


async def _refuse_private(request: httpx.Request) -> None:
    host = request.url.host
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, request.url.port or 443, type=socket.SOCK_STREAM)
    except OSError:
        raise FeedError(f"The feed's host {host!r} could not be found (DNS).") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FeedError(f"The feed's host {host!r} is on a private network, which is not allowed.")


async def fetch(url: str, *, etag: str = "", last_modified: str = "", allow_private: bool = False,
                max_bytes: int = DEFAULT_MAX_BYTES) -> Fetched:
    headers = dict(HEADERS)
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    hooks = {} if allow_private else {"request": [_refuse_private]}
    try:
        async with (
            httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=True, max_redirects=MAX_REDIRECTS,
                              event_hooks=hooks) as client,
            client.stream("GET", normalize_url(url), headers=headers) as response,
        ):
            if response.status_code == 304:
                return Fetched(None, etag, last_modified)
            if response.status_code >= 400:
                raise FeedError(f"The feed's server answered HTTP {response.status_code} {response.reason_phrase}.")
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise FeedError(f"The feed is {int(declared):,} bytes, more than the limit of {max_bytes:,} bytes.")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FeedError(f"The feed is larger than the limit of {max_bytes:,} bytes.")
                chunks.append(chunk)
            return Fetched(b"".join(chunks), response.headers.get("etag", ""),
                           response.headers.get("last-modified", ""))
    except InvalidInput as exc:
        raise FeedError(exc.detail) from None
    except httpx.TimeoutException:
        raise FeedError(f"The feed's server did not answer within {TIMEOUT.read:g} seconds.") from None
    except httpx.TooManyRedirects:
        raise FeedError(f"The feed address redirects more than {MAX_REDIRECTS} times.") from None
    except httpx.ConnectError:
        raise FeedError("The feed's server could not be reached (connection or TLS failure).") from None
    except httpx.HTTPError as exc:
        raise FeedError(f"The feed could not be downloaded ({type(exc).__name__}).") from None
