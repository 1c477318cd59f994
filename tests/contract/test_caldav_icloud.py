"""What iCloud does differently, through a thin fault-injecting proxy in front of Radicale (real HTTP).

The whole CalDAV contract runs again with discovery on a front address that names the calendar home on
a per-user host (absolute URL, explicit port) and sends everything else there, and with weak ETags
(``W/"..."``) in headers and listings. Then each quirk on its own: collections that refuse
sync-collection (403, 501) are read through ctag + etags, a shared read-only calendar is listed as
read-only and refuses writes with 403.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

import tests.contract.test_caldav_adapter as caldav_contract
from calendars.accounts.caldav import with_primary
from calendars.ical.vevent import uid_for
from calendars.providers.base import FullSyncRequired, PreconditionFailed, RequestRejected
from calendars.providers.caldav import CaldavProvider
from calendars.providers.caldav_model import PasswordGrant, event_url
from rentcal.caldav_demo import DEMO_PASSWORD, make_calendar, run_caldav_server
from tests.contract.provider_contract import BASE_START, RemoteMutation, sample_event
from tests.contract.test_caldav_adapter import USER, Server, plain_server  # noqa: F401
from tests.support.dav_proxy import DavProxy, Quirks, run_dav_proxy

ICLOUD = Quirks(per_user_host=True, weak_etags=True, no_sync=("nosync-",), read_only=("shared-",))


@pytest.fixture(scope="module")
def radicale() -> Iterator[Server]:
    storage = Path(tempfile.mkdtemp(prefix="caldav-icloud-"))
    try:
        with run_caldav_server(storage) as url:
            yield Server(url, storage)
    finally:
        shutil.rmtree(storage, ignore_errors=True)


@pytest.fixture(scope="module")
def icloud(radicale: Server) -> Iterator[DavProxy]:
    with run_dav_proxy(radicale.url, ICLOUD) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def caldav(radicale: Server, icloud: DavProxy) -> Server:
    """What the contract calls the server: the front address (caldav.icloud.com), Radicale's storage."""
    return Server(icloud.front_url, radicale.storage)


def new_calendar(radicale: Server, icloud: DavProxy, prefix: str = "cal-") -> str:
    """A calendar made beside the proxy; its id as discovery finds it, on the per-user host."""
    slug = f"{prefix}{uuid.uuid4().hex[:12]}"
    with httpx.Client(base_url=radicale.url, auth=(USER, DEMO_PASSWORD), timeout=10) as client:
        make_calendar(client, f"/{USER}/{slug}/", f"Calendar {slug}", "#F4511EFF")
    return f"{icloud.host_url}/{quote(USER)}/{slug}/"


class TestCaldavThroughICloudQuirks(caldav_contract.TestCaldavProvider):
    @pytest.fixture
    def calendar_id(self, radicale: Server, icloud: DavProxy) -> str:
        return new_calendar(radicale, icloud)


# ---- each quirk on its own --------------------------------------------------------------------------------


@pytest.fixture
async def provider(icloud: DavProxy) -> AsyncIterator[Callable[[], CaldavProvider]]:
    """New adapters (each remembers what it learnt of the collections) on one client, from the front address."""
    async with httpx.AsyncClient(timeout=10) as client:

        def make() -> CaldavProvider:
            grant = PasswordGrant(icloud.front_url, USER, DEMO_PASSWORD)
            return CaldavProvider(grant, client, zone="Europe/Berlin", backoff_base=0.01, backoff_max=0.05)

        yield make


@pytest.fixture
async def mutate(radicale: Server, icloud: DavProxy) -> AsyncIterator[RemoteMutation]:
    """The person's phone, talking to the server directly."""
    async with httpx.AsyncClient(timeout=10) as phone:

        async def change(calendar_id: str, event_id: str, **changes: Any) -> None:
            direct = radicale.url + calendar_id.removeprefix(icloud.host_url)
            await caldav_contract.change_remotely(phone, direct, event_id, **changes)

        yield change


async def test_discovery_finds_the_home_on_the_per_user_host(
    icloud: DavProxy, radicale: Server, provider: Callable[[], CaldavProvider]
) -> None:
    icloud.seen.clear()
    adapter = provider()
    found = await adapter.discover()
    assert found.principal_url.startswith(icloud.front_url)
    assert found.home_urls == [f"{icloud.host_url}/{quote(USER)}/"]
    calendars = await adapter.list_calendars()
    assert calendars and all(c.id.startswith(icloud.host_url) for c in calendars)
    front = [(s.method, s.path, s.status) for s in icloud.seen if s.listener == "front"]
    assert ("PROPFIND", "/.well-known/caldav", 301) in front
    assert all(method == "PROPFIND" for method, _, _ in front)  # the front only served discovery
    calendar_id = new_calendar(radicale, icloud)
    key = f"booking:{uuid.uuid4().hex}"
    icloud.seen.clear()
    created = await adapter.create_event(calendar_id, sample_event(key), idempotency_key=key)
    assert created.etag.startswith('W/"')
    assert {s.listener for s in icloud.seen} == {"host"}


