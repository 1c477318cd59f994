"""events.list: filters, ordering, keyset page tokens and sync tokens."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from . import event_model as em
from . import recurrence, timeutil
from .errors import GoogleError, bad_request, full_sync_required, time_range_empty
from .store import DEFAULT_REMINDERS, Calendar, Store, StoredEvent

MAX_PAGE = 2500
# Parameters Google refuses to combine with syncToken.
SYNC_INCOMPATIBLE = (
    "iCalUID", "orderBy", "privateExtendedProperty", "q", "sharedExtendedProperty", "timeMin", "timeMax",
    "updatedMin",
)  # fmt: skip
_QUERY_KEYS = (*SYNC_INCOMPATIBLE, "showDeleted", "singleEvents", "syncToken", "timeZone")


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def _unb64(token: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def make_sync_token(store: Store, cal: Calendar, rev: int) -> str:
    return _b64({"g": store.generation, "c": cal.id, "e": cal.sync_epoch, "r": rev})


def _sync_rev(store: Store, cal: Calendar, token: str) -> int:
    data = _unb64(token)
    if data is None or not isinstance(data.get("r"), int):
        raise bad_request("Invalid sync token value.", location="syncToken")
    if data.get("g") != store.generation or data.get("c") != cal.id or data.get("e") != cal.sync_epoch:
        raise full_sync_required()
    return int(data["r"])


def _time_param(params: dict[str, Any], name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    moment = timeutil.parse_rfc3339(raw)
    if moment is None:
        raise GoogleError(400, "badRequest", "Bad Request")
    return moment


@dataclass
class _Row:
    resource: dict[str, Any]
    span: em.Span
    stored: StoredEvent

    def key(self, mode: str) -> list[int]:
        start_us = int(self.span.start.timestamp() * 1_000_000)
        if mode == "startTime":
            return [start_us, self.stored.order]
        if mode in ("updated", "sync"):
            return [self.stored.rev, self.stored.order, start_us]
        return [self.stored.order, start_us]


class EventQuery:
    def __init__(self, store: Store, cal: Calendar, params: dict[str, Any]) -> None:
        self.store, self.cal, self.params = store, cal, params
        self.sync_token: str | None = params.get("syncToken")
        if self.sync_token is not None:
            clashing = [name for name in SYNC_INCOMPATIBLE if name in params]
            if clashing:
                raise bad_request(
                    f"The syncToken parameter cannot be used together with: {', '.join(clashing)}.",
                    location="syncToken",
                )
        self.single = bool(params.get("singleEvents"))
        self.order_by: str | None = params.get("orderBy")
        if self.order_by == "startTime" and not self.single:
            raise GoogleError(400, "badRequest", "The requested ordering is not available for the particular query.")
        self.time_min = _time_param(params, "timeMin")
        self.time_max = _time_param(params, "timeMax")
        if self.time_min and self.time_max and self.time_max <= self.time_min:
            raise time_range_empty()
        self.updated_min = _time_param(params, "updatedMin")
        self.show_deleted = bool(params.get("showDeleted"))
        tz_name = params.get("timeZone")
        self.tz: tzinfo | None = timeutil.zone(tz_name) if tz_name else None
        if tz_name and self.tz is None:
            raise bad_request("Invalid time zone.", location="timeZone")
        self.mode = "sync" if self.sync_token else (self.order_by or "default")
        fingerprint = json.dumps([params.get(k) for k in _QUERY_KEYS], default=str)
        self.query_hash = hashlib.sha256(fingerprint.encode()).hexdigest()[:12]

    def run(self) -> dict[str, Any]:
        since = _sync_rev(self.store, self.cal, self.sync_token) if self.sync_token else None
        page = self._page()
        events, current_rev = self.store.snapshot(self.cal)
        snapshot_rev = int(page["s"]) if page else current_rev
        rows = sorted(self._rows(events, since), key=lambda row: row.key(self.mode))
        if page:
            rows = [row for row in rows if row.key(self.mode) > page["k"]]
        limit = min(int(self.params.get("maxResults", 250)), MAX_PAGE)
        chosen = rows[:limit]
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"{self.cal.updated_us}"',
            "summary": self.cal.summary,
            **({"description": self.cal.description} if self.cal.description else {}),
            "updated": timeutil.format_from_micros(self.cal.updated_us),
            "timeZone": self.params.get("timeZone") or self.cal.time_zone,
            "accessRole": "owner",
            "defaultReminders": DEFAULT_REMINDERS if self.cal.primary else [],
        }
        if len(rows) > limit:
            last = chosen[-1].key(self.mode)
            body["nextPageToken"] = _b64({"k": last, "s": snapshot_rev, "h": self.query_hash})
        else:
            body["nextSyncToken"] = make_sync_token(self.store, self.cal, snapshot_rev)
        body["items"] = [self._render(row) for row in chosen]
        return body

    def _page(self) -> dict[str, Any] | None:
        token = self.params.get("pageToken")
        if token is None:
            return None
        data = _unb64(token)
        if data is None or data.get("h") != self.query_hash or not isinstance(data.get("k"), list):
            raise bad_request("Invalid page token value.", location="pageToken")
        return data

    def _rows(self, events: list[StoredEvent], since: int | None) -> Iterator[_Row]:
        for stored in events:
            resource = stored.resource
            if since is not None:
                if stored.rev <= since:
                    continue
            elif self.updated_min is not None:
                updated = timeutil.parse_rfc3339(resource["updated"])
                if updated is None or updated < self.updated_min:
                    continue
            elif stored.cancelled and not self.show_deleted:
                continue
            if since is None and not self._matches(resource):
                continue
            if self.single and resource.get("recurrence") and not stored.cancelled:
                for instance, span in recurrence.instances(
                    resource, stored.span, self.cal.tz, self.time_min, self.time_max
                ):
                    if since is not None or self._in_window(span):
                        yield _Row(instance, span, stored)
            elif since is not None or self._in_window(stored.span):
                yield _Row(resource, stored.span, stored)

    def _in_window(self, span: em.Span) -> bool:
        if self.time_min is not None and not (span.end > self.time_min or span.start >= self.time_min):
            return False
        return self.time_max is None or span.start < self.time_max

    def _matches(self, resource: dict[str, Any]) -> bool:
        uid = self.params.get("iCalUID")
        if uid is not None and resource.get("iCalUID") != uid:
            return False
        props = resource.get("extendedProperties") or {}
        for scope in ("private", "shared"):
            for pair in self.params.get(f"{scope}ExtendedProperty", []):
                name, _, value = pair.partition("=")
                if (props.get(scope) or {}).get(name) != value:
                    return False
        text = self.params.get("q")
        if text:
            haystack = " ".join(
                [str(resource.get(k, "")) for k in ("summary", "description", "location")]
                + [str(a.get("email", "")) for a in resource.get("attendees") or []]
            ).lower()
            return all(word in haystack for word in text.lower().split())
        return True

    def _render(self, row: _Row) -> dict[str, Any]:
        resource = row.resource
        if row.stored.cancelled and not self.show_deleted:
            return em.minimal_cancelled(resource)
        return em.localise(resource, self.tz) if self.tz else resource
