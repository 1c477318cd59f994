"""Retry policy for provider calls: exponential backoff with full jitter that honours Retry-After.

Adapters raise `RetryableError` (with the server's Retry-After when it sent one) from a single
attempt; `retrying` repeats the attempt until it succeeds, fails for good (any other exception),
or the policy gives up, and then re-raises the last `RetryableError` so the caller (a task queue)
can schedule the work for later. A Retry-After longer than `max_wait` is never slept in-process:
it is handed straight to the caller.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type

from calendars.providers.base import RetryableError

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    backoff_base: float = 0.5  # ceiling of the first backoff, doubled per attempt (seconds)
    backoff_max: float = 30.0  # ceiling of any one backoff
    max_wait: float = 60.0  # longest single in-process wait; a longer Retry-After goes to the caller

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def backoff(self, failures: int) -> float:
        """Full-jitter exponential backoff after `failures` failed attempts (1, 2, ...)."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** max(0, failures - 1))
        return random.uniform(0, ceiling)

    def wait(self, failures: int, retry_after: float | None) -> float:
        return max(retry_after or 0.0, self.backoff(failures))


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def _last_error(state: RetryCallState) -> RetryableError | None:
    outcome = state.outcome
    if outcome is None or not outcome.failed:
        return None
    error = outcome.exception()
    return error if isinstance(error, RetryableError) else None


async def retrying(policy: RetryPolicy, attempt: Callable[[], Awaitable[T]], *, what: str = "request") -> T:
    """Run `attempt` under `policy`; only `RetryableError` is retried."""

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= policy.max_attempts:
            return True
        error = _last_error(state)
        return error is not None and (error.retry_after or 0.0) > policy.max_wait

    def wait(state: RetryCallState) -> float:
        error = _last_error(state)
        return policy.wait(state.attempt_number, error.retry_after if error else None)

    def before_sleep(state: RetryCallState) -> None:
        error = _last_error(state)
        log.debug(
            "%s failed (attempt %d of %d): %s; retrying in %.2f s",
            what,
            state.attempt_number,
            policy.max_attempts,
            error,
            state.upcoming_sleep,
        )

    attempts = 0
    try:
        async for round_ in AsyncRetrying(
            stop=stop,
            wait=wait,
            retry=retry_if_exception_type(RetryableError),
            before_sleep=before_sleep,
            reraise=True,
        ):
            with round_:
                attempts = round_.retry_state.attempt_number
                return await attempt()
    except RetryableError as exc:
        raise RetryableError(f"{exc} (gave up after {attempts} attempt(s))", retry_after=exc.retry_after) from exc
    raise AssertionError("unreachable")  # pragma: no cover - AsyncRetrying either returns or raises
