"""Google Calendar API v3 adapter.

Speaks Google's wire format (https://developers.google.com/calendar/api/v3/reference) over a
caller-owned `httpx.AsyncClient` and turns it into the shared types of `base.py`. Transient
failures (429, 5xx, usage-limit 403s, transport errors) are retried here with backoff; a 401 gets
one fresh access token from the `TokenSource`. Nothing here touches the database or logs a token.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections import Counter
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from calendars.palette import PALETTE
from calendars.providers import google_batch
from calendars.providers.base import (
    AuthExpired,
    BatchWriter,
    BusyInterval,
    Capabilities,
    ChangePage,
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
    Write,
    WriteResult,
)
from calendars.providers.registry import Notification
from calendars.providers.retry import RetryPolicy, parse_retry_after, retrying

log = logging.getLogger(__name__)

KEY_PROPERTY = "rentcal_key"  # extendedProperties.private name holding our key
ORIGIN_PROPERTY = "rentcal_origin"  # extendedProperties.private name holding the target that wrote it
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
DAILY_LIMIT_REASONS = frozenset({"dailyLimitExceeded", "dailyLimitExceededUnreg"})
DAILY_LIMIT_RETRY_SECONDS = 3 * 3600.0  # Google resets daily quotas at midnight Pacific time
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
WRITABLE_ROLES = frozenset({"owner", "writer"})
FREEBUSY_MAX_CALENDARS = 50  # Google's calendarExpansionMax
CALENDAR_LIST_MAX_PAGE = 250  # calendarList.list maxResults limit (events.list allows 2500)


class TokenSource(Protocol):
    """Where the adapter gets access tokens (an OAuth grant kept elsewhere, e.g. the token vault)."""

    async def access_token(self) -> str:
        """A currently valid access token (refreshing first if it is known to be expired)."""
        ...

    async def refreshed_access_token(self) -> str:
        """A new access token after Google refused the current one; raises NeedsReconnect when the grant is gone."""
        ...


class Pacer(Protocol):
    """Where calls wait for their place under the provider's per-minute quotas (e.g. `calendars.quota`)."""

    async def wait(self, calls_per_account: Mapping[str, int]) -> None: ...


