"""Fault injection switched over HTTP: error rates, latency, short token lifetimes."""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

from ..common.faults import read_config, roll
from .errors import GoogleError, OAuthError

# kind -> (HTTP code, domain, reason, message, sends Retry-After)
KINDS: dict[str, tuple[int, str, str, str, bool]] = {
    "rateLimitExceeded": (403, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded", False),
    "userRateLimitExceeded": (403, "usageLimits", "userRateLimitExceeded", "User Rate Limit Exceeded", False),
    "quotaExceeded": (403, "usageLimits", "quotaExceeded", "Calendar usage limits exceeded.", False),
    "tooManyRequests": (429, "usageLimits", "rateLimitExceeded", "Rate Limit Exceeded", True),
    "backendError": (500, "global", "backendError", "Backend Error", False),
    "serviceUnavailable": (503, "global", "backendError", "The service is currently unavailable.", True),
    # refusals that do not go away on a retry
    "dailyLimitExceeded": (403, "usageLimits", "dailyLimitExceeded", "Daily Limit Exceeded", False),
    "requiredAccessLevel": (
        403,
        "calendar",
        "requiredAccessLevel",
        "You need to have writer access to this calendar.",
        False,
    ),
    "forbiddenForNonOrganizer": (
        403,
        "calendar",
        "forbiddenForNonOrganizer",
        "Shared properties can only be changed by the organizer of the event.",
        False,
    ),
    # the request is carried out, then the reply is lost (a 500 after the commit)
    "lostReply": (500, "global", "backendError", "Backend Error", False),
}
AFTER_COMMIT = frozenset({"lostReply"})


@dataclass
class FaultConfig:
    error_rate: float = 0.0
    error_kinds: list[str] = field(default_factory=lambda: ["backendError"])
    latency_ms: int = 0
    token_ttl_seconds: int | None = None
    seed: int | None = None
    apply_to_token: bool = False
    retry_after_seconds: int = 1
    fail_next: list[str] = field(default_factory=list)
    methods: list[str] = field(default_factory=list)
    # Google's quotas (https://developers.google.com/calendar/api/guides/quota), sliding minute windows:
    # per user per project, beyond it 403 userRateLimitExceeded; per project, beyond it 403 rateLimitExceeded
    user_requests_per_minute: int = 600
    project_requests_per_minute: int = 10_000

    @classmethod
    def from_json(cls, data: Any) -> FaultConfig:
        return read_config(cls, data, KINDS)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "known_kinds": sorted(KINDS)}


class Faults:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def over_limit(self, user: str) -> str | None:
        """Count one request of `user` (its credential) in the sliding minute of the user and of the project;
        the reason when either quota is used up (the refused request does not count)."""
        now = time.monotonic()
        with self.lock:
            window = self._per_user.setdefault(user, deque())
            for queue in (window, self._project):
                while queue and now - queue[0] > 60:
                    queue.popleft()
            if len(window) >= self.config.user_requests_per_minute:
                return "userRateLimitExceeded"
            if len(self._project) >= self.config.project_requests_per_minute:
                return "rateLimitExceeded"
            window.append(now)
            self._project.append(now)
            return None

    def reset(self) -> FaultConfig:
        return self.configure(FaultConfig())

    def configure(self, config: FaultConfig) -> FaultConfig:
        with self.lock:
            self.config = config
            self.rng = random.Random(config.seed)
            self._per_user: dict[str, deque[float]] = {}
            self._project: deque[float] = deque()
            return config

    def decide(self, scope: str, method_id: str | None) -> tuple[int, str | None]:
        """(latency in ms, error kind or None) for a request in ``scope`` ("api" or "token")."""
        with self.lock:
            config = self.config
            if scope == "token" and not config.apply_to_token:
                return 0, None
            if config.methods and method_id not in config.methods:
                return 0, None
            return config.latency_ms, roll(config, self.rng)

    def api_error(self, kind: str) -> GoogleError:
        code, domain, reason, message, retry = KINDS[kind]
        headers = {"Retry-After": str(self.config.retry_after_seconds)} if retry else {}
        return GoogleError(code, reason, message, domain=domain, headers=headers)

    @staticmethod
    def token_error(kind: str) -> OAuthError:
        if kind == "backendError":
            return OAuthError("internal_failure", "Backend Error", 500)
        return OAuthError("temporarily_unavailable", "The service is currently unavailable.", 503)
