"""Connecting, configuring, testing and disconnecting calendar integrations."""

from __future__ import annotations

import json
import logging
from typing import Any

import msgspec

from calendars import vault
from calendars.accounts.caldav import ConnectFailed, discover_account
from calendars.accounts.connections import forget_tokens, oauth_config_for, provider_for
from calendars.accounts.oauth import (
    AuthorizationFailed,
    AuthorizationRequest,
    exchange_code,
    revoke,
    start_authorization,
)
from calendars.providers.base import NeedsReconnect, ProviderError, RemoteCalendar, RetryableError
from calendars.providers.registry import PROVIDERS
from calendars.schemas import (
    AuditReport,
    CalendarChoice,
    CalendarSetting,
    Conflict,
    ConnectionTest,
    Integration,
    IntegrationSettings,
    MappedEvent,
)
from calendars.sync import channels, refusals
from calendars.tables import CalendarEvent, CalendarIntegration, CalendarTarget, SyncConflict
from rental.accounts import Staff, staff_by_id
from rental.errors import Forbidden, InvalidInput, NotFound
from rental.tenants import Tenant
from rentcal.settings import get_settings

log = logging.getLogger(__name__)

DEFAULT_KINDS = {
    "manager": ["bookings"],
    "admin": ["bookings"],
    "driver": ["deliveries"],
    "technician": ["maintenance"],
}


def _kinds(raw: Any) -> list[str]:
    return list(json.loads(raw) if isinstance(raw, str) else raw or [])


async def _visible(tenant: Tenant, staff: Staff, integration_id: int) -> dict[str, Any]:
    row = (
        await CalendarIntegration.select()
        .where((CalendarIntegration.id == integration_id) & (CalendarIntegration.company == tenant.id))
        .first()
    )
    if row is None or (row["user"] != staff.id and not staff.is_manager):
        raise NotFound(f"integration {integration_id} not found")
    return dict(row)


async def _owned(tenant: Tenant, staff: Staff, integration_id: int) -> dict[str, Any]:
    row = await _visible(tenant, staff, integration_id)
    if row["user"] != staff.id and staff.role != "admin":
        raise Forbidden("only the person who connected this calendar can change it")
    return row


KEY_PREFIXES = {"bookings": "booking:", "maintenance": "maintenance:", "deliveries": "delivery:"}


async def _view(row: dict[str, Any]) -> Integration:
    targets = await CalendarTarget.select().where(CalendarTarget.integration == row["id"]).order_by(CalendarTarget.id)
    refused, reason = (await refusals.refused_by_integration([row["id"]])).get(row["id"], (0, ""))
    audit = row.get("last_audit")
    if isinstance(audit, str):
        audit = json.loads(audit)
    return Integration(
        id=row["id"],
        provider=row["provider"],
        account_email=row["account_email"],
        user_id=row["user"],
        status=row["status"],
        status_detail=row["status_detail"],
        direction=row["direction"],
        on_remote_delete=row["on_remote_delete"],
        include_all_bookings=row["include_all_bookings"],
        last_synced_at=row["last_synced_at"],
        calendars=[
            CalendarChoice(
                t["id"],
                t["external_id"],
                t["name"],
                _kinds(t["write_kinds"]),  # type: ignore[arg-type]
                t["read_busy"],
                t["last_read_at"],
                t["read_error"],
                writable=t["writable"],
                write_error=t["write_error"],
            )
            for t in targets
        ],
        live_updates=channels.push_possible() and not _polled(row["provider"]),
        read_every_minutes=_read_every(row["provider"]),
        refused_items=refused,
        refused_reason=reason,
        audit=msgspec.convert(audit, AuditReport) if audit else None,
    )


def _polled(provider: str) -> bool:
    """A provider without push (CalDAV): its calendars are only read periodically."""
    spec = PROVIDERS.get(provider)
    return spec is not None and spec.parse_notification is None


def _password_grant(provider: str) -> bool:
    spec = PROVIDERS.get(provider)
    return spec is not None and spec.auth == "password"


def _read_every(provider: str) -> float:
    """Providers without push (CalDAV) are read every RENTCAL_CALDAV_POLL_MINUTES."""
    return get_settings().caldav.poll_minutes if _polled(provider) else get_settings().inbound_sync_minutes


async def list_integrations(tenant: Tenant, staff: Staff) -> list[Integration]:
    condition = CalendarIntegration.company == tenant.id
    if not staff.is_manager:
        condition &= CalendarIntegration.user == staff.id  # type: ignore[assignment]
    rows = await CalendarIntegration.select().where(condition & (CalendarIntegration.status != "disconnected"))
    return [await _view(dict(r)) for r in sorted(rows, key=lambda r: r["id"])]


