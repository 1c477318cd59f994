"""A password-checked Radicale for end-to-end CalDAV tests, and raw access to what it stores.

The raw helpers speak plain WebDAV with their own client (another CalDAV client, as far as Rentcal
is concerned): they read what is stored and change events the way a phone would.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from icalendar import Calendar, Component

from calendars.providers import caldav_xml as dav
from rentcal.caldav_demo import DEMO_PASSWORD, run_caldav_server

# fresh accounts per test (calendars "Rentcal" and "Personal" each), so tests never share a calendar
ACCOUNTS = {f"user{n}@caldav.test": DEMO_PASSWORD for n in range(12)}
_unused = iter(sorted(ACCOUNTS)[:-1])  # the last one is the browser test's


def next_account_name() -> str:
    """An account no other test of the session has used (every module draws from this one supply)."""
    return next(_unused)


@dataclass(frozen=True)
class Stored:
    url: str
    etag: str
    ics: bytes

    @property
    def vevent(self) -> Component:
        calendar = Calendar.from_ical(self.ics)
        return next(iter(calendar.walk("VEVENT")))


@pytest.fixture(scope="session")
def caldav_server() -> Iterator[str]:
    storage = Path(tempfile.mkdtemp(prefix="caldav-e2e-"))
    try:
        with run_caldav_server(storage, accounts=ACCOUNTS) as url:
            yield url
    finally:
        shutil.rmtree(storage, ignore_errors=True)


class Account:
    def __init__(self, base_url: str, user: str) -> None:
        self.base_url, self.user = base_url, user
        self.client = httpx.AsyncClient(auth=(user, DEMO_PASSWORD), timeout=30)

    def calendar(self, slug: str) -> str:
        return f"{self.base_url}/{self.user}/{slug}/"

    async def stored(self, calendar_url: str) -> list[Stored]:
        response = await self.client.request(
            "REPORT",
            calendar_url,
            content=dav.calendar_query(dav.GETETAG, dav.CALENDAR_DATA),
            headers={"Depth": "1", "Content-Type": "application/xml"},
        )
        assert response.status_code == 207, response.text
        return [
            Stored(urljoin(calendar_url, r.href), r.text(dav.GETETAG) or "", (r.text(dav.CALENDAR_DATA) or "").encode())
            for r in dav.parse_multistatus(response.content).responses
            if r.text(dav.CALENDAR_DATA)
        ]

    async def put(self, url: str, ics: bytes, *, etag: str | None = None) -> httpx.Response:
        headers = {"Content-Type": "text/calendar; charset=utf-8", **({"If-Match": etag} if etag else {})}
        return await self.client.put(url, content=ics, headers=headers)

    async def aclose(self) -> None:
        await self.client.aclose()
