"""Login throttle: failed logins counted in Redis per account and per client address.

A fixed window of WINDOW_SECONDS; once an account or an address has used up its failures, further
attempts are refused before the password is even checked, with a message saying when to retry.
"""

from __future__ import annotations

import hashlib
import math
import time

from redis.asyncio import Redis

from rental.errors import DomainError
from rentcal.settings import get_settings

WINDOW_SECONDS = 15 * 60
_redis: Redis | None = None


class TooManyAttempts(DomainError):
    status_code = 429
    title = "Too many login attempts"


def _client() -> Redis:
    global _redis
    if _redis is None:
        _redis = Redis.from_url(get_settings().redis_url)
    return _redis


def _keys(email: str, address: str, now: float) -> tuple[tuple[str, int], tuple[str, int]]:
    window = int(now // WINDOW_SECONDS)
    account = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    settings = get_settings()
    return (
        (f"rentcal:login:account:{account}:{window}", settings.login_attempts_per_account),
        (f"rentcal:login:address:{address}:{window}", settings.login_attempts_per_address),
    )


async def check(email: str, address: str, now: float | None = None) -> None:
    """TooManyAttempts when the account or the address has no attempts left in this window."""
    now = time.time() if now is None else now
    keys = _keys(email, address, now)
    counts = await _client().mget([key for key, _ in keys])
    retry = max(1, math.ceil((int(now // WINDOW_SECONDS) + 1) * WINDOW_SECONDS - now))
    minutes = math.ceil(retry / 60)
    for (_, limit), count, what in zip(keys, counts, ("this account", "your address"), strict=True):
        if count is not None and int(count) >= limit:
            raise TooManyAttempts(
                f"too many failed logins for {what}; try again in {minutes} minute{'s' if minutes != 1 else ''}",
                retry_after=retry,
            )


async def failed(email: str, address: str, now: float | None = None) -> None:
    now = time.time() if now is None else now
    async with _client().pipeline(transaction=True) as pipe:
        for key, _ in _keys(email, address, now):
            pipe.incr(key)
            pipe.expire(key, WINDOW_SECONDS + 1)
        await pipe.execute()