async def get_integration(tenant: Tenant, staff: Staff, integration_id: int) -> Integration:
    return await _view(await _visible(tenant, staff, integration_id))


def oauth_providers() -> list[tuple[str, str]]:
    """(name, label) of every provider connected through an OAuth consent screen."""
    return [(spec.name, spec.label) for spec in PROVIDERS.values() if spec.auth == "oauth2"]


def begin_oauth(provider: str) -> AuthorizationRequest:
    """The provider's consent URL, and the state and PKCE verifier to keep until the callback."""
    if provider not in dict(oauth_providers()):
        raise NotFound(f"no calendar provider {provider!r} connects through OAuth")
    return start_authorization(oauth_config_for(provider))


def begin_google() -> AuthorizationRequest:
    return begin_oauth("google")


async def _sync_calendar_list(integration_id: int, company_id: int, role: str, calendars: list[RemoteCalendar]) -> None:
    """New calendars become targets; known ones learn whether they are (still) writable. A calendar that
    became read-only stops receiving items (it stays a busy-time source)."""
    existing = {
        r["external_id"]: r
        for r in await CalendarTarget.select(
            CalendarTarget.id, CalendarTarget.external_id, CalendarTarget.writable
        ).where(CalendarTarget.integration == integration_id)
    }
    for calendar in calendars:
        known = existing.get(calendar.id)
        if known is not None:
            if known["writable"] != calendar.writable:
                changes: dict[Any, Any] = {CalendarTarget.writable: calendar.writable, CalendarTarget.write_error: ""}
                if not calendar.writable:
                    changes[CalendarTarget.write_kinds] = []
                await CalendarTarget.update(changes).where(CalendarTarget.id == known["id"])
            continue
        await CalendarTarget.insert(
            CalendarTarget(
                company=company_id,
                integration=integration_id,
                external_id=calendar.id,
                name=calendar.name,
                write_kinds=DEFAULT_KINDS.get(role, []) if calendar.primary and calendar.writable else [],
                read_busy=calendar.primary,
                writable=calendar.writable,
            )
        )


async def complete_google(tenant: Tenant, staff: Staff, code: str, code_verifier: str) -> int:
    return await complete_oauth("google", tenant, staff, code, code_verifier)


async def complete_oauth(provider: str, tenant: Tenant, staff: Staff, code: str, code_verifier: str) -> int:
    """Exchange the code, store the encrypted grant, and list the account's calendars.

    A consent without the calendar scope is revoked and refused (ScopeNotGranted, nothing stored). A
    re-consent that brings no refresh token (Google sends one only on the first consent or with
    prompt=consent) keeps the one stored for the same account.
    """
    config = oauth_config_for(provider)
    credentials = await exchange_code(config, code, code_verifier)
    email = credentials.extra.get("email", "")
    existing = (
        await CalendarIntegration.select(CalendarIntegration.id, CalendarIntegration.credentials)
        .where(
            (CalendarIntegration.user == staff.id)
            & (CalendarIntegration.provider == provider)
            & (CalendarIntegration.account_email == email)
        )
        .first()
    )
    if not credentials.refresh_token and existing is not None and existing["credentials"]:
        credentials.refresh_token = vault.open_credentials(existing["credentials"]).refresh_token
    if not credentials.refresh_token:
        await revoke(config, credentials.access_token)
        raise AuthorizationFailed(
            f"{PROVIDERS[provider].label} did not grant Rentcal lasting access to your calendars, so nothing was "
            "connected. Please try again.",
            "no_refresh_token",
        )
    sealed = vault.seal_credentials(credentials)
    if existing is not None:  # reconnecting: keep its settings and mappings
        integration_id = int(existing["id"])
        await CalendarIntegration.update(
            {
                CalendarIntegration.credentials: sealed,
                CalendarIntegration.status: "active",
                CalendarIntegration.status_detail: "",
            }
        ).where(CalendarIntegration.id == integration_id)
        forget_tokens(integration_id)
    else:
        rows = await CalendarIntegration.insert(
            CalendarIntegration(
                company=tenant.id,
                user=staff.id,
                provider=provider,
                account_email=email,
                credentials=sealed,
                include_all_bookings=False,
            )
        ).returning(CalendarIntegration.id)
        integration_id = int(rows[0]["id"])
    row = await CalendarIntegration.select().where(CalendarIntegration.id == integration_id).first()
    assert row is not None
    try:
        calendars = await provider_for(dict(row)).list_calendars()
    except RetryableError as exc:
        # The grant is good and its one-time code is spent: keep it, and let the full sync that follows
        # list the calendars when the provider lets us (it waits as the provider asks).
        log.info("integration %s: calendar list deferred, the provider is busy (%s)", integration_id, exc)
        return integration_id
    await _sync_calendar_list(integration_id, tenant.id, staff.role, calendars)
    return integration_id


