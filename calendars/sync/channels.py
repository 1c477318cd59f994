"""Push notification channels (Google events.watch): create, renew before expiry, verify, stop."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from calendars.accounts.connections import provider_for
from calendars.providers.base import ProviderError
from calendars.sync import store
from calendars.tables import CalendarTarget
from rentcal.settings import get_settings

log = logging.getLogger("rentcal.channels")
RENEW_BEFORE = timedelta(hours=24)


def webhook_url(provider: str = "google") -> str:
    """Where `provider` delivers notifications: ``{base}/webhooks/{provider}`` (Google's may be overridden)."""
    settings = get_settings()
    if provider == "google" and settings.google.webhook_url:
        return settings.google.webhook_url
    return f"{settings.base_url}/webhooks/{provider}"


def push_possible() -> bool:
    """Providers deliver notifications only to https addresses (the local sandboxes may allow http)."""
    return webhook_url().startswith("https://") or get_settings().allow_http_webhooks


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def ensure_channel(target_id: int, *, force: bool = False) -> bool:
    """Open a channel for an inbound calendar unless a fresh one exists. Returns True when opened."""
    target = await store.target(target_id)
    row = await CalendarTarget.select().where(CalendarTarget.id == target_id).first()
    integration = await store.integration_row(target.integration_id) if target else None
    if target is None or row is None or integration is None or not target.inbound:
        return False
    provider = provider_for(integration)
    if not provider.capabilities.push_notifications:
        return False
    if not push_possible():
        # no push without https: the periodic read (RENTCAL_INBOUND_SYNC_MINUTES) keeps the calendar current
        return False
    expires = row["channel_expires_at"]
    if not force and expires is not None and expires - RENEW_BEFORE > datetime.now(UTC):
        return False
    token = secrets.token_urlsafe(24)
    channel = await provider.watch(target.external_id, uuid.uuid4().hex, webhook_url(integration["provider"]), token)
    await CalendarTarget.update(
        {
            CalendarTarget.channel_id: channel.id,
            CalendarTarget.channel_resource_id: channel.resource_id,
            CalendarTarget.channel_token_hash: _hash(token),
            CalendarTarget.channel_expires_at: channel.expires_at,
        }
    ).where(CalendarTarget.id == target_id)
    if row["channel_id"] and row["channel_resource_id"]:
        try:
            await provider.stop_channel(row["channel_id"], row["channel_resource_id"])
        except ProviderError:
            log.info("old channel of target %s could not be stopped; it will expire", target_id)
    await store.log(target, "watch", detail=f"channel open until {channel.expires_at.isoformat()}")
    return True


async def stop_channel(target_id: int) -> None:
    row = await CalendarTarget.select().where(CalendarTarget.id == target_id).first()
    target = await store.target(target_id)
    if row is None or target is None or not row["channel_id"]:
        return
    integration = await store.integration_row(target.integration_id)
    if integration is not None and integration["status"] == "active":
        try:
            await provider_for(integration).stop_channel(row["channel_id"], row["channel_resource_id"] or "")
        except ProviderError:
            log.info("channel of target %s could not be stopped; it will expire", target_id)
    await CalendarTarget.update(
        {
            CalendarTarget.channel_id: None,
            CalendarTarget.channel_resource_id: None,
            CalendarTarget.channel_token_hash: None,
            CalendarTarget.channel_expires_at: None,
        }
    ).where(CalendarTarget.id == target_id)


async def verify(channel_id: str, token: str) -> int | None:
    """The target a notification is for, when its channel token matches."""
    row = (
        await CalendarTarget.select(CalendarTarget.id, CalendarTarget.channel_token_hash)
        .where(CalendarTarget.channel_id == channel_id)
        .first()
    )
    if row is None or not row["channel_token_hash"]:
        return None
    return int(row["id"]) if hmac.compare_digest(row["channel_token_hash"], _hash(token)) else None


async def targets_needing_channels() -> list[int]:
    if not push_possible():
        return []
    rows = await CalendarTarget.raw(
        """
        SELECT t.id FROM calendar_target t JOIN calendar_integration i ON i.id = t.integration
        WHERE i.status = 'active' AND (t.read_busy OR (jsonb_array_length(t.write_kinds) > 0
              AND i.direction = 'two_way'))
          AND (t.channel_expires_at IS NULL OR t.channel_expires_at < {})
        """,
        datetime.now(UTC) + RENEW_BEFORE,
    )
    return [int(r["id"]) for r in rows]


async def inbound_targets() -> list[int]:
    rows = await CalendarTarget.raw(
        """
        SELECT t.id FROM calendar_target t JOIN calendar_integration i ON i.id = t.integration
        WHERE i.status = 'active' AND (t.read_busy OR (jsonb_array_length(t.write_kinds) > 0
              AND i.direction = 'two_way'))
        """
    )
    return [int(r["id"]) for r in rows]
