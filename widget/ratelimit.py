"""Per-client fixed-window rate limit for the public paths, counted in this process.

A request costs a dictionary update, not a network round trip. The processes of one deployment still
share one budget approximately: each pushes its new counts to Redis (INCRBY on the same
per-client, per-window key) every `SYNC_SECONDS` and learns the others' counts from the totals it gets
back, so a client spreading requests over N processes gets at most the limit plus what the other
processes admitted during one sync interval. Within one process the limit is exact. If Redis is
unreachable each process enforces the limit alone (at most N times the limit across N processes).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time

from litestar.exceptions import TooManyRequestsException
from litestar.types import ASGIApp, Receive, Scope, Send
from redis.asyncio import Redis
from redis.exceptions import RedisError

from rentcal.settings import get_settings
from widget.http import CORS_HEADERS

log = logging.getLogger("rentcal.widget")
WINDOW_SECONDS = 60
SYNC_SECONDS = 0.5
COUNTED = "rentcal_rate_counted"  # scope key: widget.fastpath already counted this request
MAX_CLIENTS = 100_000  # per window and process: beyond this, a new address is counted from zero


class FixedWindowLimiter:
    def __init__(
        self, redis: Redis | None, limit: int, window: int = WINDOW_SECONDS, prefix: str = "rentcal:rl"
    ) -> None:
        self.redis = redis
        self.limit = limit
        self.window = window
        self.prefix = prefix
        self.window_start = 0
        self.mine: dict[str, int] = {}  # this process's count per client in the current window
        self.others: dict[str, int] = {}  # the other processes' count, as of the last sync
        self.unsent: dict[str, int] = {}
        self._syncing: asyncio.Task[None] | None = None

    def _roll(self, now: float) -> int:
        window_start = int(now // self.window) * self.window
        if window_start != self.window_start:
            self.window_start = window_start
            self.mine, self.others, self.unsent = {}, {}, {}
        return window_start

    def hit(self, client: str, now: float | None = None) -> int | None:
        """Count one request; None when allowed, else the seconds until the window resets."""
        now = time.time() if now is None else now
        window_start = self._roll(now)
        if client not in self.mine and len(self.mine) >= MAX_CLIENTS:
            self.mine.clear()
        count = self.mine.get(client, 0) + 1
        self.mine[client] = count
        self.unsent[client] = self.unsent.get(client, 0) + 1
        self._schedule_sync()
        if count + self.others.get(client, 0) <= self.limit:
            return None
        return max(1, math.ceil(window_start + self.window - now))

    def retry_after(self, client: str, now: float | None = None) -> int | None:
        """Like hit, for a request that was counted already."""
        now = time.time() if now is None else now
        window_start = self._roll(now)
        if self.mine.get(client, 0) + self.others.get(client, 0) <= self.limit:
            return None
        return max(1, math.ceil(window_start + self.window - now))

    def _schedule_sync(self) -> None:
        if self.redis is None or (self._syncing is not None and not self._syncing.done()):
            return
        try:
            self._syncing = asyncio.get_running_loop().create_task(self._sync_later())
        except RuntimeError:  # no loop (a synchronous caller): nothing to share
            return

    async def _sync_later(self) -> None:
        await asyncio.sleep(SYNC_SECONDS)
        try:
            await self.sync()
        except RedisError:
            log.warning("rate limit counts not shared: Redis is unreachable", exc_info=True)

    def stop(self) -> None:
        """Cancel a pending sync (counts not yet shared stay local)."""
        if self._syncing is not None:
            self._syncing.cancel()

    async def sync(self) -> None:
        """Push this process's new counts and learn the other processes' counts."""
        if self.redis is None or not self.unsent:
            return
        window_start, sent = self.window_start, self.unsent
        self.unsent = {}
        clients = list(sent)
        async with self.redis.pipeline(transaction=False) as pipe:
            for client in clients:
                key = f"{self.prefix}:{client}:{window_start}"
                pipe.incrby(key, sent[client])
                pipe.expire(key, self.window + 1)
            results = await pipe.execute()
        if window_start != self.window_start:
            return
        for client, total in zip(clients, results[::2], strict=True):
            self.others[client] = max(0, int(total) - self.mine.get(client, 0) + self.unsent.get(client, 0))


_limiter: FixedWindowLimiter | None = None


def limiter() -> FixedWindowLimiter:
    global _limiter
    if _limiter is None:
        settings = get_settings()
        _limiter = FixedWindowLimiter(Redis.from_url(settings.redis_url), settings.public_rate_limit)
    return _limiter


def rate_limit(app: ASGIApp) -> ASGIApp:
    """Middleware for the public routers: 429 with Retry-After once a client exceeds the limit.

    A middleware rather than a guard: Litestar copies the route handler for every guard it runs,
    which costs more than the whole cached answer. uvicorn runs with proxy_headers behind trusted
    proxies, so the client in the scope is then the forwarded address.
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        address = client[0] if client else "unknown"
        retry_after = limiter().retry_after(address) if scope.get(COUNTED) else limiter().hit(address)
        if retry_after is not None:
            raise TooManyRequestsException(
                detail=f"more than {limiter().limit} requests a minute from your address; retry in {retry_after} s",
                # raised outside the route's CORS middleware: the problem answer carries CORS itself
                headers={"Retry-After": str(retry_after), **CORS_HEADERS},
            )
        await app(scope, receive, send)

    return middleware
