"""SSRF guard for addresses people type in (imported feeds, and CalDAV servers later).

`GuardedTransport` resolves the host name once, refuses the request unless every address is a
public one, and then connects to exactly the address it checked, sending the original name as
the Host header and as TLS SNI (so certificates are verified against the name). A DNS answer
that changes between the check and the connection (DNS rebinding) therefore cannot redirect the
request. Each redirect hop goes through the transport again, so redirects are checked too.

It is on unless RENTCAL_ALLOW_PRIVATE_FETCH=1 (tests and demos with local servers).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable

import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class BlockedAddress(httpx.TransportError):
    """The host is on a private, loopback or otherwise non-public network, or cannot be resolved."""


def is_public(address: IPAddress) -> bool:
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return (mapped or address).is_global


async def public_address(host: str, port: int, allowed: Callable[[IPAddress], bool] = is_public) -> IPAddress:
    """The address to connect to for `host`: every address it resolves to must be `allowed` (public)."""
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise BlockedAddress(f"the host {host!r} could not be found (DNS)") from None
        addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not addresses:
        raise BlockedAddress(f"the host {host!r} could not be found (DNS)")
    for address in addresses:
        if not allowed(address):
            raise BlockedAddress(f"the host {host!r} is on a private network, which is not allowed")
    return addresses[0]


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that connects only to checked public addresses (see the module doc)."""

    def __init__(self, allowed: Callable[[IPAddress], bool] = is_public) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._allowed = allowed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        port = request.url.port or (443 if request.url.scheme == "https" else 80)
        address = await public_address(host, port, self._allowed)
        request.url = request.url.copy_with(host=str(address))
        request.extensions = {**request.extensions, "sni_hostname": host}
        # The Host header was set from the name when the request was built and stays as it is.
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def transport(allow_private: bool) -> httpx.AsyncBaseTransport:
    return httpx.AsyncHTTPTransport() if allow_private else GuardedTransport()
