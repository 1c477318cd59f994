"""CAL-111: subscription feeds at /feeds/{token}.ics, with unguessable, revocable tokens.

The token (secrets.token_urlsafe(32)) is shown once, when created or regenerated; only its
SHA-256 is stored. A feed answers only while its token is not revoked, its owner is active, and
the owner's current role may see that kind of feed. The ETag is a fingerprint of the feed's
content, so a 304 needs no rendering; Last-Modified is when that content was first served.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import msgspec

from calendars.feeds.content import Scope, feed_events, fingerprint
from calendars.ical import render_feed
from calendars.ical_tables import FeedSubscription
from rental.accounts import Staff
from rental.errors import Forbidden, InvalidInput, NotFound
from rental.tables import Product
from rental.tenants import Tenant
from rentcal.settings import get_settings

MANAGERS = ("admin", "manager")
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "assignments": ("My assignments", ("admin", "manager", "driver", "technician")),
    "company": ("All company bookings", MANAGERS),
    "product": ("One product", (*MANAGERS, "technician")),
    "deliveries": ("Deliveries and pickups", (*MANAGERS, "driver")),
    "maintenance": ("Maintenance", (*MANAGERS, "technician")),
}
REFRESH_INTERVAL = timedelta(minutes=15)
WINDOW_PAST, WINDOW_DAYS = timedelta(days=60), 460
FORMAT_VERSION = 2  # raise when the rendering changes, so every ETag changes
_BODIES: OrderedDict[str, bytes] = OrderedDict()
_BODY_CACHE_SIZE = 8


class Subscription(msgspec.Struct):
    id: int
    kind: str
    name: str
    product_id: int | None
    owner_id: int
    owner_name: str
    created_at: datetime
    token_created_at: datetime
    revoked_at: datetime | None
    last_fetched_at: datetime | None


class NewLink(msgspec.Struct):
    subscription: Subscription
    https: str
    webcal: str


@dataclass(frozen=True)
class FeedAnswer:
    status: int  # 200 or 304
    body: bytes
    etag: str
    last_modified: datetime


def allowed_kinds(role: str) -> list[str]:
    return [kind for kind, (_, roles) in KINDS.items() if role in roles]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_urls(token: str) -> tuple[str, str]:
    https = f"{get_settings().base_url}/feeds/{token}.ics"
    return https, "webcal://" + https.split("://", 1)[1]


async def list_subscriptions(tenant: Tenant, staff: Staff) -> list[Subscription]:
    """The staff member's feeds; managers see (and may revoke) every feed of the company."""
    rows = await FeedSubscription.raw(
        "SELECT f.*, s.name AS owner_name FROM feed_subscription f JOIN staff_user s ON s.id = f.owner "
        "WHERE f.company = {} AND (f.owner = {} OR {}) ORDER BY f.revoked_at IS NOT NULL, f.id",
        tenant.id,
        staff.id,
        staff.is_manager,
    )
    return [_subscription(r) for r in rows]


def _subscription(row: dict[str, Any]) -> Subscription:
    return Subscription(
        row["id"],
        row["kind"],
        row["name"],
        row["product"],
        row["owner"],
        row["owner_name"],
        row["created_at"],
        row["token_created_at"],
        row["revoked_at"],
        row["last_fetched_at"],
    )


async def create_subscription(
    tenant: Tenant, staff: Staff, kind: str, product_id: int | None = None, name: str = ""
) -> NewLink:
    if kind not in KINDS:
        raise InvalidInput(f"unknown feed kind {kind!r}")
    if kind not in allowed_kinds(staff.role):
        raise Forbidden(f"a {staff.role} cannot subscribe to {KINDS[kind][0].lower()}")
    label = KINDS[kind][0]
    if kind == "product":
        product = (
            await Product.select(Product.name)
            .where((Product.id == (product_id or 0)) & (Product.company == tenant.id))
            .first()
        )
        if product is None:
            raise InvalidInput("choose a product of this company")
        label = product["name"]
    else:
        product_id = None
    token = secrets.token_urlsafe(32)
    rows = await FeedSubscription.insert(
        FeedSubscription(
            company=tenant.id,
            owner=staff.id,
            kind=kind,
            product=product_id,
            name=(name.strip() or label)[:200],
            token_hash=token_hash(token),
        )
    ).returning(FeedSubscription.id)
    return await _new_link(tenant, staff, int(rows[0]["id"]), token)


async def _new_link(tenant: Tenant, staff: Staff, subscription_id: int, token: str) -> NewLink:
    found = [s for s in await list_subscriptions(tenant, staff) if s.id == subscription_id]
    https, webcal = feed_urls(token)
    return NewLink(found[0], https, webcal)


async def _owned(tenant: Tenant, staff: Staff, subscription_id: int) -> Subscription:
    for subscription in await list_subscriptions(tenant, staff):
        if subscription.id == subscription_id:
            return subscription
    raise NotFound(f"feed {subscription_id} not found")


