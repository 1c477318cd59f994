"""Request counters for /_sandbox/stats."""

from __future__ import annotations

from ..common import stats


class Stats(stats.Stats):
    """Calls are counted by Graph operation (``by_operation``)."""

    def __init__(self) -> None:
        super().__init__("by_operation")