def google_event_id(key: str) -> str:
    """Our deterministic Google event id for `key`: base32hex (a-v, 0-9) of its SHA-256, 52 characters."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return base64.b32hexencode(digest).decode("ascii").rstrip("=").lower()


class GoogleCalendarProvider:
    name = "google"
    capabilities = Capabilities(
        writes=True, incremental_changes=True, push_notifications=True, free_busy=True, client_ids=True
    )

    def __init__(
        self,
        api_base: str,
        tokens: TokenSource,
        client: httpx.AsyncClient,
        *,
        max_attempts: int = 5,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        max_wait: float = 60.0,
        page_size: int = 250,
        pacer: Pacer | None = None,
        account: str = "",
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.pacer = pacer
        self.account = account  # whose quota the calls count against (the connection)
        self.tokens = tokens
        self.client = client
        self.retry = RetryPolicy(max_attempts, backoff_base, backoff_max, max_wait)
        self.page_size = page_size

    # ---- calendars ---------------------------------------------------------------------------------

    async def list_calendars(self) -> list[RemoteCalendar]:
        calendars: list[RemoteCalendar] = []
        params = {"maxResults": str(min(self.page_size, CALENDAR_LIST_MAX_PAGE))}
        async for page in self._pages("/users/me/calendarList", params):
            for item in page.get("items", []):
                calendars.append(
                    RemoteCalendar(
                        id=item["id"],
                        name=item.get("summaryOverride") or item.get("summary", ""),
                        primary=bool(item.get("primary")),
                        writable=item.get("accessRole") in WRITABLE_ROLES,
                        timezone=item.get("timeZone"),
                        color=item.get("backgroundColor"),
                    )
                )
        return calendars

    # ---- events ------------------------------------------------------------------------------------

    async def create_event(self, calendar_id: str, event: EventData, *, idempotency_key: str) -> RemoteEvent:
        """Insert with an id derived from the idempotency key, so a retried insert cannot make a second event.

        When the id is already taken by our own event for the same item (an earlier attempt whose reply
        was lost), that event is adopted and brought up to date; anything else raises EventExists.
        """
        event_id = google_event_id(idempotency_key)
        body = {"id": event_id, **event_body(event)}
        try:
            response = await self._call("POST", _events_path(calendar_id), json=body, errors={409: EventExists})
        except EventExists:
            existing = await self.get_event(calendar_id, event_id)
            if not event.key or existing.key != event.key or existing.deleted:
                raise
            if existing.origin not in (None, event.origin):
                raise
            return await self.update_event(calendar_id, event_id, event, etag=existing.etag)
        return remote_event(response.json())

    async def get_event(self, calendar_id: str, event_id: str) -> RemoteEvent:
        response = await self._call("GET", _event_path(calendar_id, event_id), errors=_EVENT_ERRORS)
        return remote_event(response.json())

    async def update_event(
        self, calendar_id: str, event_id: str, event: EventData, etag: str | None = None
    ) -> RemoteEvent:
        headers = {"If-Match": etag} if etag else None
        # PATCH, not PUT: guests, notes or attachments a person added in Google stay.
        response = await self._call(
            "PATCH",
            _event_path(calendar_id, event_id),
            json=event_body(event, patch=True),
            headers=headers,
            errors=_EVENT_ERRORS,
        )
        return remote_event(response.json())

    async def delete_event(self, calendar_id: str, event_id: str, etag: str | None = None) -> None:
        headers = {"If-Match": etag} if etag else None
        await self._call("DELETE", _event_path(calendar_id, event_id), headers=headers, errors=_EVENT_ERRORS)

    async def list_changes(self, calendar_id: str, sync_token: str | None) -> ChangePage:
        # singleEvents: recurring series arrive as their occurrences (exceptions applied), so busy time
        # is right for every occurrence, not only the first. The same value must be sent with the token.
        params = {"maxResults": str(self.page_size), "singleEvents": "true"}
        if sync_token:
            params["syncToken"] = sync_token  # deleted events are included as status "cancelled"
        else:
            params["showDeleted"] = "false"
        events: list[RemoteEvent] = []
        next_sync_token: str | None = None
        async for page in self._pages(_events_path(calendar_id), params, errors={410: FullSyncRequired}):
            zone = _zone(page.get("timeZone"))
            events.extend(remote_event(item, zone) for item in page.get("items", []))
            next_sync_token = page.get("nextSyncToken") or next_sync_token
        return ChangePage(events=events, next_sync_token=next_sync_token, full=sync_token is None)

    # ---- batched writes ----------------------------------------------------------------------------

    @property
    def batch_group(self) -> str:
        return f"google {self.api_base}"

    async def write_batch(self, writes: Sequence[tuple[BatchWriter, Write]]) -> list[WriteResult]:
        """Each write in one call of Google's batch endpoint (up to 50 calls per request), each with the token
        of its own account. A call's failure is that call's result, not raised: the caller retries it alone
        (so backoff, token refresh and adopting our own event after a 409 happen as for a single call)."""
        results: list[WriteResult] = []
        for offset in range(0, len(writes), google_batch.MAX_CALLS):
            chunk = writes[offset : offset + google_batch.MAX_CALLS]
            outcome: dict[int, WriteResult] = {}
            calls: dict[int, google_batch.Call] = {}
            for index, (provider, write) in enumerate(chunk):
                try:
                    calls[index] = await _batch_call(provider, write)
                except ProviderError as exc:  # e.g. this account's grant is gone: the others still go
                    outcome[index] = exc
            if self.pacer is not None:
                await self.pacer.wait(Counter(getattr(chunk[i][0], "account", "") for i in calls))
            try:
                answers = await google_batch.exchange(self.client, self.api_base, list(calls.values())) if calls else []
            except (httpx.HTTPError, ValueError) as exc:
                answers = [None] * len(calls)
                outcome.update({i: RetryableError(f"google batch: {type(exc).__name__}") for i in calls})
            for (index, call), answer in zip(calls.items(), answers, strict=True):
                outcome.setdefault(index, _batch_result(chunk[index][1], call, answer))
            results += [outcome[index] for index in range(len(chunk))]
        return results

    # ---- push notifications ---------------------------------------------------------------------

    async def watch(self, calendar_id: str, channel_id: str, address: str, token: str) -> Channel:
        body = {"id": channel_id, "type": "web_hook", "address": address, "token": token}
        response = await self._call("POST", _events_path(calendar_id) + "/watch", json=body)
        data = response.json()
        return Channel(
            id=data["id"],
            resource_id=data["resourceId"],
            expires_at=datetime.fromtimestamp(int(data["expiration"]) / 1000, UTC),
            token=data.get("token", token),
        )

    async def renew_channel(self, channel_id: str) -> datetime:
        raise RequestRejected("Google channels cannot be extended: open a new one and stop the old")

    async def stop_channel(self, channel_id: str, resource_id: str) -> None:
        """Stop a channel; one that is already gone (404) counts as stopped."""
        try:
            await self._call(
                "POST", "/channels/stop", json={"id": channel_id, "resourceId": resource_id}, errors={404: EventMissing}
            )
        except EventMissing:
            log.debug("google channel %s was already stopped", channel_id)

    # ---- free/busy ---------------------------------------------------------------------------------

    async def free_busy(self, calendar_ids: list[str], start: datetime, end: datetime) -> dict[str, list[BusyInterval]]:
        """Busy intervals per calendar. A calendar Google cannot read raises (fail closed), never reads as free."""
        result: dict[str, list[BusyInterval]] = {}
        for offset in range(0, len(calendar_ids), FREEBUSY_MAX_CALENDARS):
            chunk = calendar_ids[offset : offset + FREEBUSY_MAX_CALENDARS]
            body = {
                "timeMin": _rfc3339(start),
                "timeMax": _rfc3339(end),
                "items": [{"id": calendar_id} for calendar_id in chunk],
            }
            response = await self._call("POST", "/freeBusy", json=body)
            calendars = response.json().get("calendars", {})
            for calendar_id in chunk:
                entry = calendars.get(calendar_id)
                if entry is None:
                    raise RequestRejected(f"google freeBusy: no answer for calendar {calendar_id}")
                if entry.get("errors"):
                    reasons = ", ".join(str(e.get("reason")) for e in entry["errors"])
                    if any(e.get("reason") in (*RATE_LIMIT_REASONS, "backendError") for e in entry["errors"]):
                        raise RetryableError(f"google freeBusy for {calendar_id}: {reasons}")
                    raise RequestRejected(f"google freeBusy for {calendar_id}: {reasons}")
                result[calendar_id] = [
                    BusyInterval(_parse_datetime(block["start"]), _parse_datetime(block["end"]))
                    for block in entry.get("busy", [])
                ]
        return result

    # ---- HTTP ----------------------------------------------------------------------------------------

    async def _pages(
        self,
        path: str,
        params: Mapping[str, str],
        errors: Mapping[int, type[ProviderError]] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        """Yield every page of a list call, following nextPageToken."""
        page_token: str | None = None
        while True:
            query = {**params, **({"pageToken": page_token} if page_token else {})}
            page = (await self._call("GET", path, params=query, errors=errors)).json()
            yield page
            page_token = page.get("nextPageToken")
            if not page_token:
                return

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
        """One logical request with retries; returns a 2xx response or raises a ProviderError."""

        async def attempt() -> httpx.Response:
            return await self._send(method, path, params=params, json=json, headers=headers, errors=errors)

        return await retrying(self.retry, attempt, what=f"google {method} {path}")

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        errors: Mapping[int, type[ProviderError]] | None = None,
    ) -> httpx.Response:
        """One attempt (plus one retry with a refreshed token after a 401)."""
        if self.pacer is not None:
            await self.pacer.wait({self.account: 1})
        token = await self.tokens.access_token()
        response = await self._http(method, path, token, params, json, headers)
        if response.status_code == 401:
            token = await self.tokens.refreshed_access_token()
            response = await self._http(method, path, token, params, json, headers)
            if response.status_code == 401:
                raise AuthExpired(f"google {method} {path}: access token refused after a refresh")
        if response.is_success:
            return response
        raise _error_for(response, method, path, errors or {})

    async def _http(
        self,
        method: str,
        path: str,
        token: str,
        params: Mapping[str, str] | None,
        json: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        all_headers = {"Authorization": f"Bearer {token}", "Accept": "application/json", **(headers or {})}
        try:
            response = await self.client.request(
                method, self.api_base + path, params=params, json=json, headers=all_headers
            )
        except httpx.TransportError as exc:
            log.debug("google %s %s -> %s", method, path, type(exc).__name__)
            raise RetryableError(f"google {method} {path}: {type(exc).__name__}") from exc
        log.debug("google %s %s -> %s", method, path, response.status_code)
        return response


async def _batch_call(provider: BatchWriter, write: Write) -> google_batch.Call:
    if not isinstance(provider, GoogleCalendarProvider):
        raise TypeError("a Google batch holds Google calls only")
    _, prefix = google_batch.batch_url(provider.api_base)
    token = await provider.tokens.access_token()
    headers = {"If-Match": write.etag} if write.etag else {}
    if not write.event_id:
        assert write.event is not None
        body = {"id": google_event_id(write.idempotency_key), **event_body(write.event)}
        return google_batch.Call("POST", prefix + _events_path(write.calendar_id), token, body)
    path = prefix + _event_path(write.calendar_id, write.event_id)
    if write.event is None:
        return google_batch.Call("DELETE", path, token, headers=headers)
    return google_batch.Call("PATCH", path, token, event_body(write.event, patch=True), headers)


def _batch_result(write: Write, call: google_batch.Call, answer: httpx.Response | None) -> WriteResult:
    if answer is None:
        return RetryableError(f"google batch: no answer for {call.method} {call.path}")
    if not answer.is_success:
        errors = {409: EventExists} if call.method == "POST" else _EVENT_ERRORS
        if answer.status_code == 401:
            return AuthExpired(f"google {call.method} {call.path}: 401 in a batch")
        return _error_for(answer, call.method, call.path, errors)
    if write.event is None:
        return None
    try:
        return remote_event(answer.json())
    except (ValueError, KeyError) as exc:
        return RetryableError(f"google {call.method} {call.path}: unreadable answer ({type(exc).__name__})")


_EVENT_ERRORS: dict[int, type[ProviderError]] = {
    404: EventMissing,
    410: EventMissing,
    412: PreconditionFailed,
}


def _error_for(
    response: httpx.Response, method: str, path: str, errors: Mapping[int, type[ProviderError]]
) -> ProviderError:
    status = response.status_code
    message, reasons = _google_error(response)
    text = f"google {method} {path}: {status} {message}"
    if status == 403 and reasons & DAILY_LIMIT_REASONS:
        return RequestRejected(text, retry_after=DAILY_LIMIT_RETRY_SECONDS)
    if status in RETRYABLE_STATUSES or status >= 500 or (status == 403 and reasons & RATE_LIMIT_REASONS):
        return RetryableError(text, retry_after=parse_retry_after(response.headers.get("Retry-After")))
    if status == 403 and "insufficientPermissions" in reasons:
        return NeedsReconnect(f"{text} (the grant lacks the calendar scope)")
    error_class = errors.get(status, RequestRejected)
    return error_class(text)


def _google_error(response: httpx.Response) -> tuple[str, set[str]]:
    """(message, reasons) from Google's error envelope, tolerating bodies that are not JSON."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return response.reason_phrase or "error", set()
    if not isinstance(error, dict):
        return str(error or response.reason_phrase), set()
    reasons = {str(item.get("reason")) for item in error.get("errors") or [] if isinstance(item, dict)}
    return str(error.get("message") or response.reason_phrase), reasons


