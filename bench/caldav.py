"""CalDAV adapter against a plain client, into the same Radicale in the same run.

Initial push: 1,000 events written by the adapter (``create_event``: storage VEVENT with alarms and
colour, ``If-None-Match: *``, the etag kept) beside a plain httpx client PUTting the same 1,000
VEVENTs with ``If-None-Match: *``, each into its own empty calendar, both with the adapter's concurrency.
Incremental read: 10 events changed by another client, then the adapter's ``list_changes`` from its
cursor (sync-collection + calendar-multiget + parsing) beside the plain client doing the same two
REPORTs. No database: the figures are the adapter's own cost over the wire.

    python -m bench.caldav [--events 1000] [--changes 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from bench.common import machine
from calendars.ical.vevent import build_storage_object, uid_for
from calendars.providers import caldav_xml as dav
from calendars.providers.base import EventData, Reminder
from calendars.providers.caldav import CaldavProvider
from calendars.providers.caldav_model import PasswordGrant, event_url, storage_event
from rentcal.caldav_demo import DEMO_PASSWORD, make_calendar, run_caldav_server

USER = "driver@demo.test"
ZONE = "America/Los_Angeles"
START = datetime(2030, 1, 7, 16, 0, tzinfo=UTC)


def booking(index: int, summary: str = "Mini excavator 1.8 t") -> EventData:
    starts_at = START + timedelta(hours=5 * index)
    return EventData(
        summary=f"{summary} #{index}",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=4),
        timezone=ZONE,
        description="Booking, delivery to site",
        location="Main yard, 123 Industrial Way",
        color="banana",
        reminders=(Reminder("popup", 30), Reminder("email", 24 * 60)),
        key=f"booking:{index}",
    )


async def bounded(jobs: list[Callable[[], Awaitable[object]]], limit: int) -> None:
    semaphore = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[object]]) -> None:
        async with semaphore:
            await job()

    await asyncio.gather(*(one(job) for job in jobs))


async def timed(work: Callable[[], Awaitable[object]]) -> float:
    started = time.perf_counter()
    await work()
    return time.perf_counter() - started


def new_calendar(base_url: str, label: str) -> str:
    slug = f"{label}-{uuid.uuid4().hex[:8]}"
    with httpx.Client(base_url=base_url, auth=(USER, DEMO_PASSWORD), timeout=30) as client:
        make_calendar(client, f"/{USER}/{slug}/", slug, "#1E88E5FF")
    return f"{base_url}/{USER}/{slug}/"


async def plain_report(client: httpx.AsyncClient, url: str, body: bytes, depth: str | None) -> dav.Multistatus:
    headers = {"Content-Type": "application/xml", **({"Depth": depth} if depth else {})}
    response = await client.request("REPORT", url, content=body, headers=headers)
    response.raise_for_status()
    return dav.parse_multistatus(response.content)


async def plain_changes(client: httpx.AsyncClient, calendar: str, token: str) -> tuple[int, str]:
    """What a plain client does for an incremental read: sync-collection, then multiget of what changed."""
    answer = await plain_report(client, calendar, dav.sync_collection(token, dav.GETETAG), None)
    hrefs = [r.href for r in answer.responses if r.status != 404]
    got = await plain_report(client, calendar, dav.calendar_multiget(hrefs, dav.GETETAG, dav.CALENDAR_DATA), "1")
    return len(got.responses), answer.sync_token or ""


async def change(client: httpx.AsyncClient, calendar: str, index: int) -> None:
    """Another client moves an event (a new summary): a PUT of a new version."""
    body = build_storage_object(storage_event(booking(index, "Moved"), uid=uid_for(f"booking:{index}")))
    response = await client.put(event_url(calendar, uid_for(f"booking:{index}")), content=body)
    response.raise_for_status()


async def one_round(base_url: str, events: int, changes: int, ours_first: bool) -> dict[str, float]:
    ours_calendar, plain_calendar = new_calendar(base_url, "ours"), new_calendar(base_url, "plain")
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    async with (
        httpx.AsyncClient(timeout=60, limits=limits) as ours_http,
        httpx.AsyncClient(timeout=60, limits=limits, auth=(USER, DEMO_PASSWORD)) as plain,
    ):
        adapter = CaldavProvider(PasswordGrant(base_url, USER, DEMO_PASSWORD), ours_http, zone=ZONE)
        concurrency = adapter.max_concurrency
        data = [booking(i) for i in range(events)]
        bodies = [build_storage_object(storage_event(e, uid=uid_for(e.key or ""))) for e in data]

        async def put_plain(index: int) -> None:
            url = event_url(plain_calendar, uid_for(f"booking:{index}"))
            response = await plain.put(
                url, content=bodies[index], headers={"If-None-Match": "*", "Content-Type": "text/calendar"}
            )
            response.raise_for_status()

        async def push_ours(index: int) -> None:
            await adapter.create_with_id(ours_calendar, uid_for(f"booking:{index}"), data[index])

        async def push_all(one: Callable[[int], Awaitable[None]]) -> float:
            return await timed(lambda: bounded([functools.partial(one, i) for i in range(events)], concurrency))

        # each into an equally empty calendar; who goes first alternates between rounds
        if ours_first:
            ours_push, plain_push = await push_all(push_ours), await push_all(put_plain)
        else:
            plain_push, ours_push = await push_all(put_plain), await push_all(push_ours)

        first = await adapter.list_changes(ours_calendar, None)
        plain_token = (await plain_report(plain, plain_calendar, dav.sync_collection("", dav.GETETAG), None)).sync_token
        assert first.next_sync_token and plain_token and len(first.events) == events
        for index in range(0, events, events // changes)[:changes]:
            await change(plain, ours_calendar, index)
            await change(plain, plain_calendar, index)

        async def read_ours() -> tuple[float, int]:
            started = time.perf_counter()
            delta = await adapter.list_changes(ours_calendar, first.next_sync_token)
            return time.perf_counter() - started, len(delta.events)

        async def read_plain() -> tuple[float, int]:
            started = time.perf_counter()
            fetched, _ = await plain_changes(plain, plain_calendar, plain_token)
            return time.perf_counter() - started, fetched

        # the server's first look at a changed collection costs more: who reads first alternates too
        if ours_first:
            (ours_read, read), (plain_read, fetched) = await read_ours(), await read_plain()
        else:
            (plain_read, fetched), (ours_read, read) = await read_plain(), await read_ours()
        assert read == changes == fetched, (read, fetched)
    return {"ours_push": ours_push, "plain_push": plain_push, "ours_read": ours_read, "plain_read": plain_read}


async def main_async(events: int, changes: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-caldav-") as storage:
        with run_caldav_server(Path(storage), accounts={USER: DEMO_PASSWORD}) as base_url:
            results = [await one_round(base_url, events, changes, n % 2 == 1) for n in range(rounds)]
    median = {name: statistics.median(r[name] for r in results) for name in results[0]}
    print(f"\nMachine: {machine()}; {datetime.now(UTC):%Y-%m-%d}; Radicale on the same machine; median of {rounds}")
    print("\n| measure | ours (adapter) | plain httpx | ours / plain (throughput) |")
    print("| --- | --- | --- | --- |")
    push_ratio = median["plain_push"] / median["ours_push"]
    read_ratio = median["plain_read"] / median["ours_read"]
    print(
        f"| initial push, {events:,} events | {median['ours_push']:.2f} s ({events / median['ours_push']:,.0f}/s) "
        f"| {median['plain_push']:.2f} s ({events / median['plain_push']:,.0f}/s) | {push_ratio:.2f} |"
    )
    print(
        f"| incremental read after {changes} changes | {median['ours_read'] * 1000:.0f} ms "
        f"| {median['plain_read'] * 1000:.0f} ms | {read_ratio:.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main_async(args.events, args.changes, args.rounds))


if __name__ == "__main__":
    main()
