"""What this process has heard of committed changes, for in-process caches that are never stale.

Row triggers (migration rental 2026-12-02T06:30) send `NOTIFY rentcal_changes, '<company id>'` in the
transaction of every change that can alter an availability answer, and 'auth' when an API token is
revoked or a staff member's access changes. `listen` keeps one LISTEN connection per process and
counts what it hears; a cached value carries the count it was computed under (its stamp) and is
used only while the count is unchanged. While the listener is not connected nothing is cached
(`stamp` is None): a process that cannot hear changes answers from the database every time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

import asyncpg

log = logging.getLogger("rentcal.changes")
CHANNEL = "rentcal_changes"
AUTH = "auth"

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
Stamp = tuple[int, int]


class Changes:
    def __init__(self) -> None:
        self.live = False
        self.epoch = 0  # bumped on every (re)connection and on unknown payloads: everything is stale
        self.total = 0  # every company change heard, for lookups whose company is known only afterwards
        self.auth = 0
        self._companies: dict[int, int] = {}

    def heard(self, payload: str) -> None:
        if payload == AUTH:
            self.auth += 1
        elif payload.isdigit():
            company = int(payload)
            self._companies[company] = self._companies.get(company, 0) + 1
            self.total += 1
        else:
            self.epoch += 1

    def company(self, company_id: int) -> Stamp | None:
        """The stamp of a company's data; take it BEFORE reading what will be cached."""
        return (self.epoch, self._companies.get(company_id, 0)) if self.live else None

    def anything(self) -> Stamp | None:
        return (self.epoch, self.total) if self.live else None

    def access(self) -> Stamp | None:
        return (self.epoch, self.auth) if self.live else None


changes = Changes()


class StampedCache(Generic[K, V]):
    """A bounded dict whose entries are valid only under the stamp they were stored with."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._entries: dict[K, tuple[Stamp, V]] = {}

    def get(self, key: K, stamp: Stamp | None) -> V | None:
        entry = self._entries.get(key)
        if entry is None or stamp is None or entry[0] != stamp:
            return None
        return entry[1]

    def peek(self, key: K) -> tuple[Stamp, V] | None:
        """The entry and its stamp, for callers that check the stamp themselves."""
        return self._entries.get(key)

    def put(self, key: K, stamp: Stamp | None, value: V) -> None:
        if stamp is None:
            return
        if key not in self._entries and len(self._entries) >= self.max_entries:
            del self._entries[next(iter(self._entries))]  # the oldest insertion
        self._entries[key] = (stamp, value)

    def clear(self) -> None:
        self._entries.clear()


async def listen(database_url: str, retry_seconds: float = 1.0, ping_seconds: float = 5.0) -> None:
    """Run for the life of the process: LISTEN, count notifications, reconnect when the link drops."""
    while True:
        connection: Any = None
        try:
            connection = await asyncpg.connect(database_url)
            lost = asyncio.Event()
            connection.add_termination_listener(lambda *_, lost=lost: lost.set())
            await connection.add_listener(CHANNEL, lambda *args: changes.heard(args[-1]))
            changes.epoch += 1  # whatever was cached before this point may have missed a change
            changes.live = True
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), timeout=ping_seconds)
                if not lost.is_set():
                    await asyncio.wait_for(connection.execute("SELECT 1"), timeout=ping_seconds)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
            log.warning("change listener lost its database connection; caches are off until it is back")
        except Exception:  # never die: a dead listener would leave the caches off for good
            log.exception("change listener failed; caches are off until it is back")
        finally:
            changes.live = False
            changes.epoch += 1
            if connection is not None and not connection.is_closed():
                connection.terminate()
        await asyncio.sleep(retry_seconds)
