"""Locks and read scheduling across all workers, in Redis.

Redis rather than the database: a lock holds no connection while a provider is called, and domain
changes made under it (moving a booking) commit on their own. Locks expire so a crashed worker
cannot block an event for long, and are extended while their holder is alive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import LockError

from calendars.providers.base import RetryableError
from rentcal.settings import get_settings

log = logging.getLogger("rentcal.sync")
LOCK_SECONDS = 30
# Notifications arriving within this window share one read (Google notifies each of our own writes).
READ_DEBOUNCE_SECONDS = 2.0

_redis_clients: dict[int, Redis] = {}


def redis() -> Redis:
    loop_id = id(asyncio.get_running_loop())
    if loop_id not in _redis_clients:
        _redis_clients[loop_id] = Redis.from_url(get_settings().redis_url)
    return _redis_clients[loop_id]


class HeldLock:
    """A Redis lock that its holder keeps extending, so long work (a full push) stays exclusive."""

    def __init__(self, name: str, *, wait: float | None = LOCK_SECONDS + 5) -> None:
        self.lock = redis().lock(name, timeout=LOCK_SECONDS, blocking_timeout=wait)
        self._keeper: asyncio.Task[None] | None = None

    async def acquire(self, *, blocking: bool = True) -> bool:
        if not await self.lock.acquire(blocking=blocking):
            return False
        self._keeper = asyncio.create_task(self._keep())
        return True

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(LOCK_SECONDS / 3)
            try:
                await self.lock.reacquire()
            except LockError:
                log.warning("sync lock %s was lost", self.lock.name)
                return

    async def release(self) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        try:
            await self.lock.release()
        except LockError:
            log.warning("sync lock %s expired before release", self.lock.name)

    async def __aenter__(self) -> HeldLock:
        if not await self.acquire():
            raise RetryableError("another worker holds this calendar for too long")
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.release()


_EXTEND = """
local kept = 0
for _, name in ipairs(KEYS) do
  if redis.call('get', name) == ARGV[1] then redis.call('pexpire', name, ARGV[2]); kept = kept + 1 end
end
return kept
"""
_RELEASE = """
for _, name in ipairs(KEYS) do
  if redis.call('get', name) == ARGV[1] then redis.call('del', name) end
end
return 1
"""


class ItemLocks:
    """Many item locks (the same names as `item_lock`) taken in one round trip: those free now are held,
    kept alive together and released in one round trip; the caller handles the others one by one."""

    def __init__(self, pairs: list[tuple[int, str]]) -> None:
        self.names = {pair: item_lock_name(*pair) for pair in pairs}
        self.token = secrets.token_hex(16)
        self.held: set[tuple[int, str]] = set()
        self._keeper: asyncio.Task[None] | None = None

    async def __aenter__(self) -> ItemLocks:
        if self.names:
            pipe = redis().pipeline(transaction=False)
            for name in self.names.values():
                pipe.set(name, self.token, nx=True, px=LOCK_SECONDS * 1000)
            taken = await pipe.execute()
            self.held = {pair for pair, ok in zip(self.names, taken, strict=True) if ok}
        if self.held:
            self._keeper = asyncio.create_task(self._keep())
        return self

    def _held_names(self) -> list[str]:
        return [self.names[pair] for pair in self.held]

    async def _keep(self) -> None:
        while True:
            await asyncio.sleep(LOCK_SECONDS / 3)
            names = self._held_names()
            kept = await redis().eval(_EXTEND, len(names), *names, self.token, LOCK_SECONDS * 1000)  # type: ignore[misc]
            if kept < len(names):
                log.warning("%d of %d sync locks were lost", len(names) - kept, len(names))

    async def __aexit__(self, *exc: object) -> None:
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        names = self._held_names()
        if names:
            await redis().eval(_RELEASE, len(names), *names, self.token)  # type: ignore[misc]


def item_lock_name(target_id: int, key: str) -> str:
    return f"rentcal:sync-lock:{target_id}:{key}"


def item_lock(target_id: int, key: str) -> HeldLock:
    """One writer per (calendar, item) at a time."""
    return HeldLock(item_lock_name(target_id, key))


def calendar_lock(target_id: int, *, wait: float | None = LOCK_SECONDS + 5) -> HeldLock:
    """One reader (or full push) per calendar at a time."""
    return HeldLock(f"rentcal:sync-lock:{target_id}:inbound", wait=wait)


def _pending(target_id: int) -> str:
    return f"rentcal:inbound-pending:{target_id}"


async def coalesced(target_id: int, work: Callable[[], Awaitable[None]]) -> None:
    """Run `work` (a read of one calendar) now, or leave it to whoever holds the calendar.

    A read asked for while another read or a full push holds the calendar is not queued behind it:
    the holder reads once more after it lets go. Many notifications thus make at most one extra read.
    """
    client = redis()
    await client.set(_pending(target_id), 1, ex=3600)
    while await client.exists(_pending(target_id)):
        lock = calendar_lock(target_id)
        if not await lock.acquire(blocking=False):
            return  # the holder sees the pending flag after releasing
        try:
            await client.delete(_pending(target_id))
            await work()
        finally:
            await lock.release()


async def exclusive(target_id: int, work: Callable[[], Awaitable[None]], *, wait: float = 600) -> None:
    """Run `work` holding the calendar (no reads meanwhile), then serve reads asked for during it."""
    async with calendar_lock(target_id, wait=wait):
        await work()
    if await redis().exists(_pending(target_id)):
        from calendars.sync.inbound import sync_inbound

        await sync_inbound(target_id)


async def claim_read_slot(target_id: int) -> bool:
    """True when no read of this calendar is scheduled yet: the caller schedules one (debounced)."""
    return bool(await redis().set(f"rentcal:inbound-scheduled:{target_id}", 1, nx=True, ex=60))


async def release_read_slot(target_id: int) -> None:
    await redis().delete(f"rentcal:inbound-scheduled:{target_id}")
