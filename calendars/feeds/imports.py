"""CAL-107: external .ics feeds (public holidays, a technician's own calendar) as availability blocks.

A company feed (managers) gives company-wide blocks, a personal feed blocks its staff member.
Each refresh expands the feed over [-30 days, +400 days] and replaces the feed's blocks
(source "feed:<id>") in one transaction. A feed that cannot be read or parsed keeps its last
good blocks; its `last_error` and `last_success_at` say what happened. Personal feeds keep no
titles ("Busy (<feed name>)"); company feeds keep the event's summary as the block's reason.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from calendars import vault
from calendars.feeds import fetch
from calendars.ical import FeedError, FeedReading, ImportedEvent, read_feed
from calendars.ical_tables import FeedImport
from rental.accounts import Staff
from rental.errors import Forbidden, NotFound
from rental.tables import AvailabilityBlock
from rental.tenants import Tenant
from rentcal.settings import get_settings

WINDOW_PAST = timedelta(days=30)
WINDOW_FUTURE = timedelta(days=400)
FULL_FETCH_EVERY = timedelta(days=1)  # conditional GETs in between; a full read at least daily


MAX_SKIPPED_SHOWN = 50


class SkippedView(msgspec.Struct):
    event: str
    reason: str


class ImportView(msgspec.Struct):
    id: int
    name: str
    url_display: str
    staff_id: int | None
    created_at: datetime
    last_attempt_at: datetime | None
    last_success_at: datetime | None
    last_error: str
    event_count: int
    skipped: list[SkippedView] = msgspec.field(default_factory=list)

    @property
    def personal(self) -> bool:
        return self.staff_id is not None


def source(feed_id: int) -> str:
    return f"feed:{feed_id}"


def _view(row: dict[str, Any]) -> ImportView:
    return ImportView(
        row["id"],
        row["name"],
        row["url_display"],
        row["staff"],
        row["created_at"],
        row["last_attempt_at"],
        row["last_success_at"],
        row["last_error"],
        row["event_count"],
        msgspec.convert(_json(row.get("skipped")), list[SkippedView]),
    )


def _json(value: Any) -> Any:
    return msgspec.json.decode(value) if isinstance(value, str | bytes) else (value or [])


async def add_import(tenant: Tenant, staff: Staff, name: str, url: str, personal: bool) -> ImportView:
    if not personal and not staff.is_manager:
        raise Forbidden("only managers can import a calendar for the whole company; import it as your own")
    normalized = fetch.normalize_url(url)
    label = name.strip()[:200] or fetch.display_url(normalized)
    rows = await FeedImport.insert(
        FeedImport(
            company=tenant.id,
            staff=staff.id if personal else None,
            name=label,
            url_sealed=vault.encrypt({"url": normalized}),
            url_display=fetch.display_url(normalized),
        )
    ).returning(*FeedImport.all_columns(exclude=[FeedImport.url_sealed]))
    return _view(rows[0])


async def list_imports(tenant: Tenant, staff: Staff) -> list[ImportView]:
    """Company feeds and the staff member's own; managers see every feed of the company."""
    query = FeedImport.select(*FeedImport.all_columns(exclude=[FeedImport.url_sealed])).where(
        FeedImport.company == tenant.id
    )
    if not staff.is_manager:
        query = query.where(FeedImport.staff.is_null() | (FeedImport.staff == staff.id))
    return [_view(r) for r in await query.order_by(FeedImport.id)]


async def _own(tenant: Tenant, staff: Staff, feed_id: int, *, change: bool) -> ImportView:
    found = [f for f in await list_imports(tenant, staff) if f.id == feed_id]
    if not found:
        raise NotFound(f"imported feed {feed_id} not found")
    if change and not staff.is_manager and found[0].staff_id != staff.id:
        raise Forbidden("only managers can change the company's imported feeds")
    return found[0]


async def delete_import(tenant: Tenant, staff: Staff, feed_id: int) -> None:
    await _own(tenant, staff, feed_id, change=True)
    async with FeedImport._meta.db.transaction():
        await AvailabilityBlock.delete().where(
            (AvailabilityBlock.company == tenant.id) & (AvailabilityBlock.source == source(feed_id))
        )
        await FeedImport.delete().where((FeedImport.id == feed_id) & (FeedImport.company == tenant.id))


async def get_import(tenant: Tenant, staff: Staff, feed_id: int) -> ImportView:
    """One imported feed the staff member may see (NotFound otherwise)."""
    return await _own(tenant, staff, feed_id, change=False)


