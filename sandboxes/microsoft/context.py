"""The sandbox's shared state object and its settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from litestar import Request

from . import schema
from .delta_state import DeltaTokens
from .faults import Faults
from .stats import Stats
from .store import Store, local_now
from .subscriptions import Notifier
from .tokens import Identity, TokenStore
from .zones import resolve

SEED_ACCOUNTS = ("demo.manager@contoso.test", "demo.driver@contoso.test", "demo.owner@contoso.test")
LOGIN_HOST = "https://login.microsoftonline.com"


@dataclass(frozen=True)
class Settings:
    base_url: str
    client_id: str | None = None
    client_secret: str | None = None
    redirect_uris: tuple[str, ...] = ()
    token_ttl_seconds: int = 3600
    seed_accounts: tuple[str, ...] = SEED_ACCOUNTS
    seed_events: bool = True
    allow_http_webhooks: bool = False
    max_subscription_minutes: int = 4230
    seed_time_zone: str = "W. Europe Standard Time"


class Sandbox:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        schema.warm_up()
        self.stats = Stats()
        self.faults = Faults()
        self.store = Store(self.base_url, settings.seed_accounts)
        self.notifier = Notifier(self.stats)
        self.store.add_listener(self.notifier.event_changed)
        self.delta_tokens = DeltaTokens()
        self.tokens = TokenStore(self.base_url, self.token_ttl, self.identity)
        self._seed()

    def identity(self, email: str) -> Identity:
        account = self.store.ensure_account(email)
        return Identity(account.email, account.name, account.oid, account.tid)

    def token_ttl(self) -> int:
        return self.faults.config.token_ttl_seconds or self.settings.token_ttl_seconds

    def reset(self) -> None:
        self.notifier.reset()
        self.tokens.reset()
        self.delta_tokens.reset()
        self.faults.reset()
        self.stats.reset()
        self.store.reset()
        self._seed()

    def _seed(self) -> None:
        """Two all-day team events per seeded account so the web view and lists are not empty."""
        if not self.settings.seed_events:
            return
        zone = resolve(self.settings.seed_time_zone)
        today = local_now(zone).date()
        for email in self.settings.seed_accounts:
            account = self.store.ensure_account(email)
            holidays = self.store.calendar(account.calendar_ids[2])
            for offset, subject in ((7, "Company offsite"), (21, "Public holiday")):
                day = today + timedelta(days=offset)
                self.store.create_event(holidays, {
                    "subject": subject, "isAllDay": True, "showAs": "free", "isReminderOn": False,
                    "start": {"dateTime": f"{day.isoformat()}T00:00:00", "timeZone": zone.name},
                    "end": {"dateTime": f"{(day + timedelta(days=1)).isoformat()}T00:00:00", "timeZone": zone.name},
                })  # fmt: skip


def sandbox_of(request: Request[Any, Any, Any]) -> Sandbox:
    return cast(Sandbox, request.app.state["sandbox"])
