"""Fault injection switched over HTTP: throttling, 5xx, lost replies, latency, the mailbox concurrency limit."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

from ..common.faults import read_config, roll
from .errors import AadError, GraphError

LOST_REPLY = "lostReply"
# kind -> (HTTP status, Graph error code, message, sends Retry-After)
KINDS: dict[str, tuple[int, str, str, bool]] = {
    "tooManyRequests": (429, "ApplicationThrottled", "Application is over its MailboxRequests limit.", True),
    "mailboxConcurrency": (429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.", True),
    "serviceUnavailable": (503, "ServiceUnavailable", "The service is temporarily unavailable. Please retry.", True),
    "gatewayTimeout": (504, "GatewayTimeout", "The gateway did not receive a timely response.", False),
    "internalServerError": (500, "InternalServerError", "An internal server error occurred.", False),
    LOST_REPLY: (200, "", "the request is carried out, then the connection drops before the reply", False),
}


@dataclass
class FaultConfig:
    error_rate: float = 0.0
    error_kinds: list[str] = field(default_factory=lambda: ["serviceUnavailable"])
    latency_ms: int = 0
    seed: int | None = None
    retry_after_seconds: int = 1
    fail_next: list[str] = field(default_factory=list)
    operations: list[str] = field(default_factory=list)
    apply_to_token: bool = False
    max_concurrency: int = 4
    token_ttl_seconds: int | None = None
    handshake_timeout_seconds: float = 10.0

    @classmethod
    def from_json(cls, data: Any) -> FaultConfig:
        return read_config(cls, data, KINDS, _check_limits)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "known_kinds": sorted(KINDS)}


def _check_limits(config: FaultConfig) -> None:
    if not isinstance(config.max_concurrency, int) or config.max_concurrency < 1:
        raise ValueError("max_concurrency must be an integer >= 1")
    if not isinstance(config.handshake_timeout_seconds, int | float) or config.handshake_timeout_seconds <= 0:
        raise ValueError("handshake_timeout_seconds must be a positive number")


class Faults:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.active: dict[str, int] = {}
        self.reset()

    def reset(self) -> FaultConfig:
        return self.configure(FaultConfig())

    def configure(self, config: FaultConfig) -> FaultConfig:
        with self.lock:
            self.config = config
            self.rng = random.Random(config.seed)
            return config

    def decide(self, scope: str, operation: str | None) -> tuple[int, str | None]:
        """(latency in ms, fault kind or None) for a request in ``scope`` ("graph" or "token")."""
        with self.lock:
            config = self.config
            if scope == "token" and not config.apply_to_token:
                return 0, None
            if config.operations and operation not in config.operations:
                return config.latency_ms if scope == "graph" else 0, None
            return config.latency_ms, roll(config, self.rng)

    def enter(self, mailbox: str) -> bool:
        """Take one of the mailbox's concurrent-request slots; False when all are busy."""
        with self.lock:
            if self.active.get(mailbox, 0) >= self.config.max_concurrency:
                return False
            self.active[mailbox] = self.active.get(mailbox, 0) + 1
            return True

    def leave(self, mailbox: str) -> None:
        with self.lock:
            self.active[mailbox] = max(0, self.active.get(mailbox, 0) - 1)

    def graph_error(self, kind: str) -> GraphError:
        status, code, message, retry = KINDS[kind]
        headers = {"Retry-After": str(self.config.retry_after_seconds)} if retry else {}
        return GraphError(status, code, message, headers)

    @staticmethod
    def token_error(kind: str) -> AadError:
        if kind in ("internalServerError", "gatewayTimeout"):
            return AadError(90099, status=500)
        return AadError(5000, status=503)