async def test_weak_etags_are_kept_as_given_and_sent_back(
    radicale: Server, icloud: DavProxy, provider: Callable[[], CaldavProvider], mutate: RemoteMutation
) -> None:
    adapter = provider()
    calendar_id = new_calendar(radicale, icloud)
    key = f"booking:{uuid.uuid4().hex}"
    created = await adapter.create_event(calendar_id, sample_event(key), idempotency_key=key)
    (listed,) = (await adapter.list_changes(calendar_id, None)).events
    assert created.etag.startswith('W/"') and listed.etag == created.etag  # the tag listings report
    moved = await adapter.update_event(calendar_id, created.id, sample_event(key, summary="Moved"), etag=created.etag)
    assert moved.etag.startswith('W/"') and moved.etag != created.etag
    await mutate(calendar_id, created.id, summary="Changed on the phone")
    with pytest.raises(PreconditionFailed):
        await adapter.update_event(calendar_id, created.id, sample_event(key), etag=moved.etag)
    assert (await adapter.get_event(calendar_id, created.id)).summary == "Changed on the phone"


@pytest.mark.parametrize("status", [403, 501])
async def test_a_collection_without_sync_collection_is_read_through_ctag_and_etags(
    radicale: Server,
    icloud: DavProxy,
    provider: Callable[[], CaldavProvider],
    mutate: RemoteMutation,
    status: int,
) -> None:
    icloud.quirks.no_sync_status = status
    adapter = provider()
    calendar_id = new_calendar(radicale, icloud, "nosync-")
    keys = [f"booking:{uuid.uuid4().hex}" for _ in range(3)]
    for key in keys:
        await adapter.create_event(calendar_id, sample_event(key), idempotency_key=key)
    icloud.seen.clear()
    full = await adapter.list_changes(calendar_id, None)
    assert full.full and full.next_sync_token and full.next_sync_token.startswith("ctag:")
    assert {e.key for e in full.events} == set(keys)
    refused = [s for s in icloud.seen if s.method == "REPORT" and s.status == status]
    assert len(refused) == 1  # asked once, not retried as if the server were busy
    quiet = await adapter.list_changes(calendar_id, full.next_sync_token)
    assert quiet.events == [] and not quiet.full
    await mutate(calendar_id, uid_for(keys[0]), summary="Moved on the phone")
    await mutate(calendar_id, uid_for(keys[1]), delete=True)
    icloud.seen.clear()
    delta = await adapter.list_changes(calendar_id, quiet.next_sync_token)
    by_id = {e.id: e for e in delta.events}
    assert set(by_id) == {uid_for(keys[0]), uid_for(keys[1])}
    assert by_id[uid_for(keys[0])].summary == "Moved on the phone" and by_id[uid_for(keys[1])].deleted
    assert not any(s.status == status for s in icloud.seen)  # the ctag cursor never asks for sync-collection
    # a collection that used to offer sync-collection and stopped: its old token means a full read, by etags
    with pytest.raises(FullSyncRequired):
        await adapter.list_changes(calendar_id, "sync:http://radicale.org/ns/sync/" + "0" * 64)
    again = await provider().list_changes(calendar_id, None)
    assert again.full and again.next_sync_token and again.next_sync_token.startswith("ctag:")
    assert {e.key for e in again.events} == {keys[0], keys[2]}


async def test_a_shared_read_only_calendar_is_listed_read_only_and_refuses_writes(
    radicale: Server, icloud: DavProxy, provider: Callable[[], CaldavProvider]
) -> None:
    adapter = provider()
    shared = new_calendar(radicale, icloud, "shared-")
    calendars = {c.id: c for c in await adapter.list_calendars()}
    assert calendars[shared].writable is False
    assert all(c.writable for i, c in calendars.items() if i != shared)
    assert not next(c for c in with_primary(list(calendars.values())) if c.id == shared).primary
    key = f"booking:{uuid.uuid4().hex}"
    icloud.seen.clear()
    with pytest.raises(RequestRejected, match=r"403.*read-only"):
        await adapter.create_event(shared, sample_event(key, starts_at=BASE_START), idempotency_key=key)
    assert [s.status for s in icloud.seen if s.method == "PUT"] == [403]  # refused for good: not retried
    direct = radicale.url + shared.removeprefix(icloud.host_url)
    async with httpx.AsyncClient(auth=(USER, DEMO_PASSWORD)) as phone:
        assert (await phone.get(event_url(direct, uid_for(key)))).status_code == 404
