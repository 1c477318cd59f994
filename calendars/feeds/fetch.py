"""Downloading an external .ics feed: webcal:// as https://, redirects, deadline, size limits.

Errors are `FeedError`s with a message for people, and never contain the URL (secret iCal
addresses carry their credentials in the path) nor anything the remote server sent (no body,
no reason phrase: an internal server must not be readable through our error messages).

- SSRF: unless RENTCAL_ALLOW_PRIVATE_FETCH allows it, `calendars.netguard` refuses hosts on
  loopback, private or link-local networks, connects to the address it checked (no DNS
  rebinding) and checks every redirect hop.
- Compression bombs: the body is read compressed (at most `max_bytes`) and each
  Content-Encoding layer (gzip or deflate, however many) is decoded with an output bound of
  `max_bytes`; other encodings are refused.
- Slow servers: one deadline for the whole download, not only per read.
"""

from __future__ import annotations

import asyncio
import zlib
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlsplit, urlunsplit

import httpx

from calendars import netguard
from calendars.ical import FeedError
from calendars.ical.imports import DEFAULT_MAX_BYTES
from rental.errors import InvalidInput

TIMEOUT = httpx.Timeout(20.0, connect=10.0)
DEADLINE_SECONDS = 45.0
MAX_REDIRECTS = 5
HEADERS = {
    "User-Agent": "Rentcal feed import",
    "Accept": "text/calendar, text/plain;q=0.5, */*;q=0.1",
    "Accept-Encoding": "gzip, deflate",
}
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


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


def decode_body(raw: bytes, content_encoding: str, max_bytes: int) -> bytes:
    """Undo each Content-Encoding layer (last applied first), none growing past `max_bytes`."""
    body = raw
    layers = [e.strip().lower() for e in content_encoding.split(",") if e.strip()]
    for layer in reversed(layers):
        if layer == "identity":
            continue
        if layer not in _DECODERS:
            raise FeedError(f"The feed's server used the unsupported compression {layer[:20]!r}.")
        wbits = _DECODERS[layer]
        try:
            decoder = zlib.decompressobj(wbits)
            decoded = decoder.decompress(body, max_bytes + 1)
            if len(decoded) <= max_bytes and not decoder.unconsumed_tail:
                decoded += decoder.flush(max_bytes + 1 - len(decoded))
        except zlib.error:
            if layer != "deflate":
                raise FeedError("The feed's compressed data is damaged.") from None
            try:  # some servers send raw deflate without the zlib header
                decoder = zlib.decompressobj(-zlib.MAX_WBITS)
                decoded = decoder.decompress(body, max_bytes + 1)
            except zlib.error:
                raise FeedError("The feed's compressed data is damaged.") from None
        if len(decoded) > max_bytes or decoder.unconsumed_tail:
            raise FeedError(f"The feed is larger than the limit of {max_bytes:,} bytes once decompressed.")
        body = decoded
    return body


async def _download(
    url: str, headers: dict[str, str], allow_private: bool, max_bytes: int, etag: str, last_modified: str
) -> Fetched:
    async with (
        httpx.AsyncClient(
            timeout=TIMEOUT,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            transport=netguard.transport(allow_private),
        ) as client,
        client.stream("GET", normalize_url(url), headers=headers) as response,
    ):
        if response.status_code == 304:
            return Fetched(None, etag, last_modified)
        if response.status_code >= 400:
            raise FeedError(f"The feed's server answered HTTP {response.status_code} {_phrase(response.status_code)}.")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FeedError(f"The feed is {int(declared):,} bytes, more than the limit of {max_bytes:,} bytes.")
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_raw():  # still compressed: decoded below, with bounds
            size += len(chunk)
            if size > max_bytes:
                raise FeedError(f"The feed is larger than the limit of {max_bytes:,} bytes.")
            chunks.append(chunk)
        body = decode_body(b"".join(chunks), response.headers.get("content-encoding", ""), max_bytes)
        return Fetched(body, response.headers.get("etag", ""), response.headers.get("last-modified", ""))


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


async def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    allow_private: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    deadline: float = DEADLINE_SECONDS,
) -> Fetched:
    headers = dict(HEADERS)
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with asyncio.timeout(deadline):
            return await _download(url, headers, allow_private, max_bytes, etag, last_modified)
    except InvalidInput as exc:
        raise FeedError(exc.detail) from None
    except netguard.BlockedAddress as exc:
        raise FeedError(f"The feed's address is not allowed: {exc}.") from None
    except TimeoutError:
        raise FeedError(f"The feed's server did not send the feed within {deadline:g} seconds.") from None
    except httpx.TimeoutException:
        raise FeedError(f"The feed's server did not answer within {TIMEOUT.read:g} seconds.") from None
    except httpx.TooManyRedirects:
        raise FeedError(f"The feed address redirects more than {MAX_REDIRECTS} times.") from None
    except httpx.ConnectError:
        raise FeedError("The feed's server could not be reached (connection or TLS failure).") from None
    except httpx.HTTPError as exc:
        raise FeedError(f"The feed could not be downloaded ({type(exc).__name__}).") from None