async def regenerate(tenant: Tenant, staff: Staff, subscription_id: int) -> NewLink:
    """A new token for the owner's feed; the old URL answers 404 from now on."""
    subscription = await _owned(tenant, staff, subscription_id)
    if subscription.owner_id != staff.id:
        raise Forbidden("only the owner of a feed can get a new link for it")
    token = secrets.token_urlsafe(32)
    await FeedSubscription.update(
        {
            FeedSubscription.token_hash: token_hash(token),
            FeedSubscription.token_created_at: datetime.now(UTC),
            FeedSubscription.revoked_at: None,
        }
    ).where(FeedSubscription.id == subscription_id)
    return await _new_link(tenant, staff, subscription_id, token)


async def revoke(tenant: Tenant, staff: Staff, subscription_id: int) -> None:
    await _owned(tenant, staff, subscription_id)
    await FeedSubscription.update({FeedSubscription.revoked_at: datetime.now(UTC)}).where(
        (FeedSubscription.id == subscription_id) & FeedSubscription.revoked_at.is_null()
    )


def scope_for(row: dict[str, Any], now: datetime) -> Scope | None:
    """What the feed shows for its owner's current role; None if that role may not see it."""
    role, kind = row["role"], row["kind"]
    if kind not in allowed_kinds(role):
        return None
    manager = role in MANAGERS
    start = datetime.combine((now - WINDOW_PAST).date(), datetime.min.time(), tzinfo=UTC)
    base = Scope(
        company_id=row["company"],
        timezone=row["timezone"],
        host=urlsplit(get_settings().base_url).hostname or "rentcal.invalid",
        window=(start, start + timedelta(days=WINDOW_DAYS)),
        staff_id=row["owner"],
        product_id=row["product"],
    )
    modes: dict[str, dict[str, Any]] = {
        "assignments": {
            "bookings": "assigned",
            "deliveries": "driver",
            "maintenance": "technician",
            "blocks": "staff",
        },
        "company": {"bookings": "all", "blocks": "company"},
        "product": {"bookings": "product", "maintenance": "product", "blocks": "company"},
        "deliveries": {"deliveries": "all" if manager else "driver"},
        "maintenance": {"maintenance": "all" if manager else "technician"},
    }
    return replace(base, **modes[kind])


async def answer(
    token: str, if_none_match: str | None, if_modified_since: datetime | None, now: datetime | None = None
) -> FeedAnswer | None:
    """The feed for a token, or None (404) for an unknown or revoked token or a feed its owner may not see."""
    now = now or datetime.now(UTC)
    rows = await FeedSubscription.raw(
        "SELECT f.*, s.role, s.active, c.timezone, c.name AS company_name FROM feed_subscription f "
        "JOIN staff_user s ON s.id = f.owner JOIN company c ON c.id = f.company "
        "WHERE f.token_hash = {} AND f.revoked_at IS NULL",
        token_hash(token),
    )
    row = rows[0] if rows else None
    scope = scope_for(row, now) if row and row["active"] else None
    if row is None or scope is None:
        return None
    title = f"{row['company_name']} · {row['name']}"
    version = [FORMAT_VERSION, title, scope.timezone, scope.host, scope.window, await fingerprint(scope)]
    etag = f'"{hashlib.sha256(msgspec.msgpack.encode(version)).hexdigest()[:40]}"'
    changed_at = await _remember(row, etag, now)
    if _not_modified(etag, changed_at, if_none_match, if_modified_since):
        return FeedAnswer(304, b"", etag, changed_at)
    body = _BODIES.get(etag)
    if body is None:
        body = render_feed(
            title,
            scope.timezone,
            await feed_events(scope),
            refresh_interval=REFRESH_INTERVAL,
            description=f"{KINDS[row['kind']][0]} from Rentcal",
        )
        _BODIES[etag] = body
        while len(_BODIES) > _BODY_CACHE_SIZE:
            _BODIES.popitem(last=False)
    return FeedAnswer(200, body, etag, changed_at)


def _not_modified(
    etag: str, changed_at: datetime, if_none_match: str | None, if_modified_since: datetime | None
) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present; otherwise If-Modified-Since."""
    if if_none_match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
        return "*" in tags or etag in tags
    return if_modified_since is not None and changed_at.replace(microsecond=0) <= if_modified_since


async def _remember(row: dict[str, Any], etag: str, now: datetime) -> datetime:
    """When this content first appeared; also notes the fetch (at most once a minute)."""
    if row["etag"] == etag and row["changed_at"] is not None:
        if row["last_fetched_at"] is None or now - row["last_fetched_at"] > timedelta(minutes=1):
            await FeedSubscription.update({FeedSubscription.last_fetched_at: now}).where(
                FeedSubscription.id == row["id"]
            )
        return row["changed_at"]  # type: ignore[no-any-return]
    await FeedSubscription.update(
        {
            FeedSubscription.etag: etag,
            FeedSubscription.changed_at: now,
            FeedSubscription.last_fetched_at: now,
        }
    ).where(FeedSubscription.id == row["id"])
    return now
