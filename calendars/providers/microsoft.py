"""Microsoft Graph v1.0 calendar adapter (Outlook / Microsoft 365).

Speaks Graph (https://learn.microsoft.com/graph/api/resources/event) over a caller-owned
`httpx.AsyncClient`; the wire format lives in `microsoft_wire`. Transient failures (429 with Retry-After,
500/502/503/504, transport errors) are retried here with backoff; a 401 gets one fresh access token from the
token source (Microsoft rotates refresh tokens: `OAuthTokenSource` refreshes under the per-integration lock).

Reads use `calendarView/delta` over a fixed window (30 days back, 400 ahead): its `@odata.deltaLink` is the
cursor, and a listing is complete only inside that window (`ChangePage.covers`). When the window has slid
too far (a cursor older than 35 days), the next read is a new full round over a fresh window.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from calendars.palette import PALETTE
from calendars.providers import microsoft_wire as wire
from calendars.providers.base import (
    AuthExpired,
    BusyInterval,
    Capabilities,
    ChangePage,
    Channel,
    EventData,
    EventExists,
    EventMissing,
    FullSyncRequired,
    PreconditionFailed,
    ProviderError,
    RemoteCalendar,
    RemoteEvent,
    RequestRejected,
    RetryableError,
)
from calendars.providers.retry import RetryPolicy, parse_retry_after, retrying

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
WINDOW_BACK = timedelta(days=30)
WINDOW_AHEAD = timedelta(days=400)
WINDOW_SLIDE = timedelta(days=35)  # a cursor whose window ends sooner than now + 365 days starts a new round
SUBSCRIPTION_MINUTES = 4200  # Graph allows 4230 minutes for events; keep a margin for clock skew
LOOKUP_ONE_BY_ONE = 8  # more delta rows than this needing our key: one calendarView listing instead
READ_PREFER = 'outlook.timezone="UTC", outlook.body-content-type="text"'
CATEGORIES_TTL = 600.0  # seconds a mailbox's master categories are trusted before they are read again


class TokenSource(Protocol):
    async def access_token(self) -> str: ...

    async def refreshed_access_token(self) -> str: ...


ZoneLookup = Callable[[], Awaitable[str]]


class CategoryCache:
    """The lowercased names of a mailbox's master categories, shared by the adapters of one integration.

    Graph accepts any category name on an event (one missing from the master list shows uncoloured), so no
    write fails when a person deletes one of ours in Outlook: the names are read again after `ttl` seconds,
    and a colour found missing then is created again."""

    def __init__(self, ttl: float = CATEGORIES_TTL) -> None:
        self.ttl = ttl
        self._names: set[str] | None = None
        self._read_at = 0.0

    def names(self) -> set[str] | None:
        if self._names is not None and time.monotonic() - self._read_at > self.ttl:
            self._names = None
        return self._names

    def store(self, names: set[str]) -> None:
        self._names, self._read_at = names, time.monotonic()

    def add(self, name: str) -> None:
        if self._names is not None:
            self._names.add(name)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class MicrosoftCalendarProvider:
    name = "microsoft"
    capabilities = Capabilities(
        writes=True,
        incremental_changes=True,
        push_notifications=True,
        free_busy=True,
        client_ids=True,
        renew_in_place=True,
    )

    def __init__(
        self,
        api_base: str,
        tokens: TokenSource,
        client: httpx.AsyncClient,
        *,
        calendar_zone: ZoneLookup | None = None,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_wait: float = 60.0,
        page_size: int = 100,
        window_back: timedelta = WINDOW_BACK,
        window_ahead: timedelta = WINDOW_AHEAD,
        categories: CategoryCache | None = None,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.tokens = tokens
        self.client = client
        self.calendar_zone = calendar_zone
        self.retry = RetryPolicy(max_attempts, backoff_base, backoff_max, max_wait)
        self.page_size = page_size
        self.window_back, self.window_ahead = window_back, window_ahead
        self.categories = categories or CategoryCache()
        self._zone_cache: str | None = None

    # ---- calendars ---------------------------------------------------------------------------------

    async def _zone_name(self) -> str:
        """The zone all-day events are read in (the company's; Graph calendars have none of their own)."""
        if self._zone_cache is None:
            self._zone_cache = await self.calendar_zone() if self.calendar_zone is not None else "UTC"
        return self._zone_cache

    async def _zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(await self._zone_name())
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    async def list_calendars(self) -> list[RemoteCalendar]:
        zone = await self._zone_name()
        calendars: list[RemoteCalendar] = []
        async for page in self._pages("/me/calendars", {"$top": "100"}):
            for item in page.get("value", []):
                calendars.append(
                    RemoteCalendar(
                        id=str(item["id"]),
                        name=str(item.get("name") or ""),
                        primary=bool(item.get("isDefaultCalendar")),
                        writable=bool(item.get("canEdit")),
                        timezone=zone,
                        color=item.get("hexColor") or None,
                    )
                )
        return calendars

    # ---- events ------------------------------------------------------------------------------------

    async def create_event(self, calendar_id: str, event: EventData, *, idempotency_key: str) -> RemoteEvent:
        """POST with a transactionId derived from the key: a retry gets the first attempt's event back (201),
        which is adopted and brought up to date when it is ours for the same item, else EventExists."""
        await self._ensure_category(event)
        body = wire.event_body(event, create_key=idempotency_key)
        response = await self._call(
            "POST", _events_path(calendar_id), params={"$expand": wire.EXPAND}, json=body, headers=_READ
        )
        item = response.json()
        props = wire.extended(item)
        if props is None:  # Graph did not expand the properties on POST: look them up
            item = await self._get_raw(calendar_id, str(item["id"]))
        found = wire.remote_event(item, await self._zone())
        if found.key != (event.key or None) or found.origin not in (None, event.origin or None):
            raise EventExists(f"microsoft transactionId of {idempotency_key!r} is held by another event")
        if wire.matches(item, event):
            return found
        return await self.update_event(calendar_id, found.id, event, etag=found.etag)

    async def _get_raw(self, calendar_id: str, event_id: str) -> dict[str, Any]:
        response = await self._call(
            "GET", _event_path(calendar_id, event_id), params={"$expand": wire.EXPAND}, headers=_READ, errors=_EVENT
        )
        return dict(response.json())

    async def get_event(self, calendar_id: str, event_id: str) -> RemoteEvent:
        return wire.remote_event(await self._get_raw(calendar_id, event_id), await self._zone())

    async def update_event(
        self, calendar_id: str, event_id: str, event: EventData, etag: str | None = None
    ) -> RemoteEvent:
        await self._ensure_category(event)
        headers = {**_READ, **({"If-Match": etag} if etag else {})}
        response = await self._call(
            "PATCH",
            _event_path(calendar_id, event_id),
            params={"$expand": wire.EXPAND},
            json=wire.event_body(event),
            headers=headers,
            errors=_EVENT,
        )
        item = response.json()
        if wire.extended(item) is None:
            return await self.get_event(calendar_id, event_id)
        return wire.remote_event(item, await self._zone())

    async def delete_event(self, calendar_id: str, event_id: str, etag: str | None = None) -> None:
        headers = {"If-Match": etag} if etag else None
        await self._call("DELETE", _event_path(calendar_id, event_id), headers=headers, errors=_EVENT)

    # ---- changes -----------------------------------------------------------------------------------

    async def list_changes(self, calendar_id: str, sync_token: str | None) -> ChangePage:
        now = datetime.now(UTC)
        covers: tuple[datetime, datetime] | None = None
        if sync_token:
            window_end, _, link = sync_token.partition(" ")
            if not link or datetime.fromisoformat(window_end) - now < self.window_ahead - WINDOW_SLIDE:
                raise FullSyncRequired("the delta window has slid: start a new round")
            url, params = link, None
        else:
            covers = (now - self.window_back, now + self.window_ahead)
            window_end = covers[1].isoformat()
            url = self.api_base + _calendar_path(calendar_id) + "/calendarView/delta"
            params = {"startDateTime": _iso(covers[0]), "endDateTime": _iso(covers[1])}
        headers = {"Prefer": f"{READ_PREFER}, odata.maxpagesize={self.page_size}"}
        rows: list[dict[str, Any]] = []
        delta_link: str | None = None
        while True:
            page = (await self._call("GET", url, params=params, headers=headers, errors=_DELTA)).json()
            rows.extend(row for row in page.get("value", []) if row.get("type") != "seriesMaster")
            if page.get("@odata.nextLink"):
                url, params = self._own_link(page["@odata.nextLink"]), None
                continue
            delta_link = page.get("@odata.deltaLink")
            break
        props = await self._properties(calendar_id, rows, covers)
        zone = await self._zone()
        events = [wire.remote_event(row, zone, props.get(str(row["id"]), {})) for row in rows]
        cursor = f"{window_end} {self._own_link(delta_link)}" if delta_link else None
        return ChangePage(events=events, next_sync_token=cursor, full=sync_token is None, covers=covers)

    async def _properties(
        self, calendar_id: str, rows: list[dict[str, Any]], covers: tuple[datetime, datetime] | None
    ) -> dict[str, dict[str, str]]:
        """Our key and origin for delta rows that carry a transactionId (delta never returns them)."""
        wanted = {str(r["id"]) for r in rows if "@removed" not in r and r.get("transactionId")}
        found: dict[str, dict[str, str]] = {}
        if len(wanted) > LOOKUP_ONE_BY_ONE and covers is not None:
            params = {
                "startDateTime": _iso(covers[0]),
                "endDateTime": _iso(covers[1]),
                "$select": "id",
                "$expand": wire.EXPAND,
                "$top": "500",
            }
            async for page in self._pages(_calendar_path(calendar_id) + "/calendarView", params):
                for item in page.get("value", []):
                    if str(item["id"]) in wanted:
                        found[str(item["id"])] = wire.extended(item) or {}
        for event_id in wanted - set(found):
            try:
                response = await self._call(
                    "GET",
                    _event_path(calendar_id, event_id),
                    params={"$select": "id", "$expand": wire.EXPAND},
                    errors=_EVENT,
                )
            except EventMissing:
                continue  # deleted since the delta was read: the next round says so
            found[event_id] = wire.extended(response.json()) or {}
        return found

    def _own_link(self, link: str) -> str:
        """A nextLink/deltaLink, only when it points back at the Graph endpoint we were given."""
        if not link.startswith(self.api_base + "/"):
            raise RequestRejected("microsoft returned a paging link to another host")
        return link

    # ---- categories ----------------------------------------------------------------------------------

    async def _ensure_category(self, event: EventData) -> None:
        """The master category of the event's colour exists in the mailbox (created with its preset)."""
        if event.color not in PALETTE:
            return
        name = wire.category_name(event.color)
        names = self.categories.names()
        if names is None:
            response = await self._call("GET", "/me/outlook/masterCategories")
            names = {str(c.get("displayName", "")).lower() for c in response.json().get("value", [])}
            self.categories.store(names)
        if name.lower() in names:
            return
        body = {"displayName": name, "color": PALETTE[event.color].outlook_preset}
        try:
            await self._call("POST", "/me/outlook/masterCategories", json=body, errors={409: EventExists})
        except EventExists:
            pass  # created meanwhile by another worker
        self.categories.add(name.lower())

    # ---- subscriptions -------------------------------------------------------------------------------

    async def watch(self, calendar_id: str, channel_id: str, address: str, token: str) -> Channel:
        """A Graph subscription on the calendar's events. Graph names it: its id is the channel id.
        Graph validates `address` (the handshake) before answering."""
        expires = datetime.now(UTC) + timedelta(minutes=SUBSCRIPTION_MINUTES)
        body = {
            "changeType": "created,updated,deleted",
            "notificationUrl": address,
            "lifecycleNotificationUrl": address,
            "resource": f"me/calendars/{calendar_id}/events",
            "expirationDateTime": _iso(expires),
            "clientState": token,
        }
        data = (await self._call("POST", "/subscriptions", json=body)).json()
        return Channel(
            id=str(data["id"]),
            resource_id=str(data.get("resource") or body["resource"]),
            expires_at=_parse_instant(data.get("expirationDateTime")) or expires,
            token=token,
        )

    async def renew_channel(self, channel_id: str) -> datetime:
        """Extend a subscription in place (PATCH expirationDateTime); EventMissing when it is gone."""
        expires = datetime.now(UTC) + timedelta(minutes=SUBSCRIPTION_MINUTES)
        data = (
            await self._call(
                "PATCH",
                f"/subscriptions/{quote(channel_id, safe='')}",
                json={"expirationDateTime": _iso(expires)},
                errors={404: EventMissing},
            )
        ).json()
        return _parse_instant(data.get("expirationDateTime")) or expires

    async def stop_channel(self, channel_id: str, resource_id: str) -> None:
        """Delete the subscription; one already gone (404) counts as stopped."""
        try:
            await self._call("DELETE", f"/subscriptions/{quote(channel_id, safe='')}", errors={404: EventMissing})
        except EventMissing:
            log.debug("microsoft subscription %s was already gone", channel_id)

    # ---- free/busy -------------------------------------------------------------------------------------

    async def free_busy(self, calendar_ids: list[str], start: datetime, end: datetime) -> dict[str, list[BusyInterval]]:
        """Busy intervals per calendar from its calendarView (getSchedule sees only default calendars).
        A calendar that cannot be read raises (fail closed)."""
        zone = await self._zone()
        result: dict[str, list[BusyInterval]] = {}
        params = {"startDateTime": _iso(start), "endDateTime": _iso(end), "$top": "500"}
        for calendar_id in calendar_ids:
            spans: list[tuple[datetime, datetime]] = []
            async for page in self._pages(_calendar_path(calendar_id) + "/calendarView", params):
                for item in page.get("value", []):
                    event = wire.remote_event(item, zone)
                    if event.busy and event.starts_at and event.ends_at:
                        spans.append((max(event.starts_at, start), min(event.ends_at, end)))
            result[calendar_id] = [BusyInterval(s, e) for s, e in _merged(spans)]
        return result

    # ---- HTTP ----------------------------------------------------------------------------------------

    async def _pages(self, path: str, params: Mapping[str, str]) -> AsyncIterator[dict[str, Any]]:
        url: str = self.api_base + path
        query: Mapping[str, str] | None = params
        while True:
            page = (await self._call("GET", url, params=query, headers=_READ)).json()
            yield page
            link = page.get("@odata.nextLink")
            if not link:
                return
            url, query = self._own_link(link), None

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        errors: Mapping[int, type[ProviderError]] | None = None,
    ) -> httpx.Response:
        """One logical request with retries (`path` relative to the API base, or a full paging link)."""
        url = path if path.startswith(("http://", "https://")) else self.api_base + path
        shown = url[len(self.api_base) :].split("?", 1)[0] if url.startswith(self.api_base) else "(link)"

        async def attempt() -> httpx.Response:
            return await self._send(method, url, shown, params, json, headers, errors or {})

        return await retrying(self.retry, attempt, what=f"microsoft {method} {shown}")

    async def _send(
        self,
        method: str,
        url: str,
        shown: str,
        params: Mapping[str, str] | None,
        json: Any,
        headers: Mapping[str, str] | None,
        errors: Mapping[int, type[ProviderError]],
    ) -> httpx.Response:
        token = await self.tokens.access_token()
        response = await self._http(method, url, shown, token, params, json, headers)
        if response.status_code == 401:
            token = await self.tokens.refreshed_access_token()
            response = await self._http(method, url, shown, token, params, json, headers)
            if response.status_code == 401:
                raise AuthExpired(f"microsoft {method} {shown}: access token refused after a refresh")
        if response.is_success:
            return response
        raise _error_for(response, method, shown, errors)

    async def _http(
        self,
        method: str,
        url: str,
        shown: str,
        token: str,
        params: Mapping[str, str] | None,
        json: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        all_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **(headers or {})}
        try:
            response = await self.client.request(method, url, params=params, json=json, headers=all_headers)
        except httpx.TransportError as exc:
            log.debug("microsoft %s %s -> %s", method, shown, type(exc).__name__)
            raise RetryableError(f"microsoft {method} {shown}: {type(exc).__name__}") from exc
        log.debug("microsoft %s %s -> %s", method, shown, response.status_code)
        return response


