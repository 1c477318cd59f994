"""Request counters for /_sandbox/stats."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    """Counts per API call, route and status, injected faults and notification deliveries. `per_call` names the
    counter of API calls in the snapshot (Google: ``by_method``, its method ids; Graph: ``by_operation``)."""

    def __init__(self, per_call: str) -> None:
        self.per_call = per_call
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.by_call: Counter[str] = Counter()
            self.by_route: Counter[str] = Counter()
            self.by_status: Counter[str] = Counter()
            self.faults: Counter[str] = Counter()
            self.notifications: Counter[str] = Counter()

    def request(self, call: str | None, route: str, status: int) -> None:
        with self.lock:
            if call:
                self.by_call[call] += 1
            self.by_route[route] += 1
            self.by_status[str(status)] += 1

    def fault(self, kind: str) -> None:
        with self.lock:
            self.faults[kind] += 1

    def notification(self, outcome: str) -> None:
        with self.lock:
            self.notifications[outcome] += 1

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "requests": {
                    "total": sum(self.by_route.values()),
                    self.per_call: dict(self.by_call),
                    "by_route": dict(self.by_route),
                    "by_status": dict(self.by_status),
                },
                "faults_injected": dict(self.faults),
                "notifications": dict(self.notifications),
            }
