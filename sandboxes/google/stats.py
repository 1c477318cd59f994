"""Request counters for /_sandbox/stats (what a benchmark compares between client strategies)."""

from __future__ import annotations

from ..common import stats


class Stats(stats.Stats):
    """Calls are counted by Calendar API method id (``by_method``)."""

    def __init__(self) -> None:
        super().__init__("by_method")