_READ = {"Prefer": READ_PREFER}
_EVENT: dict[int, type[ProviderError]] = {404: EventMissing, 410: EventMissing, 412: PreconditionFailed}
_DELTA: dict[int, type[ProviderError]] = {410: FullSyncRequired, 404: RequestRejected}


def _error_for(
    response: httpx.Response, method: str, shown: str, errors: Mapping[int, type[ProviderError]]
) -> ProviderError:
    status = response.status_code
    code, message = _graph_error(response)
    text = f"microsoft {method} {shown}: {status} {code}: {message}"
    if status in RETRYABLE_STATUSES:
        return RetryableError(text, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status == 410 and code in ("syncStateNotFound", "SyncStateNotFound", "resyncRequired"):
        return FullSyncRequired(text)
    return errors.get(status, RequestRejected)(text)


def _graph_error(response: httpx.Response) -> tuple[str, str]:
    """(code, message) of Graph's ``{"error": {"code", "message"}}``, tolerating other bodies."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return "error", response.reason_phrase or ""
    if not isinstance(error, dict):
        return "error", str(error or response.reason_phrase)
    return str(error.get("code") or "error"), str(error.get("message") or response.reason_phrase)


def _calendar_path(calendar_id: str) -> str:
    return f"/me/calendars/{quote(calendar_id, safe='')}"


def _events_path(calendar_id: str) -> str:
    return _calendar_path(calendar_id) + "/events"


def _event_path(calendar_id: str, event_id: str) -> str:
    return f"{_events_path(calendar_id)}/{quote(event_id, safe='')}"


def _parse_instant(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _merged(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