async def has_calendars(integration_id: int) -> bool:
    return bool(await CalendarTarget.exists().where(CalendarTarget.integration == integration_id))


async def ensure_calendar_list(integration_id: int) -> None:
    """List the calendars of an active integration that has none yet (its connect met a busy provider)."""
    row = await CalendarIntegration.select().where(CalendarIntegration.id == integration_id).first()
    if row is None or row["status"] != "active":
        return
    if await has_calendars(integration_id):
        return
    owner = await staff_by_id(int(row["user"]))
    if owner is None:
        return
    calendars = await provider_for(dict(row)).list_calendars()
    await _sync_calendar_list(integration_id, int(row["company"]), owner.role, calendars)


async def connect_caldav(tenant: Tenant, staff: Staff, server_url: str, username: str, password: str) -> int:
    """Discover the account (RFC 6764), seal the password grant and list its calendars as targets.

    Connecting the same account (user name on the same server) again updates the password and keeps the
    settings; a refused password, an unreachable server, one that is not CalDAV or an address the SSRF
    guard refuses is an InvalidInput with a message for people (nothing stored).
    """
    try:
        connected = await discover_account(server_url, username, password, tenant.timezone)
    except ConnectFailed as exc:
        raise InvalidInput(str(exc)) from exc
    sealed = vault.seal_password(connected.credentials)
    existing = None
    for row in await CalendarIntegration.select(CalendarIntegration.id, CalendarIntegration.credentials).where(
        (CalendarIntegration.user == staff.id)
        & (CalendarIntegration.provider == "caldav")
        & (CalendarIntegration.account_email == connected.account)
    ):
        try:
            same = vault.open_password(row["credentials"]).server_url == connected.credentials.server_url
        except vault.VaultError:
            same = not row["credentials"]  # disconnected (password deleted): the same account comes back
        if same:
            existing = row
            break
    values: dict[Any, Any] = {CalendarIntegration.credentials: sealed, CalendarIntegration.status: "active"}
    if existing is not None:
        integration_id = int(existing["id"])
        await CalendarIntegration.update({**values, CalendarIntegration.status_detail: ""}).where(
            CalendarIntegration.id == integration_id
        )
    else:
        rows = await CalendarIntegration.insert(
            CalendarIntegration(
                company=tenant.id,
                user=staff.id,
                provider="caldav",
                account_email=connected.account,
                credentials=sealed,
                include_all_bookings=False,
            )
        ).returning(CalendarIntegration.id)
        integration_id = int(rows[0]["id"])
    await _sync_calendar_list(integration_id, tenant.id, staff.role, connected.calendars)
    return integration_id


async def configure(tenant: Tenant, staff: Staff, integration_id: int, settings: IntegrationSettings) -> Integration:
    row = await _owned(tenant, staff, integration_id)
    await _refuse_read_only(integration_id, settings.calendars or [])
    values: dict[Any, Any] = {}
    if settings.direction is not None:
        values[CalendarIntegration.direction] = settings.direction
    if settings.on_remote_delete is not None:
        values[CalendarIntegration.on_remote_delete] = settings.on_remote_delete
    if settings.include_all_bookings is not None:
        if settings.include_all_bookings and not staff.is_manager:
            raise InvalidInput("only managers can receive every company booking")
        values[CalendarIntegration.include_all_bookings] = settings.include_all_bookings
    if values:
        await CalendarIntegration.update(values).where(CalendarIntegration.id == integration_id)
    for choice in settings.calendars or []:
        if settings.keep_removed_events:
            await _release_removed_kinds(integration_id, choice.id, set(choice.write_kinds))
        updated = (
            await CalendarTarget.update(
                {
                    CalendarTarget.write_kinds: sorted(set(choice.write_kinds)),
                    CalendarTarget.read_busy: choice.read_busy,
                }
            )
            .where((CalendarTarget.id == choice.id) & (CalendarTarget.integration == integration_id))
            .returning(CalendarTarget.id)
        )
        if not updated:
            raise InvalidInput(f"calendar {choice.id} does not belong to integration {integration_id}")
    return await _view(await _visible(tenant, staff, row["id"]))


async def _refuse_read_only(integration_id: int, choices: list[CalendarSetting]) -> None:
    """Bookings, maintenance and deliveries can only go to calendars we may write to (checked before any change)."""
    wanted = {c.id for c in choices if c.write_kinds}
    if not wanted:
        return
    read_only = await CalendarTarget.select(CalendarTarget.name).where(
        CalendarTarget.id.is_in(list(wanted))
        & (CalendarTarget.integration == integration_id)
        & (CalendarTarget.writable == False)  # noqa: E712 - a Piccolo expression, not a comparison
    )
    if read_only:
        names = ", ".join(f"“{r['name']}”" for r in read_only)
        raise InvalidInput(
            f"{names} {'is' if len(read_only) == 1 else 'are'} read-only for this account: Rentcal can only read "
            "busy times there. Choose a calendar you can write to for bookings, maintenance and deliveries."
        )