async def refresh_for(tenant: Tenant, staff: Staff, feed_id: int) -> ImportView:
    """The "Refresh now" button: read the feed at once."""
    await _own(tenant, staff, feed_id, change=False)
    await refresh(feed_id)
    return await _own(tenant, staff, feed_id, change=False)


async def due_imports(now: datetime | None = None) -> list[int]:
    cutoff = (now or datetime.now(UTC)) - timedelta(minutes=get_settings().feed_import_minutes)
    rows = await FeedImport.select(FeedImport.id).where(
        FeedImport.last_attempt_at.is_null() | (FeedImport.last_attempt_at < cutoff)
    )
    return [r["id"] for r in rows]


async def refresh(feed_id: int, now: datetime | None = None) -> bool:
    """Read the feed and replace its blocks; False (with last_error recorded) if it could not be used."""
    now = now or datetime.now(UTC)
    rows = await FeedImport.raw(
        "SELECT f.*, c.timezone FROM feed_import f JOIN company c ON c.id = f.company WHERE f.id = {}", feed_id
    )
    if not rows:
        return False
    feed = rows[0]
    recent = feed["last_success_at"] is not None and feed["last_success_at"] > now - FULL_FETCH_EVERY
    settings = get_settings()
    deadline = settings.feed_import_deadline_seconds
    try:
        async with asyncio.timeout(deadline):
            url = str(vault.decrypt(feed["url_sealed"]).get("url", ""))
            fetched = await fetch.fetch(
                url,
                etag=feed["remote_etag"] if recent else "",
                last_modified=feed["remote_last_modified"] if recent else "",
                allow_private=settings.allow_private_fetch,
                deadline=deadline,
            )
            # Parsing is CPU work on untrusted data (bounded by read_feed's own limits): off the event loop.
            reading = (
                None
                if fetched.body is None
                else await asyncio.to_thread(
                    read_feed, fetched.body, now - WINDOW_PAST, now + WINDOW_FUTURE, default_tz=feed["timezone"]
                )
            )
    except TimeoutError:
        await _record_error(feed_id, now, f"Reading the feed took longer than {deadline:g} seconds; it was stopped.")
        return False
    except (FeedError, vault.VaultError) as exc:
        await _record_error(feed_id, now, str(exc))
        return False
    await _replace_blocks(feed, reading, fetched, now)
    return True


async def _record_error(feed_id: int, now: datetime, error: str) -> None:
    await FeedImport.update({FeedImport.last_attempt_at: now, FeedImport.last_error: error[:1000]}).where(
        FeedImport.id == feed_id
    )


async def _replace_blocks(
    feed: dict[str, Any], reading: FeedReading | None, fetched: fetch.Fetched, now: datetime
) -> None:
    async with FeedImport._meta.db.transaction():
        if not await FeedImport.raw("SELECT id FROM feed_import WHERE id = {} FOR UPDATE", feed["id"]):
            return  # deleted meanwhile
        values: dict[Any, Any] = {
            FeedImport.last_attempt_at: now,
            FeedImport.last_success_at: now,
            FeedImport.last_error: "",
            FeedImport.remote_etag: fetched.etag[:300],
            FeedImport.remote_last_modified: fetched.last_modified[:100],
        }
        if reading is not None:
            kept = [e for e in reading.events if e.ends_at > e.starts_at]
            await AvailabilityBlock.raw(
                "DELETE FROM availability_block WHERE company = {} AND source = {}", feed["company"], source(feed["id"])
            )
            await _insert_blocks(feed, kept)
            values[FeedImport.event_count] = len(kept)
            shown = [SkippedView(s.event, s.reason) for s in reading.skipped[:MAX_SKIPPED_SHOWN]]
            values[FeedImport.skipped] = msgspec.json.encode(shown).decode()
        await FeedImport.update(values).where(FeedImport.id == feed["id"])


async def _insert_blocks(feed: dict[str, Any], events: list[ImportedEvent]) -> None:
    if not events:
        return
    personal = feed["staff"] is not None
    reasons = [(f"Busy ({feed['name']})" if personal else (e.summary.strip() or feed["name"]))[:200] for e in events]
    await AvailabilityBlock.raw(
        """
        INSERT INTO availability_block (company, product, unit, staff, blocked_from, blocked_until, reason, rrule,
                                        source, all_day, created_at)
        SELECT {}, NULL, NULL, {}, b.f, b.u, b.r, NULL, {}, b.a, now()
        FROM unnest({}::timestamptz[], {}::timestamptz[], {}::text[], {}::boolean[]) AS b(f, u, r, a)
        """,
        feed["company"],
        feed["staff"],
        source(feed["id"]),
        [e.starts_at for e in events],
        [e.ends_at for e in events],
        reasons,
        [e.all_day for e in events],
    )
