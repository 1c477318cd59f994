"""Cached reads for the hot paths (public availability, the API calendar, bearer tokens).

Each wraps the real service and keeps its answer in this process under a stamp from
`rental.changes`: an answer is reused only while no change of its company (or, for tokens, no
revocation or change of access) has been heard since it was read, and nothing is reused while the
listener is down. Stamps are taken before the database is read, so a change committed while a
value is being computed makes that value stale at once.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime

import msgspec

from rental import accounts, availability, tenants
from rental.accounts import Staff
from rental.changes import StampedCache, changes
from rental.errors import NotFound
from rental.schemas import CalendarDay, ProductCalendar
from rental.tables import Product
from rental.tenants import Tenant

TOKEN_TTL_SECONDS = 60.0  # a token is looked up again once a minute, which also records its use


@dataclass(frozen=True)
class CalendarAnswer:
    """A product calendar as JSON, with a strong ETag computed once, when the body was."""

    body: bytes
    etag: str


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


_tenants: StampedCache[tuple[str, str | int], Tenant] = StampedCache(2048)
_calendars: StampedCache[tuple[int, int, date, date, date, bool], CalendarAnswer] = StampedCache(4096)
_tokens: StampedCache[str, tuple[float, Staff]] = StampedCache(4096)


async def _tenant(key: tuple[str, str | int], load: Callable[[], Awaitable[Tenant]]) -> Tenant:
    entry = _tenants.peek(key)
    if entry is not None and entry[0] == changes.company(entry[1].id):
        return entry[1]
    before = changes.anything()  # the company is known only after the query
    tenant = await load()
    if before is not None and before == changes.anything():
        _tenants.put(key, changes.company(tenant.id), tenant)
    return tenant


def peek_tenant_by_slug(slug: str) -> Tenant | None:
    """The cached tenant when it is still current; None otherwise (no database access)."""
    entry = _tenants.peek(("slug", slug))
    return entry[1] if entry is not None and entry[0] == changes.company(entry[1].id) else None


async def tenant_by_slug(slug: str) -> Tenant:
    return await _tenant(("slug", slug), lambda: tenants.tenant_by_slug(slug))


async def tenant_by_id(company_id: int) -> Tenant:
    return await _tenant(("id", company_id), lambda: tenants.tenant_by_id(company_id))


async def _ensure_public(tenant: Tenant, product_id: int) -> None:
    shown = await Product.exists().where(
        (Product.id == product_id)
        & (Product.company == tenant.id)
        & (Product.public == True)  # noqa: E712
        & (Product.active == True)  # noqa: E712
    )
    if not shown:
        raise NotFound(f"product {product_id} not found")


def peek_calendar(
    tenant: Tenant, product_id: int, first: date, last: date, *, public_only: bool
) -> CalendarAnswer | None:
    """The cached answer when it is still current; None otherwise (no database access)."""
    key = (tenant.id, product_id, first, last, datetime.now(tenant.tz).date(), public_only)
    return _calendars.get(key, changes.company(tenant.id))


async def calendar(tenant: Tenant, product_id: int, first: date, last: date, *, public_only: bool) -> CalendarAnswer:
    """`availability.available_dates` as ProductCalendar JSON; with public_only, NotFound for hidden products."""
    today = datetime.now(tenant.tz).date()
    key = (tenant.id, product_id, first, last, today, public_only)
    stamp = changes.company(tenant.id)
    hit = _calendars.get(key, stamp)
    if hit is not None:
        return hit
    if public_only:
        await _ensure_public(tenant, product_id)
    days = await availability.available_dates(tenant, product_id, first, last)
    value = ProductCalendar(
        product_id=product_id,
        timezone=tenant.timezone,
        days=[CalendarDay(d.day, d.status, d.available_units, d.total_units, d.reason) for d in days],  # type: ignore[arg-type]
    )
    body = msgspec.json.encode(value)
    answer = CalendarAnswer(body, strong_etag(body))
    _calendars.put(key, stamp, answer)
    return answer


def _token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()  # the token itself is never kept


async def staff_for_token(token: str) -> Staff:
    """`accounts.staff_for_token`, reused for a minute unless a revocation is heard meanwhile."""
    key = _token_key(token)
    stamp = changes.access()
    hit = _tokens.get(key, stamp)
    now = time.monotonic()
    if hit is not None and now - hit[0] < TOKEN_TTL_SECONDS:
        return hit[1]
    staff = await accounts.staff_for_token(token)
    _tokens.put(key, stamp, (now, staff))
    return staff
