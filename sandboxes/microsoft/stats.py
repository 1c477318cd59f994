"""Request counters for /_sandbox/stats."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.by_operation: Counter[str] = Counter()
            self.by_route: Counter[str] = Counter()
            self.by_status: Counter[str] = Counter()
            self.faults: Counter[str] = Counter()
            self.notifications: Counter[str] = Counter()

    def request(self, operation: str | None, route: str, status: int) -> None:
        with self.lock:
            if operation:
                self.by_operation[operation] += 1
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
                    "by_operation": dict(self.by_operation),
                    "by_route": dict(self.by_route),
                    "by_status": dict(self.by_status),
                },
                "faults_injected": dict(self.faults),
                "notifications": dict(self.notifications),
            }
