"""Change-notification subscriptions: the validation handshake, batched delivery, lifecycle events."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import secrets
import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote_plus, urlsplit

import httpx

from . import zones
from .errors import GraphError, bad_request
from .event_model import utc_now
from .stats import Stats

log = logging.getLogger(__name__)
CHANGE_TYPES = {"created", "updated", "deleted"}
LIFECYCLE_EVENTS = ("reauthorizationRequired", "subscriptionRemoved", "missed")
_RESOURCE = re.compile(
    r"^/?(?:me|users/(?P<user>[^/]+))/(?:calendar/events|events|calendars(?:/(?P<cal>[^/()]+)|\('(?P<cal2>[^']+)'\))/events)$",
    re.IGNORECASE,
)


@dataclass
class Subscription:
    id: str
    owner: str
    tenant_id: str
    user_oid: str
    calendar_id: str
    resource: str
    change_types: set[str]
    change_type: str
    notification_url: str
    lifecycle_url: str | None
    client_state: str | None
    expires: datetime
    application_id: str
    tls: str | None
    needs_reauthorization: bool = False

    @property
    def expired(self) -> bool:
        return utc_now() >= self.expires

    def resource_json(self) -> dict[str, Any]:
        return {
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity",
            "id": self.id,
            "resource": self.resource,
            "applicationId": self.application_id,
            "changeType": self.change_type,
            "clientState": self.client_state,
            "notificationUrl": self.notification_url,
            "notificationQueryOptions": None,
            "lifecycleNotificationUrl": self.lifecycle_url,
            "expirationDateTime": zones.format_utc(self.expires),
            "creatorId": self.user_oid,
            "includeResourceData": False,
            "latestSupportedTlsVersion": self.tls or "v1_2",
            "encryptionCertificate": None,
            "encryptionCertificateId": None,
            "notificationUrlAppId": None,
        }


def parse_resource(resource: str) -> tuple[str | None, str | None]:
    """(user part or None for me, calendar id or None for the default calendar); 400 when not an events path."""
    match = _RESOURCE.match(resource.strip())
    if not match:
        raise bad_request(f"Resource '{resource}' is not supported for change notifications on events.",
                          code="InvalidRequest")  # fmt: skip
    return match.group("user"), match.group("cal") or match.group("cal2")


def parse_change_type(value: str) -> set[str]:
    kinds = {part.strip() for part in value.split(",") if part.strip()}
    if not kinds or not kinds <= CHANGE_TYPES:
        raise bad_request(f"Invalid changeType '{value}'; use created, updated and/or deleted.", code="InvalidRequest")
    return kinds


def expiry(value: Any, max_minutes: int) -> datetime:
    try:
        moment = zones.parse_query_instant(str(value), "expirationDateTime")
    except GraphError as exc:
        raise bad_request("expirationDateTime must be an ISO 8601 date and time.", code="InvalidRequest") from exc
    now = utc_now()
    if moment <= now + timedelta(minutes=1):
        raise bad_request("Subscription expiration must be in the future.", code="InvalidRequest")
    if moment > now + timedelta(minutes=max_minutes, seconds=30):
        raise GraphError(
            400,
            "ExtensionError",
            "Operation: Create; Exception: [Status Code: BadRequest; Reason: Subscription expiration can only be "
            f"{max_minutes} minutes in the future.]",
        )
    return moment


class Notifier:
    """Owns subscriptions; POSTs notifications to notificationUrl in batches (one ``value[]`` per URL)."""

    def __init__(self, stats: Stats, *, batch_ms: int = 50, timeout: float = 10.0) -> None:
        self.stats = stats
        self.batch_ms = batch_ms
        self.timeout = timeout
        self.lock = threading.Lock()
        self.subscriptions: dict[str, Subscription] = {}
        self.log: deque[dict[str, Any]] = deque(maxlen=2000)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: httpx.AsyncClient | None = None
        self._pending: dict[str, list[dict[str, Any]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._client = httpx.AsyncClient(timeout=self.timeout)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        if self._client is not None:
            await self._client.aclose()

    def reset(self) -> None:
        with self.lock:
            self.subscriptions.clear()
            self.log.clear()
            self._pending.clear()

    # ---- the validation handshake ------------------------------------------------------------------------

    async def handshake(self, url: str, limit_seconds: float = 10.0) -> None:
        """POST ``url?validationToken=...``; the endpoint must echo the token as text/plain 200 within 10 s."""
        token = f"Validation: Testing client application reachability for subscription Request-Id: {uuid.uuid4()}"
        target = url + ("&" if urlsplit(url).query else "?") + "validationToken=" + quote_plus(token)
        assert self._client is not None
        failed = ("Subscription validation request failed. Notification endpoint must respond with 200 OK to "
                  "validation request.")  # fmt: skip
        try:
            response = await self._client.post(
                target, content=b"", headers={"Content-Type": "text/plain; charset=utf-8"}, timeout=limit_seconds
            )
        except httpx.TimeoutException as exc:
            self._record("validation", url, None, "timeout", [])
            raise bad_request("Subscription validation request timeout.", code="InvalidRequest") from exc
        except httpx.HTTPError as exc:
            self._record("validation", url, None, f"{type(exc).__name__}: {exc}", [])
            raise bad_request(failed, code="InvalidRequest") from exc
        self._record("validation", url, response.status_code, None, [])
        if response.status_code != 200:
            raise bad_request(failed, code="InvalidRequest")
        if not response.headers.get("content-type", "").lower().startswith("text/plain"):
            raise bad_request("Subscription validation request failed. Response must be of content type text/plain.",
                              code="InvalidRequest")  # fmt: skip
        if response.text != token:
            raise bad_request("Subscription validation request failed. Response must exactly match validationToken "
                              "query parameter.", code="InvalidRequest")  # fmt: skip

    # ---- subscriptions ----------------------------------------------------------------------------------------

    def add(self, subscription: Subscription) -> None:
        with self.lock:
            self.subscriptions[subscription.id] = subscription

    def get(self, subscription_id: str, application_id: str | None = None) -> Subscription:
        with self.lock:
            found = self.subscriptions.get(subscription_id)
        if found is None or found.expired or (application_id and found.application_id != application_id):
            raise GraphError(404, "ResourceNotFound", f"The object was not found. Subscription id: {subscription_id}")
        return found

    def remove(self, subscription_id: str) -> None:
        with self.lock:
            self.subscriptions.pop(subscription_id, None)

    def listed(self, application_id: str | None = None) -> list[Subscription]:
        with self.lock:
            return [s for s in self.subscriptions.values()
                    if not s.expired and (application_id is None or s.application_id == application_id)]  # fmt: skip

    @staticmethod
    def new_id() -> str:
        return str(uuid.uuid4())

    # ---- change notifications -----------------------------------------------------------------------------------

    def event_changed(self, owner: str, calendar_id: str, event_id: str, change: str, etag: str) -> None:
        """Store listener: queue one notification per live subscription on the calendar."""
        with self.lock:
            targets = [s for s in self.subscriptions.values()
                       if s.owner == owner and s.calendar_id == calendar_id and change in s.change_types
                       and not s.expired]  # fmt: skip
        for sub in targets:
            if sub.needs_reauthorization:
                self._record("notification", sub.notification_url, None, "dropped: reauthorization required", [sub.id])
                continue
            resource = f"Users/{sub.user_oid}/Events/{event_id}"
            item = {
                "subscriptionId": sub.id,
                "subscriptionExpirationDateTime": zones.format_utc(sub.expires),
                "changeType": change,
                "resource": resource,
                "resourceData": {
                    "@odata.type": "#Microsoft.Graph.Event",
                    "@odata.id": resource,
                    "@odata.etag": etag,
                    "id": event_id,
                },
                "clientState": sub.client_state,
                "tenantId": sub.tenant_id,
            }
            self._queue(sub.notification_url, item)

    def lifecycle(self, sub: Subscription, event: str) -> None:
        if event not in LIFECYCLE_EVENTS:
            raise bad_request(f"unknown lifecycle event {event!r}; known: {list(LIFECYCLE_EVENTS)}")
        if event == "reauthorizationRequired":
            sub.needs_reauthorization = True
        if event == "subscriptionRemoved":
            self.remove(sub.id)
        if sub.lifecycle_url:
            item = {
                "subscriptionId": sub.id,
                "subscriptionExpirationDateTime": zones.format_utc(sub.expires),
                "tenantId": sub.tenant_id,
                "clientState": sub.client_state,
                "lifecycleEvent": event,
            }
            self._queue(sub.lifecycle_url, item)

    def _queue(self, url: str, item: dict[str, Any]) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            self._record("notification", url, None, "notifier not running", [item["subscriptionId"]])
            return
        loop.call_soon_threadsafe(self._add, url, item)

    def _add(self, url: str, item: dict[str, Any]) -> None:
        batch = self._pending.get(url)
        if batch is not None:
            batch.append(item)
            return
        self._pending[url] = [item]
        task = asyncio.get_running_loop().create_task(self._flush_later(url))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _flush_later(self, url: str) -> None:
        await asyncio.sleep(self.batch_ms / 1000)
        batch = self._pending.pop(url, [])
        if not batch:
            return
        kind = "lifecycle" if "lifecycleEvent" in batch[0] else "notification"
        assert self._client is not None
        ids = [item["subscriptionId"] for item in batch]
        try:
            response = await self._client.post(url, json={"value": batch}, timeout=self.timeout)
        except httpx.HTTPError as exc:
            self._record(kind, url, None, f"{type(exc).__name__}: {exc}", ids, len(batch))
            return
        self._record(kind, url, response.status_code, None, ids, len(batch))

    def _record(
        self, kind: str, url: str, status: int | None, error: str | None, ids: list[str], count: int = 0
    ) -> None:
        ok = status is not None and 200 <= status < 300
        if kind != "validation":
            self.stats.notification("delivered" if ok else "failed")
        with self.lock:
            self.log.append({
                "kind": kind, "url": url, "subscriptionIds": ids, "count": count, "status": status, "error": error,
                "at": zones.format_utc(utc_now()), "id": secrets.token_hex(4),
            })  # fmt: skip
