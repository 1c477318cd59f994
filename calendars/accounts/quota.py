"""Pacing our calls to a provider's per-minute quotas, shared by every worker process through Redis.

Google counts calls per user and per project in sliding one-minute windows (600 and 10,000 by default) and
answers 403 userRateLimitExceeded / rateLimitExceeded beyond them. Backing off after such answers works
but wastes calls and stalls; instead every call reserves its place first (a generic cell rate algorithm
per bucket in Redis, one round trip for a whole batch) and waits until its place comes. A bucket paces at
70% of the quota with bursts of 25%, so no sliding minute ever sees more than 95% of it; the rest is
room for clocks and for requests in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping

from redis.asyncio import Redis

PACE = 0.70  # share of the per-minute quota used as the steady rate
BURST = 0.25  # share of the quota that may go at once after a quiet spell

# KEYS: buckets; ARGV: per bucket (interval in microseconds, burst tolerance in microseconds, calls).
# Returns how many microseconds to wait before sending. Times come from the Redis server's clock.
_RESERVE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local wait = 0
local due = {}
for i, key in ipairs(KEYS) do
  local interval = tonumber(ARGV[i * 3 - 2])
  local burst = tonumber(ARGV[i * 3 - 1])
  local calls = tonumber(ARGV[i * 3])
  local tat = tonumber(redis.call('GET', key) or now)
  if tat < now then tat = now end
  due[i] = tat + interval * calls
  local until_free = due[i] - burst - now
  if until_free > wait then wait = until_free end
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, string.format('%d', due[i]), 'PX', math.floor((due[i] - now) / 1000) + 60000)
end
return wait
"""


class QuotaPacer:
    """Reserve calls against a per-project bucket and one bucket per account."""

    def __init__(
        self, redis: Callable[[], Redis], name: str, per_user_per_minute: int, per_project_per_minute: int
    ) -> None:
        self.redis = redis
        self.name = name
        self.user = _bucket(per_user_per_minute)
        self.project = _bucket(per_project_per_minute)

    async def wait(self, calls_per_account: Mapping[str, int]) -> None:
        """Return when `calls_per_account` (account -> number of calls) may be sent."""
        total = sum(calls_per_account.values())
        if total <= 0:
            return
        keys = [f"rentcal:quota:{self.name}"]
        args: list[int] = [*self.project, total]
        for account, calls in calls_per_account.items():
            keys.append(f"rentcal:quota:{self.name}:{account}")
            args += [*self.user, calls]
        wait_us = int(await self.redis().eval(_RESERVE, len(keys), *keys, *args))  # type: ignore[misc]
        if wait_us > 0:
            await asyncio.sleep(wait_us / 1_000_000)


def _bucket(per_minute: int) -> tuple[int, int]:
    """(interval between calls, burst tolerance), in microseconds, for a quota of `per_minute` calls."""
    interval = int(60_000_000 / max(1.0, per_minute * PACE))
    return interval, int(interval * per_minute * BURST)
