"""Per-client fixed-window rate limit for the public paths, counted in Redis.

Redis keeps the count shared by all server processes; INCR is atomic, so concurrent requests
cannot slip past the limit (Litestar's RateLimitMiddleware reads and writes its store separately).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler
from redis.asyncio import Redis
from redis.exceptions import RedisError

from rentcal.settings import get_settings

log = logging.getLogger("rentcal.widget")
WINDOW_SECONDS = 60


class FixedWindowLimiter:
    def __init__(self, redis: Redis, limit: int, window: int = WINDOW_SECONDS, prefix: str = "rentcal:rl") -> None:
        self.redis = redis
        self.limit = limit
        self.window = window
        self.prefix = prefix

    async def hit(self, client: str, now: float | None = None) -> int | None:
        """Count one request; None when allowed, else the seconds until the window resets."""
        now = time.time() if now is None else now
        window_start = int(now // self.window) * self.window
        key = f"{self.prefix}:{client}:{window_start}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, self.window + 1)
            count, _ = await pipe.execute()
        if int(count) <= self.limit:
            return None
        return max(1, math.ceil(window_start + self.window - now))


_limiter: FixedWindowLimiter | None = None


def limiter() -> FixedWindowLimiter:
    global _limiter
    if _limiter is None:
        settings = get_settings()
        _limiter = FixedWindowLimiter(Redis.from_url(settings.redis_url), settings.public_rate_limit)
    return _limiter


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    # uvicorn runs with proxy_headers, so behind a trusted proxy this is the forwarded address.
    return connection.client.host if connection.client else "unknown"


async def rate_limit(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Guard for the public routers: 429 with Retry-After once a client exceeds the limit."""
    try:
        retry_after = await limiter().hit(client_address(connection))
    except RedisError:
        # Availability matters more than the limit: serve, and say so in the log.
        log.warning("rate limit skipped: Redis is unreachable", exc_info=True)
        return
    if retry_after is not None:
        raise TooManyRequestsException(
            detail=f"more than {limiter().limit} requests a minute from your address; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
