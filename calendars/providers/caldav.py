"""CalDAV adapter (Apple iCloud, Fastmail, Nextcloud, Radicale, any RFC 4791 server).

Speaks WebDAV/CalDAV over a caller-owned ``httpx.AsyncClient`` with Basic auth (user name plus an
app-specific password) and turns it into the shared types of ``base.py``:

* discovery per RFC 6764 / RFC 5397 / RFC 4791: ``/.well-known/caldav`` (or the address given),
  ``current-user-principal``, ``calendar-home-set``; redirects (iCloud: to a per-user host) are
  followed with the same method and body;
* one resource per item, ``{uid}.ics``: ``If-None-Match: *`` on create (412: ours after a lost
  reply is adopted, anything else is ``EventExists``), ``If-Match`` on update and delete (412 is
  ``PreconditionFailed``, which the engine treats like a changed remote event); the etag returned
  is the one listings report (a GET when the PUT answer carries none);
* reads through ``sync-collection`` (RFC 6578) with the sync token as the opaque cursor, or, for
  collections without it, ``getctag`` plus an etag comparison through ``calendar-query``.

Types and pure mappings live in ``caldav_model``, XML bodies and answers in ``caldav_xml``.
Nothing here touches the database or logs a password. Pass a client with the SSRF request hook
(see ``calendars.feeds.fetch``) when the server address comes from a person.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from urllib.parse import unquote, urljoin, urlsplit

import httpx

from calendars.ical.vevent import (
    StorageEvent,
    build_storage_object,
    parse_remote_object,
    uid_for,
    written_object,
)
from calendars.netguard import BlockedAddress
from calendars.providers import caldav_xml as dav
from calendars.providers.base import (
    BusyInterval,
    CalendarReadOnly,
    Capabilities,
    Channel,
    EventData,
    EventExists,
    EventMissing,
    FullSyncRequired,
    NeedsReconnect,
    PreconditionFailed,
    ProviderError,
    RemoteCalendar,
    RemoteEvent,
    RequestRejected,
    RetryableError,
)
from calendars.providers.caldav_model import (
    CTAG_PREFIX,
    SYNC_PREFIX,
    CaldavChangePage,
    CaldavRemoteEvent,
    Discovery,
    PasswordGrant,
    core_events,
    decode_ctag_cursor,
    default_window,
    deleted_event,
    encode_ctag_cursor,
    event_id_of,
    event_url,
    merge_blocks,
    own_addresses,
    remote_event,
    storage_event,
    zone_of,
)
from calendars.providers.retry import RetryPolicy, parse_retry_after, retrying

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
NOT_RETRYABLE_5XX = frozenset({501, 505})  # "not implemented" stays so however often it is asked
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 5
MULTIGET_CHUNK = 100
ICS = "text/calendar; charset=utf-8"
XML = "application/xml; charset=utf-8"
SEQUENCE_EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


# ---- errors with a clear message for people -----------------------------------------------------------


class WrongCredentials(NeedsReconnect):
    """401: the user name or (app-specific) password was refused."""


class ServerUnreachable(RetryableError):
    """The server could not be reached (DNS, refused connection, TLS, timeout)."""


class NotCaldavServer(RequestRejected):
    """The address answers, but not as a CalDAV server (no principal, no calendar home)."""


class SyncCollectionRefused(RequestRejected):
    """The collection refuses the sync-collection REPORT (403/501: iCloud on some collections)."""


class AddressRefused(RequestRejected):
    """The SSRF guard refused the server's address (a private network, or a name that does not resolve)."""


@dataclass
class _CalendarInfo:
    zone: str
    sync_token: str | None = None
    ctag: str | None = None
    sync_refused: bool = False  # sync-collection refused here (iCloud on some collections): ctag + etags