async def _release_removed_kinds(integration_id: int, target_id: int, kinds: set[str]) -> None:
    """The person keeps the events of kinds this calendar no longer receives: we let go of them."""
    row = (
        await CalendarTarget.select(CalendarTarget.write_kinds)
        .where((CalendarTarget.id == target_id) & (CalendarTarget.integration == integration_id))
        .first()
    )
    if row is None:
        return
    for kind in set(_kinds(row["write_kinds"])) - kinds:
        await CalendarEvent.raw(
            "UPDATE calendar_event SET state = 'deleted' WHERE target = {} AND state = 'synced' AND item_key LIKE {}",
            target_id,
            KEY_PREFIXES[kind] + "%",
        )


async def test_connection(tenant: Tenant, staff: Staff, integration_id: int) -> ConnectionTest:
    row = await _visible(tenant, staff, integration_id)
    try:
        calendars = await provider_for(row).list_calendars()
    except NeedsReconnect as exc:
        return ConnectionTest(False, f"the connection must be renewed: {exc}")
    except ProviderError as exc:
        return ConnectionTest(False, f"{row['provider']} did not answer as expected: {exc}")
    await _sync_calendar_list(integration_id, tenant.id, staff.role, calendars)
    return ConnectionTest(True, f"connected to {row['account_email'] or row['provider']}", len(calendars))


async def disconnect(tenant: Tenant, staff: Staff, integration_id: int, *, remove_events: bool = False) -> int:
    """Stop channels and revoke the grant. Events already in the calendar stay there unless
    `remove_events`; returns how many were removed."""
    from calendars.sync.full import remove_our_events

    row = await _owned(tenant, staff, integration_id)
    removed = await remove_our_events(integration_id) if remove_events and row["status"] == "active" else 0
    for target in await CalendarTarget.select(CalendarTarget.id).where(CalendarTarget.integration == integration_id):
        await channels.stop_channel(int(target["id"]))
    if row["credentials"] and not _password_grant(row["provider"]):  # a password grant has nothing to revoke
        try:
            credentials = vault.open_credentials(row["credentials"])
            await revoke(oauth_config_for(row["provider"]), credentials.refresh_token or credentials.access_token)
        except Exception:  # noqa: S110 - revocation is best effort; the grant is dropped below anyway
            pass
    forget_tokens(integration_id)
    await CalendarIntegration.update(
        {
            CalendarIntegration.status: "disconnected",
            CalendarIntegration.credentials: "",
            CalendarIntegration.status_detail: "disconnected by the user",
        }
    ).where(CalendarIntegration.id == integration_id)
    return removed


async def mapped_events(tenant: Tenant, staff: Staff, integration_id: int, limit: int = 500) -> list[MappedEvent]:
    await _visible(tenant, staff, integration_id)
    rows = await CalendarEvent.raw(
        """
        SELECT e.item_key, t.name AS calendar, e.external_id, e.state, e.last_synced_at
        FROM calendar_event e JOIN calendar_target t ON t.id = e.target
        WHERE e.integration = {} ORDER BY e.last_synced_at DESC LIMIT {}
        """,
        integration_id,
        limit,
    )
    return [MappedEvent(**r) for r in rows]


async def open_conflicts(tenant: Tenant) -> list[Conflict]:
    rows = (
        await SyncConflict.select()
        .where((SyncConflict.company == tenant.id) & SyncConflict.resolved_at.is_null())
        .order_by(SyncConflict.created_at, ascending=False)
    )
    return [
        Conflict(
            r["id"],
            r["integration"],
            r["item_key"],
            r["kind"],
            r["detail"],
            r["remote_starts_at"],
            r["remote_ends_at"],
            r["created_at"],
        )
        for r in rows
    ]


async def resolve_conflict(tenant: Tenant, conflict_id: int) -> None:
    from datetime import UTC, datetime

    rows = (
        await SyncConflict.update({SyncConflict.resolved_at: datetime.now(UTC)})
        .where((SyncConflict.id == conflict_id) & (SyncConflict.company == tenant.id))
        .returning(SyncConflict.id)
    )
    if not rows:
        raise NotFound(f"conflict {conflict_id} not found")


async def integration_ids_for_inbound_target(target_id: int) -> int | None:
    row = await CalendarTarget.select(CalendarTarget.integration).where(CalendarTarget.id == target_id).first()
    return int(row["integration"]) if row else None
