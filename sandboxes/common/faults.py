"""The provider-neutral part of fault injection: reading a fault configuration and rolling the dice."""

from __future__ import annotations

import random
from collections.abc import Callable, Collection
from typing import Any, Protocol, TypeVar


class FaultSettings(Protocol):
    error_rate: float
    error_kinds: list[str]
    fail_next: list[str]
    token_ttl_seconds: int | None


C = TypeVar("C", bound=FaultSettings)


def read_config(cls: type[C], data: Any, kinds: Collection[str], check: Callable[[C], None] | None = None) -> C:
    """A configuration dataclass from the admin API's JSON; ValueError (a 400 there) when it is not one.
    `check` validates the sandbox's own settings (in the order its admin API has always reported them)."""
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    unknown = set(data) - set(cls.__dataclass_fields__)  # type: ignore[attr-defined]
    if unknown:
        raise ValueError(f"unknown fault settings: {sorted(unknown)}")
    config = cls(**data)
    if not isinstance(config.error_rate, int | float) or not 0 <= config.error_rate <= 1:
        raise ValueError("error_rate must be a number in [0, 1]")
    for kind in [*config.error_kinds, *config.fail_next]:
        if kind not in kinds:
            raise ValueError(f"unknown error kind {kind!r}; known: {sorted(kinds)}")
    if config.error_rate and not config.error_kinds:
        raise ValueError("error_kinds must not be empty when error_rate > 0")
    if check is not None:
        check(config)
    if config.token_ttl_seconds is not None and config.token_ttl_seconds < 1:
        raise ValueError("token_ttl_seconds must be >= 1")
    return config


def roll(config: FaultSettings, rng: random.Random) -> str | None:
    """The fault for one request: the next one asked for explicitly, else one at `error_rate` (call under the
    caller's lock: `fail_next` is consumed and the seeded sequence must not interleave)."""
    if config.fail_next:
        return config.fail_next.pop(0)
    if config.error_rate and rng.random() < config.error_rate:
        return rng.choice(config.error_kinds)
    return None
