"""One settings object, read from the environment (see README "Configuration")."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rentcal.paths import default_data_dir

ROOT = Path(__file__).resolve().parent.parent

DEV_SECRET = "rentcal-dev-secret-change-me-in-production-0123456789"  # noqa: S105
# A fixed development key so a fresh `make run` works; production must set RENTCAL_ENCRYPTION_KEYS.
DEV_ENCRYPTION_KEY = "x3ZTmo1Yc9mZ0P6u4yqv5Ek2Q0x1ZPp0r5QnO3l8vXk="


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def _bool(name: str, default: bool) -> bool:
    raw = _env(name)
    return default if not raw else raw.lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class GoogleSettings:
    """Google Calendar: the OAuth client, and the service addresses (the sandbox's when it stands in)."""

    client_id: str = ""
    client_secret: str = ""
    authorize_url: str = "https://accounts.google.com/o/oauth2/v2/auth"
    token_url: str = "https://oauth2.googleapis.com/token"  # noqa: S105
    revoke_url: str = "https://oauth2.googleapis.com/revoke"
    api_url: str = "https://www.googleapis.com/calendar/v3"
    userinfo_url: str = "https://openidconnect.googleapis.com/v1/userinfo"
    webhook_url: str = ""
    # The Cloud project's per-minute quotas (calls per user, calls in all): our calls are paced under them
    quota_per_user: int = 600
    quota_per_project: int = 10_000

    @classmethod
    def from_env(cls) -> GoogleSettings:
        d = cls()
        return cls(
            client_id=_env("RENTCAL_GOOGLE_CLIENT_ID"),
            client_secret=_env("RENTCAL_GOOGLE_CLIENT_SECRET"),
            authorize_url=_env("RENTCAL_GOOGLE_AUTHORIZE_URL", d.authorize_url),
            token_url=_env("RENTCAL_GOOGLE_TOKEN_URL", d.token_url),
            revoke_url=_env("RENTCAL_GOOGLE_REVOKE_URL", d.revoke_url),
            api_url=_env("RENTCAL_GOOGLE_API_URL", d.api_url).rstrip("/"),
            userinfo_url=_env("RENTCAL_GOOGLE_USERINFO_URL", d.userinfo_url),
            webhook_url=_env("RENTCAL_GOOGLE_WEBHOOK_URL"),
            quota_per_user=int(_env("RENTCAL_GOOGLE_QUOTA_PER_USER", str(d.quota_per_user))),
            quota_per_project=int(_env("RENTCAL_GOOGLE_QUOTA_PER_PROJECT", str(d.quota_per_project))),
        )


@dataclass(frozen=True)
class MicrosoftSettings:
    """Outlook / Microsoft 365: the Entra app registration, and the identity platform and Graph addresses."""

    client_id: str = ""
    client_secret: str = ""
    tenant: str = "common"
    authority_url: str = "https://login.microsoftonline.com"
    graph_url: str = "https://graph.microsoft.com/v1.0"

    @classmethod
    def from_env(cls) -> MicrosoftSettings:
        d = cls()
        return cls(
            client_id=_env("RENTCAL_MICROSOFT_CLIENT_ID"),
            client_secret=_env("RENTCAL_MICROSOFT_CLIENT_SECRET"),
            tenant=_env("RENTCAL_MICROSOFT_TENANT", d.tenant),
            authority_url=_env("RENTCAL_MICROSOFT_AUTHORITY_URL", d.authority_url).rstrip("/"),
            graph_url=_env("RENTCAL_MICROSOFT_GRAPH_URL", d.graph_url).rstrip("/"),
        )


@dataclass(frozen=True)
class CalDAVSettings:
    """Apple iCloud and other CalDAV servers."""

    poll_minutes: float = 5.0  # CalDAV has no push: its calendars are read this often
    demo_url: str = ""  # the local demo CalDAV server (`rentcal up`), offered as a preset

    @classmethod
    def from_env(cls) -> CalDAVSettings:
        return cls(
            poll_minutes=float(_env("RENTCAL_CALDAV_POLL_MINUTES", "5")),
            demo_url=_env("RENTCAL_CALDAV_DEMO_URL"),
        )


@dataclass(frozen=True)
class Settings:
    database_url: str = ""
    redis_url: str = ""
    env: str = "development"
    secret_key: str = DEV_SECRET
    encryption_keys: tuple[str, ...] = (DEV_ENCRYPTION_KEY,)
    base_url: str = "http://127.0.0.1:8000"
    data_dir: Path = field(default_factory=default_data_dir)
    smtp_url: str = ""
    mail_from: str = "calendar@rentcal.test"
    public_rate_limit: int = 120
    outbox_poll_seconds: float = 2.0
    outbox_requeue_seconds: float = 300.0
    allow_http_webhooks: bool = False  # providers push only to https; the local sandboxes may opt in
    inbound_sync_minutes: float = 15.0
    full_sync_retry_seconds: float = 300.0  # a requested full sync not finished by then is asked for again
    demo_maildir: str = ""
    feed_import_minutes: float = 60.0
    allow_private_fetch: bool = False
    trusted_proxies: tuple[str, ...] = ()
    login_attempts_per_account: int = 5
    login_attempts_per_address: int = 30
    feed_import_deadline_seconds: float = 60.0
    widget_lead_hours: float = 0.0
    request_hold_hours: float = 48.0
    requests_per_email_per_day: int = 3
    requests_per_client_per_day: int = 10
    request_email_confirmation: bool = False
    google: GoogleSettings = field(default_factory=GoogleSettings)
    microsoft: MicrosoftSettings = field(default_factory=MicrosoftSettings)
    caldav: CalDAVSettings = field(default_factory=CalDAVSettings)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @classmethod
    def from_env(cls) -> Settings:
        keys = tuple(k.strip() for k in _env("RENTCAL_ENCRYPTION_KEYS").split(",") if k.strip())
        defaults = cls()
        return cls(
            database_url=_env("DATABASE_URL"),
            redis_url=_env("REDIS_URL"),
            env=_env("RENTCAL_ENV", "development"),
            secret_key=_env("RENTCAL_SECRET_KEY", DEV_SECRET),
            encryption_keys=keys or defaults.encryption_keys,
            base_url=_env("RENTCAL_BASE_URL", defaults.base_url).rstrip("/"),
            data_dir=Path(_env("RENTCAL_DATA_DIR", str(defaults.data_dir))),
            smtp_url=_env("RENTCAL_SMTP_URL"),
            mail_from=_env("RENTCAL_MAIL_FROM", defaults.mail_from),
            public_rate_limit=int(_env("RENTCAL_PUBLIC_RATE_LIMIT", "120")),
            widget_lead_hours=float(_env("RENTCAL_WIDGET_LEAD_HOURS", "0")),
            request_hold_hours=float(_env("RENTCAL_REQUEST_HOLD_HOURS", "48")),
            requests_per_email_per_day=int(_env("RENTCAL_REQUESTS_PER_EMAIL_PER_DAY", "3")),
            requests_per_client_per_day=int(_env("RENTCAL_REQUESTS_PER_CLIENT_PER_DAY", "10")),
            request_email_confirmation=_bool("RENTCAL_REQUEST_EMAIL_CONFIRMATION", False),
            outbox_poll_seconds=float(_env("RENTCAL_OUTBOX_POLL_SECONDS", "2")),
            outbox_requeue_seconds=float(_env("RENTCAL_OUTBOX_REQUEUE_SECONDS", "300")),
            google=GoogleSettings.from_env(),
            microsoft=MicrosoftSettings.from_env(),
            caldav=CalDAVSettings.from_env(),
            allow_http_webhooks=_bool("RENTCAL_ALLOW_HTTP_WEBHOOKS", False),
            inbound_sync_minutes=float(_env("RENTCAL_INBOUND_SYNC_MINUTES", "15")),
            full_sync_retry_seconds=float(_env("RENTCAL_FULL_SYNC_RETRY_SECONDS", "300")),
            demo_maildir=_env("RENTCAL_DEMO_MAILDIR"),
            feed_import_minutes=float(_env("RENTCAL_FEED_IMPORT_MINUTES", "60")),
            # RENTCAL_FEED_IMPORT_PRIVATE is the former name of the same switch.
            allow_private_fetch=_bool("RENTCAL_ALLOW_PRIVATE_FETCH", _bool("RENTCAL_FEED_IMPORT_PRIVATE", False)),
            trusted_proxies=tuple(p.strip() for p in _env("RENTCAL_TRUSTED_PROXIES").split(",") if p.strip()),
            login_attempts_per_account=int(_env("RENTCAL_LOGIN_ATTEMPTS_PER_ACCOUNT", "5")),
            login_attempts_per_address=int(_env("RENTCAL_LOGIN_ATTEMPTS_PER_ADDRESS", "30")),
            feed_import_deadline_seconds=float(_env("RENTCAL_FEED_IMPORT_DEADLINE_SECONDS", "60")),
        )

    def validate(self) -> None:
        """Refuse to run in production with development secrets (every process calls this at start)."""
        if self.is_production:
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise RuntimeError("RENTCAL_SECRET_KEY must be set (32+ characters) in production")
            if DEV_ENCRYPTION_KEY in self.encryption_keys:
                raise RuntimeError("RENTCAL_ENCRYPTION_KEYS must be set in production (not the development key)")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
