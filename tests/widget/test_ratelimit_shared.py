"""The in-process rate limiter shares its counts between processes through real Redis."""

from __future__ import annotations

import os
import uuid

from redis.asyncio import Redis

from widget.ratelimit import FixedWindowLimiter

NOW = 1_900_000_030.0  # 10 s into a 60 s window


async def test_each_process_counts_exactly_and_learns_the_others_counts_at_sync() -> None:
    redis = Redis.from_url(os.environ["REDIS_URL"])
    prefix = f"rentcal:rl:test:{uuid.uuid4().hex}"
    one, two = FixedWindowLimiter(redis, 5, prefix=prefix), FixedWindowLimiter(redis, 5, prefix=prefix)
    try:
        assert [one.hit("203.0.113.7", NOW) for _ in range(4)] == [None] * 4
        await one.sync()
        assert two.hit("203.0.113.7", NOW) is None  # the fifth request overall
        await two.sync()  # learns that process one admitted four
        assert two.hit("203.0.113.7", NOW) == 50  # retry after the window resets
        assert two.hit("203.0.113.8", NOW) is None  # another address has its own budget
        # process one learns of the others' requests at its next sync after it counted one itself,
        # so across processes the limit can be overrun by what one sync interval admits
        assert one.hit("203.0.113.7", NOW) is None
        await one.sync()
        assert one.hit("203.0.113.7", NOW) == 50
        # a new window starts from zero everywhere
        assert one.hit("203.0.113.7", NOW + 60) is None
    finally:
        one.stop()
        two.stop()
        keys = [key async for key in redis.scan_iter(f"{prefix}:*")]
        if keys:
            await redis.delete(*keys)
        await redis.aclose()


async def test_without_redis_each_process_enforces_the_limit_alone() -> None:
    alone = FixedWindowLimiter(None, 2)
    assert [alone.hit("203.0.113.9", NOW) for _ in range(3)] == [None, None, 50]
