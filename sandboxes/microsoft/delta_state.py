"""Server-side state behind calendarView/delta ``$skiptoken`` and ``$deltatoken`` values."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class DeltaState:
    calendar_id: str
    owner: str
    start: datetime
    end: datetime
    epoch: int
    seen: dict[str, int] = field(default_factory=dict)  # item id -> rev reported


@dataclass
class Page:
    state: DeltaState
    rows: list[tuple[str, Any]]  # (kind, payload): ("item", (stored, occ)) or ("removed", id)


class DeltaTokens:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.deltas: dict[str, DeltaState] = {}
        self.pages: dict[str, Page] = {}

    def reset(self) -> None:
        with self.lock:
            self.deltas.clear()
            self.pages.clear()

    def put_delta(self, state: DeltaState) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.deltas[token] = state
        return token

    def put_page(self, page: Page) -> str:
        token = secrets.token_urlsafe(24)
        with self.lock:
            self.pages[token] = page
        return token
