"""The sandbox's shared state object and its settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from litestar import Request

from . import timeutil
from .faults import Faults
from .stats import Stats
from .store import Store
from .tokens import TokenStore
from .validation import Discovery
from .watch import Notifier

SEED_ACCOUNTS = ("demo.manager@gmail.test", "demo.driver@gmail.test", "demo.owner@gmail.test")


@dataclass(frozen=True)
class Settings:
    base_url: str
    client_id: str | None = None
    client_secret: str | None = None
    token_ttl_seconds: int = 3600
    time_zone: str = "Europe/Berlin"
    seed_accounts: tuple[str, ...] = SEED_ACCOUNTS
    seed_events: bool = True
    discovery_path: str | None = None
    allow_http_webhooks: bool = False  # Google only pushes to https; local demos opt in to http
    redirect_uris: tuple[str, ...] = ()  # the OAuth client's registered redirect URIs (more via the admin API)
    rotate_refresh_tokens: bool = False


class Sandbox:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        self.discovery = Discovery.load(settings.discovery_path)
        self.stats = Stats()
        self.faults = Faults()
        self.store = Store(self.base_url, settings.time_zone, settings.seed_accounts)
        self.notifier = Notifier(self.base_url, self.stats, allow_http=settings.allow_http_webhooks)
        self.store.add_listener(self.notifier.calendar_changed)
        self.tokens = TokenStore(
            self.base_url,
            self.token_ttl,
            lambda email: self.store.ensure_account(email).sub,
            redirect_uris=settings.redirect_uris,
            rotate_refresh_tokens=settings.rotate_refresh_tokens,
        )
        self._seed()

    def token_ttl(self) -> int:
        return self.faults.config.token_ttl_seconds or self.settings.token_ttl_seconds

    def reset(self) -> None:
        self.notifier.reset()
        self.tokens.reset()
        self.faults.reset()
        self.stats.reset()
        self.store.reset()
        self._seed()

    def _seed(self) -> None:
        """A few all-day team holidays so the web view and lists are not empty."""
        if not self.settings.seed_events:
            return
        today = timeutil.now_utc().date()
        for email in self.settings.seed_accounts:
            account = self.store.ensure_account(email)
            holidays = self.store.calendar(account.calendar_ids[2])
            for offset, summary in ((7, "Company offsite"), (21, "Public holiday")):
                day = today + timedelta(days=offset)
                body = {
                    "summary": summary,
                    "start": {"date": day.isoformat()},
                    "end": {"date": (day + timedelta(days=1)).isoformat()},
                    "transparency": "transparent",
                }
                self.store.insert_event(holidays, body, email)


def sandbox_of(request: Request[Any, Any, Any]) -> Sandbox:
    return cast(Sandbox, request.app.state["sandbox"])