# ---- wire format -------------------------------------------------------------------------------------


def _events_path(calendar_id: str) -> str:
    return f"/calendars/{quote(calendar_id, safe='@')}/events"


def _event_path(calendar_id: str, event_id: str) -> str:
    return f"{_events_path(calendar_id)}/{quote(event_id, safe='')}"


def _rfc3339(moment: datetime, zone: str | None = None) -> str:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: Google needs an instant")
    if zone:
        try:
            moment = moment.astimezone(ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            pass  # keep the given offset; Google will reject the zone name itself
    return moment.isoformat()


def event_body(event: EventData, *, patch: bool = False) -> dict[str, Any]:
    """Our fields of an event, for insert and for PATCH (fields we do not send stay as people left them;
    in a PATCH, null clears one of ours that we no longer set, and objects merge)."""
    body: dict[str, Any] = {
        "summary": event.summary,
        "description": event.description,
        "location": event.location,
        "start": {"dateTime": _rfc3339(event.starts_at, event.timezone), "timeZone": event.timezone},
        "end": {"dateTime": _rfc3339(event.ends_at, event.timezone), "timeZone": event.timezone},
        "status": event.status,
        "transparency": "opaque",
        "reminders": {
            "useDefault": False,
            "overrides": [{"method": r.method, "minutes": r.minutes} for r in event.reminders],
        },
    }
    color_id = PALETTE[event.color].google_id if event.color in PALETTE else None
    if color_id is not None or patch:
        body["colorId"] = color_id
    if patch:  # someone may have made it an all-day event: drop the date our dateTime replaces
        body["start"]["date"] = None
        body["end"]["date"] = None
    if event.key:
        private = {KEY_PROPERTY: event.key, **({ORIGIN_PROPERTY: event.origin} if event.origin else {})}
        body["extendedProperties"] = {"private": private}
    return body


def _parse_datetime(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("z", "Z"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _when(value: Any) -> tuple[datetime | None, date | None]:
    if not isinstance(value, dict):
        return None, None
    if value.get("dateTime"):
        return _parse_datetime(value["dateTime"]), None
    if value.get("date"):
        return None, date.fromisoformat(value["date"])
    return None, None


GOOGLE_STATES: dict[str, Literal["changed", "sync"]] = {"sync": "sync", "exists": "changed", "not_exists": "changed"}


def parse_notification(headers: Mapping[str, str], query: Mapping[str, str], body: bytes) -> list[Notification]:
    """Google's push notification (all in headers: X-Goog-Channel-ID, -Token, -Resource-State)."""
    channel_id = headers.get("x-goog-channel-id", "")
    if not channel_id:
        return []
    state = GOOGLE_STATES.get(headers.get("x-goog-resource-state", ""), "changed")
    return [Notification(channel_id, headers.get("x-goog-channel-token", ""), state)]


def _zone(name: Any) -> ZoneInfo:
    try:
        return ZoneInfo(str(name)) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def _declined_by_owner(item: Mapping[str, Any]) -> bool:
    return any(a.get("self") and a.get("responseStatus") == "declined" for a in item.get("attendees") or [])


def remote_event(item: Mapping[str, Any], zone: ZoneInfo | None = None) -> RemoteEvent:
    """A Google event resource (or a minimal cancelled stub) as a RemoteEvent.

    `zone` is the calendar's time zone: an all-day event is busy from local midnight to local midnight.
    """
    starts_at, all_day_start = _when(item.get("start"))
    ends_at, all_day_end = _when(item.get("end"))
    if all_day_start is not None and all_day_end is not None:
        calendar_zone = zone or ZoneInfo("UTC")
        starts_at, ends_at = _midnight(all_day_start, calendar_zone), _midnight(all_day_end, calendar_zone)
    private = (item.get("extendedProperties") or {}).get("private") or {}
    updated = item.get("updated")
    status = item.get("status", "confirmed")
    transparent = item.get("transparency") == "transparent"
    return RemoteEvent(
        id=item["id"],
        etag=item.get("etag", ""),
        status=status,
        summary=item.get("summary", ""),
        starts_at=starts_at,
        ends_at=ends_at,
        all_day_start=all_day_start,
        all_day_end=all_day_end,
        key=private.get(KEY_PROPERTY),
        transparent=transparent,
        updated=_parse_datetime(updated) if updated else None,
        origin=private.get(ORIGIN_PROPERTY),
        busy=status != "cancelled" and not transparent and not _declined_by_owner(item) and starts_at is not None,
        series_id=item.get("recurringEventId"),
    )