class CaldavProvider:
    name = "caldav"
    capabilities = Capabilities(
        writes=True, incremental_changes=True, push_notifications=False, free_busy=True, client_ids=True
    )
    # interface v2 (design review (e)): no push, cheap polling, several VALARMs, COLOR, password auth
    push: Literal["none"] = "none"
    poll_every = timedelta(minutes=5)
    listing_window: timedelta | None = None
    max_reminders = 10
    colors: Literal["ical_color"] = "ical_color"
    max_concurrency = 4
    auth: Literal["password"] = "password"

    def __init__(
        self,
        grant: PasswordGrant,
        client: httpx.AsyncClient,
        *,
        zone: str = "UTC",
        discovery: Discovery | None = None,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_wait: float = 60.0,
    ) -> None:
        self.grant = grant
        self.client = client
        self.zone = zone  # the company's zone: for all-day and floating events of calendars without one
        self.discovery = discovery
        self.retry = RetryPolicy(max_attempts, backoff_base, backoff_max, max_wait)
        self._auth = httpx.BasicAuth(grant.username, grant.password)
        self._calendars: dict[str, _CalendarInfo] = {}

    # ---- discovery and calendars -------------------------------------------------------------------

    async def discover(self) -> Discovery:
        """Principal, calendar homes and the account's addresses, from the server address alone."""
        if self.discovery is not None:
            return self.discovery
        base = self.grant.server_url.strip()
        if "://" not in base:
            base = "https://" + base
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise NotCaldavServer(f"{self.grant.server_url!r} is not a web address (https://…)")
        root = f"{parts.scheme}://{parts.netloc}"
        well_known = root + "/.well-known/caldav"
        candidates = [well_known, base] if parts.path in ("", "/") else [base, well_known]
        principal: str | None = None
        for candidate in dict.fromkeys(candidates):
            principal = await self._principal_at(candidate)
            if principal:
                break
        if not principal:
            raise NotCaldavServer(f"{root} does not answer as a CalDAV server (no current-user-principal)")
        answer = await self._propfind(principal, 0, dav.CALENDAR_HOME_SET, dav.CALENDAR_USER_ADDRESS_SET)
        found = answer.responses[0] if answer.responses else dav.Response(principal)
        principal = answer.base or principal
        homes = [urljoin(principal, href) for href in found.hrefs(dav.CALENDAR_HOME_SET)]
        if not homes:
            raise NotCaldavServer(f"{root} has no calendar home for {self.grant.username} (not a CalDAV account?)")
        addresses = frozenset(
            href.lower().removeprefix("mailto:")
            for href in found.hrefs(dav.CALENDAR_USER_ADDRESS_SET)
            if href.lower().startswith("mailto:")
        )
        self.discovery = Discovery(principal, homes, addresses or own_addresses(self.grant))
        return self.discovery

    async def _principal_at(self, url: str) -> str | None:
        try:
            answer = await self._propfind(url, 0, dav.CURRENT_USER_PRINCIPAL, dav.RESOURCETYPE)
        except AddressRefused:
            raise
        except (RequestRejected, EventMissing):
            return None
        for response in answer.responses:
            for href in response.hrefs(dav.CURRENT_USER_PRINCIPAL):
                return urljoin(answer.base or url, href)
        return None

    async def list_calendars(self) -> list[RemoteCalendar]:
        """Calendars that hold events, with name, Apple colour, zone and whether we may write."""
        found: list[RemoteCalendar] = []
        props = (
            dav.RESOURCETYPE,
            dav.DISPLAYNAME,
            dav.SUPPORTED_COMPONENTS,
            dav.CALENDAR_COLOR,
            dav.CURRENT_USER_PRIVILEGE_SET,
            dav.CALENDAR_TIMEZONE,
        )
        for home in (await self.discover()).home_urls:
            answer = await self._propfind(home, 1, *props)
            for response in answer.responses:
                components = response.components()
                if dav.CALENDAR not in response.children(dav.RESOURCETYPE):
                    continue
                if components is not None and "VEVENT" not in components:
                    continue
                url = urljoin(answer.base or home, response.href)
                privileges = response.children(dav.CURRENT_USER_PRIVILEGE_SET)
                color = response.text(dav.CALENDAR_COLOR)
                found.append(
                    RemoteCalendar(
                        id=url,
                        name=response.text(dav.DISPLAYNAME) or unquote(url.rstrip("/").rsplit("/", 1)[-1]),
                        primary=False,
                        writable=not privileges or bool(privileges & dav.WRITE_PRIVILEGES),
                        timezone=zone_of(response.text(dav.CALENDAR_TIMEZONE)),
                        color=color[:7] if color and color.startswith("#") else color,
                    )
                )
        return found

    # ---- events ------------------------------------------------------------------------------------

    async def create_with_id(
        self, calendar_id: str, event_id: str, event: EventData, *, idempotency_key: str | None = None
    ) -> CaldavRemoteEvent:
        """PUT ``{event_id}.ics`` with If-None-Match: *.

        On 412 the resource is read: when it carries our key and this is a retry (an earlier attempt
        lost its reply) or an ``idempotency_key`` was given (v2: the same key is the same create),
        it is adopted; otherwise ``EventExists``.
        """
        url = event_url(calendar_id, event_id)
        stored, stamp = storage_event(event, uid=event_id), _stamp()
        body = build_storage_object(stored, now=stamp)
        attempts = 0

        async def attempt() -> httpx.Response:
            nonlocal attempts
            attempts += 1
            return await self._send("PUT", url, content=body, headers={"If-None-Match": "*", "Content-Type": ICS})

        try:
            response = await retrying(self.retry, attempt, what=f"caldav create {event_id}")
        except EventExists:
            if event.key and (attempts > 1 or idempotency_key):
                existing = await self.get_event(calendar_id, event_id)
                if existing.key == event.key:
                    # the earlier attempt's event is this create: bring it up to what this one asks for
                    return await self.update_event(calendar_id, event_id, event, etag=existing.etag)
            raise
        return await self._written(calendar_id, event_id, response, stored, stamp, body)

    async def create_event(self, calendar_id: str, event: EventData, *, idempotency_key: str) -> CaldavRemoteEvent:
        """The resource name and UID derive from ``idempotency_key``: a retried create is the same create."""
        return await self.create_with_id(calendar_id, uid_for(idempotency_key), event, idempotency_key=idempotency_key)

    async def get_event(self, calendar_id: str, event_id: str) -> CaldavRemoteEvent:
        url = event_url(calendar_id, event_id)
        response = await self._call("GET", url, headers={"Accept": "text/calendar"})
        etag = response.headers.get("ETag") or await self._etag(url)
        return await self._remote(calendar_id, event_id, etag, response.content)

    async def update_event(
        self, calendar_id: str, event_id: str, event: EventData, etag: str | None = None
    ) -> CaldavRemoteEvent:
        """PUT with If-Match (the etag given, or ``*`` so an update never creates)."""
        url = event_url(calendar_id, event_id)
        stamp = _stamp()
        sequence = int((stamp - SEQUENCE_EPOCH).total_seconds() // 60)
        stored = storage_event(event, uid=event_id, sequence=sequence)
        body = build_storage_object(stored, now=stamp)
        headers = {"If-Match": etag or "*", "Content-Type": ICS}
        try:
            response = await self._call("PUT", url, content=body, headers=headers)
        except PreconditionFailed:
            if etag is None:
                raise EventMissing(f"caldav PUT {_path(url)}: no such event") from None
            raise
        return await self._written(calendar_id, event_id, response, stored, stamp, body)

    async def delete_event(self, calendar_id: str, event_id: str, etag: str | None = None) -> None:
        headers = {"If-Match": etag} if etag else None
        await self._call("DELETE", event_url(calendar_id, event_id), headers=headers)

    # ---- reading changes -----------------------------------------------------------------------------

    async def list_changes(
        self, calendar_id: str, sync_token: str | None, *, window: tuple[datetime, datetime] | None = None
    ) -> CaldavChangePage:
        """Changes since the cursor (everything when None). ``window`` bounds only recurrence expansion."""
        window = window or default_window()
        if sync_token is None:
            info = await self._calendar_info(calendar_id, refresh=True)
            if info.sync_token is not None and not info.sync_refused:
                try:
                    return await self._sync_collection(calendar_id, "", window)
                except SyncCollectionRefused:
                    info.sync_refused = True  # named a sync token, yet refuses the report: read without it
            return await self._ctag_listing(calendar_id, None, window)
        if sync_token.startswith(SYNC_PREFIX):
            return await self._sync_collection(calendar_id, sync_token.removeprefix(SYNC_PREFIX), window)
        if sync_token.startswith(CTAG_PREFIX):
            return await self._ctag_listing(calendar_id, decode_ctag_cursor(sync_token), window)
        raise FullSyncRequired("caldav: unknown cursor, list everything again")

    async def _sync_collection(
        self, calendar_id: str, token: str, window: tuple[datetime, datetime]
    ) -> CaldavChangePage:
        changed: dict[str, str] = {}
        removed: list[str] = []
        while True:  # a server may truncate (507 on the collection itself): ask again from the new token
            body = dav.sync_collection(token, dav.GETETAG)
            try:
                answer = await self._report(calendar_id, body, depth=None)
            except RequestRejected as exc:
                if token:
                    raise FullSyncRequired(f"caldav sync token refused: {exc}") from exc
                raise SyncCollectionRefused(str(exc)) from exc
            truncated = False
            for response in answer.responses:
                url = urljoin(calendar_id, response.href)
                if url.rstrip("/") == calendar_id.rstrip("/"):
                    truncated = response.status == 507
                    continue
                if response.status == 404 or (response.status is None and not response.props):
                    removed.append(event_id_of(url))
                    changed.pop(url, None)
                elif etag := response.text(dav.GETETAG):
                    changed[url] = etag
            if not answer.sync_token:
                raise NotCaldavServer(f"caldav sync-collection on {_path(calendar_id)} returned no sync token")
            full = not token
            token = answer.sync_token
            if not truncated:
                break
        # a full read lists what is there: members removed before it (Radicale reports them) are not news
        events: list[RemoteEvent] = [] if full else [deleted_event(event_id) for event_id in removed]
        events.extend(await self._fetch(calendar_id, changed, window))
        return CaldavChangePage(events, SYNC_PREFIX + token, full=full)

    async def _ctag_listing(
        self, calendar_id: str, previous: dict[str, str] | None, window: tuple[datetime, datetime]
    ) -> CaldavChangePage:
        """For collections without sync-collection: nothing when the ctag stands, else compare etags."""
        info = await self._calendar_info(calendar_id, refresh=True)
        if previous is not None and info.ctag and previous.get("") == info.ctag:
            return CaldavChangePage([], encode_ctag_cursor(previous), full=False)
        answer = await self._report(calendar_id, dav.calendar_query(dav.GETETAG), depth=1)
        current = {
            event_id_of(urljoin(calendar_id, r.href)): r.text(dav.GETETAG) or ""
            for r in answer.responses
            if urljoin(calendar_id, r.href).rstrip("/") != calendar_id.rstrip("/")
        }
        known = previous or {}
        changed = {
            event_url(calendar_id, event_id): etag
            for event_id, etag in current.items()
            if previous is None or known.get(event_id) != etag
        }
        events: list[RemoteEvent] = [deleted_event(i) for i in known if i and i not in current]
        events.extend(await self._fetch(calendar_id, changed, window))
        return CaldavChangePage(events, encode_ctag_cursor({"": info.ctag or "", **current}), full=previous is None)

    async def _fetch(
        self, calendar_id: str, etags: Mapping[str, str], window: tuple[datetime, datetime]
    ) -> list[RemoteEvent]:
        """The objects at these URLs (calendar-multiget, in chunks), with the etags the server lists."""
        urls = sorted(etags)
        events: list[RemoteEvent] = []
        for offset in range(0, len(urls), MULTIGET_CHUNK):
            hrefs = [_path(url) for url in urls[offset : offset + MULTIGET_CHUNK]]
            body = dav.calendar_multiget(hrefs, dav.GETETAG, dav.CALENDAR_DATA)
            for response in (await self._report(calendar_id, body, depth=1)).responses:
                data = response.text(dav.CALENDAR_DATA)
                url = urljoin(calendar_id, response.href)
                if data is None:
                    continue  # gone between the listing and now: the next read reports it
                etag = response.text(dav.GETETAG) or etags.get(url, "")
                remote = await self._remote(calendar_id, event_id_of(url), etag, data.encode(), window)
                events.extend(core_events(remote))
        return events

    # ---- free/busy and push ---------------------------------------------------------------------------

    async def free_busy(self, calendar_ids: list[str], start: datetime, end: datetime) -> dict[str, list[BusyInterval]]:
        """Busy time from the events themselves (recurrences expanded); an unreadable calendar raises."""
        result: dict[str, list[BusyInterval]] = {}
        for calendar_id in calendar_ids:
            body = dav.calendar_query(dav.GETETAG, dav.CALENDAR_DATA, time_range=(start, end))
            blocks: list[tuple[datetime, datetime]] = []
            for response in (await self._report(calendar_id, body, depth=1)).responses:
                data = response.text(dav.CALENDAR_DATA)
                if data is None:
                    continue
                remote = await self._remote(calendar_id, "", "", data.encode(), (start, end))
                blocks.extend(
                    (max(o.starts_at, start), min(o.ends_at, end))
                    for o in remote.occurrences
                    if o.busy and o.ends_at > start and o.starts_at < end
                )
            result[calendar_id] = [BusyInterval(s, e) for s, e in merge_blocks(blocks)]
        return result

    async def watch(self, calendar_id: str, channel_id: str, address: str, token: str) -> Channel:
        raise RequestRejected("CalDAV has no push notifications: calendars are read periodically")

    async def renew_channel(self, channel_id: str) -> datetime:
        raise RequestRejected("CalDAV has no push notifications: calendars are read periodically")

    async def stop_channel(self, channel_id: str, resource_id: str) -> None:
        return None

    # ---- helpers ---------------------------------------------------------------------------------------

    async def _written(
        self,
        calendar_id: str,
        event_id: str,
        response: httpx.Response,
        stored: StorageEvent,
        stamp: datetime,
        body: bytes,
    ) -> CaldavRemoteEvent:
        """What we just wrote, with the etag listings will report (GET when the PUT gave none, or a weak one)."""
        etag = response.headers.get("ETag")
        if etag and not etag.startswith("W/"):
            info = await self._calendar_info(calendar_id)
            known = written_object(stored, zone=info.zone, window=default_window(), now=stamp)
            if known is not None:
                return remote_event(event_id, etag, known)
            return await self._remote(calendar_id, event_id, etag, body)
        return await self.get_event(calendar_id, event_id)

    async def _remote(
        self,
        calendar_id: str,
        event_id: str,
        etag: str,
        data: bytes,
        window: tuple[datetime, datetime] | None = None,
    ) -> CaldavRemoteEvent:
        info = await self._calendar_info(calendar_id)
        addresses = self.discovery.addresses if self.discovery else own_addresses(self.grant)
        try:
            parsed = parse_remote_object(
                data, zone=info.zone, window=window or default_window(), account_addresses=addresses
            )
        except ValueError as exc:
            raise RequestRejected(f"caldav {event_id}: unreadable calendar object ({exc})") from exc
        return remote_event(event_id, etag, parsed)

    async def _calendar_info(self, calendar_id: str, *, refresh: bool = False) -> _CalendarInfo:
        known = self._calendars.get(calendar_id)
        if known is not None and not refresh:
            return known
        answer = await self._propfind(calendar_id, 0, dav.SYNC_TOKEN, dav.GETCTAG, dav.CALENDAR_TIMEZONE)
        response = answer.responses[0] if answer.responses else dav.Response(calendar_id)
        info = _CalendarInfo(
            zone=zone_of(response.text(dav.CALENDAR_TIMEZONE)) or self.zone,
            sync_token=response.text(dav.SYNC_TOKEN),
            ctag=response.text(dav.GETCTAG),
        )
        self._calendars[calendar_id] = info
        return info

    async def _etag(self, url: str) -> str:
        answer = await self._propfind(url, 0, dav.GETETAG)
        return next((e for r in answer.responses if (e := r.text(dav.GETETAG))), "")

    async def _propfind(self, url: str, depth: int, *props: str) -> dav.Multistatus:
        response = await self._call(
            "PROPFIND", url, content=dav.propfind(*props), headers={"Depth": str(depth), "Content-Type": XML}
        )
        return _multistatus(response, "PROPFIND", url)

    async def _report(self, url: str, body: bytes, *, depth: int | None) -> dav.Multistatus:
        headers = {"Content-Type": XML, **({"Depth": str(depth)} if depth is not None else {})}
        response = await self._call("REPORT", url, content=body, headers=headers)
        return _multistatus(response, "REPORT", url)

    async def _call(
        self, method: str, url: str, *, content: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """One logical request with retries; a 2xx response or a ProviderError."""

        async def attempt() -> httpx.Response:
            return await self._send(method, url, content=content, headers=headers)

        try:
            return await retrying(self.retry, attempt, what=f"caldav {method} {_path(url)}")
        except RetryableError as exc:
            if isinstance(exc.__cause__, ServerUnreachable):  # keep the clear kind of error for people
                raise ServerUnreachable(str(exc), retry_after=exc.retry_after) from exc
            raise

    async def _send(
        self, method: str, url: str, *, content: bytes | None = None, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        """One attempt, following redirects with the same method and body (httpx would turn PROPFIND into GET)."""
        for _ in range(MAX_REDIRECTS + 1):
            try:
                response = await self.client.request(
                    method, url, content=content, headers=headers, auth=self._auth, follow_redirects=False
                )
            except BlockedAddress as exc:
                raise AddressRefused(f"Rentcal does not connect to this CalDAV server: {exc}") from exc
            except httpx.TransportError as exc:
                log.debug("caldav %s %s -> %s", method, _path(url), type(exc).__name__)
                host = urlsplit(url).netloc
                raise ServerUnreachable(f"Could not reach the CalDAV server {host} ({type(exc).__name__})") from exc
            log.debug("caldav %s %s -> %s", method, _path(url), response.status_code)
            location = response.headers.get("Location")
            if response.status_code in REDIRECTS and location:
                target = urljoin(url, location)
                if urlsplit(url).scheme == "https" and urlsplit(target).scheme != "https":
                    raise RequestRejected(f"caldav: refusing a redirect from https to {urlsplit(target).netloc}")
                url = target
                continue
            if response.is_success or response.status_code == 207:
                return response
            raise _error_for(response, method, url)
        raise NotCaldavServer(f"caldav {method} {_path(url)}: too many redirects")


# ---- pure helpers --------------------------------------------------------------------------------------


def _stamp() -> datetime:
    """DTSTAMP and LAST-MODIFIED of a write (whole seconds, as iCalendar carries them)."""
    return datetime.now(UTC).replace(microsecond=0)


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def _multistatus(response: httpx.Response, method: str, url: str) -> dav.Multistatus:
    if response.status_code != 207:
        raise NotCaldavServer(f"caldav {method} {_path(url)}: expected 207 Multi-Status, got {response.status_code}")
    try:
        answer = dav.parse_multistatus(response.content)
    except ValueError as exc:
        raise NotCaldavServer(f"caldav {method} {_path(url)}: {exc}") from exc
    answer.base = str(response.request.url)
    return answer


def _error_for(response: httpx.Response, method: str, url: str) -> ProviderError:
    status = response.status_code
    text = f"caldav {method} {_path(url)}: {status} {response.reason_phrase}"
    host = urlsplit(url).netloc
    if status == 401:
        return WrongCredentials(
            f"The CalDAV server {host} refused the user name or password. Check the user name and use an "
            "app-specific password (iCloud requires one)."
        )
    if status in RETRYABLE_STATUSES or (status >= 500 and status not in NOT_RETRYABLE_5XX):
        return RetryableError(text, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if dav.has_condition(response.content, dav.q(dav.DAV, "valid-sync-token")):
        return FullSyncRequired(f"{text} (the sync token is no longer valid)")
    if status == 412:
        if method == "PUT" and response.request.headers.get("If-None-Match") == "*":
            return EventExists(f"{text} (the resource name is taken)")
        return PreconditionFailed(f"{text} (the event changed on the server)")
    if status in (404, 410) and method in ("GET", "PUT", "DELETE"):
        return EventMissing(text)
    if status == 403 and method in ("PUT", "DELETE"):
        return CalendarReadOnly(f"{text} (not allowed: the calendar is read-only for this account)")
    if status == 403:
        return RequestRejected(f"{text} (not allowed: the calendar may be read-only)")
    if status in (404, 405, 501) and method in ("PROPFIND", "REPORT"):
        return RequestRejected(f"{text} (not a CalDAV collection)")
    return RequestRejected(text)
