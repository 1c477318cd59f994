"""In-memory accounts, calendars and events; every write (API, admin, web view) goes through here."""

from __future__ import annotations

import copy
import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, tzinfo
from typing import Any

from . import event_model as em
from . import recurrence, timeutil
from .errors import GoogleError, deleted, duplicate, not_found, precondition_failed

SECONDARY_CALENDARS = (("Deliveries", "9"), ("Team holidays", "7"))
PRIMARY_COLOR = "14"
DEFAULT_REMINDERS = [{"method": "popup", "minutes": 30}]


@dataclass
class StoredEvent:
    """One event. ``resource`` is copy-on-write: writes swap in a new dict, never mutate the old one."""

    resource: dict[str, Any]
    span: em.Span
    rev: int  # store-wide change counter of the last write
    order: int  # creation order, the default list order

    @property
    def cancelled(self) -> bool:
        return self.resource.get("status") == "cancelled"


@dataclass
class Calendar:
    id: str
    owner: str
    summary: str
    time_zone: str
    color_id: str
    primary: bool
    resource_id: str
    description: str = ""
    sync_epoch: int = 0
    updated_us: int = 0
    events: dict[str, StoredEvent] = field(default_factory=dict)
    ical_uids: set[str] = field(default_factory=set)

    @property
    def tz(self) -> tzinfo:
        return timeutil.zone(self.time_zone) or UTC


@dataclass
class Account:
    email: str
    sub: str
    name: str
    calendar_ids: list[str] = field(default_factory=list)


def _sub_for(email: str) -> str:
    return str(int(hashlib.sha256(email.encode()).hexdigest(), 16))[:21]


def secondary_calendar_id(email: str, summary: str) -> str:
    return f"c_{hashlib.sha256(f'{email}/{summary}'.encode()).hexdigest()}@group.calendar.google.com"


class Store:
    def __init__(self, base_url: str, time_zone: str = "Europe/Berlin", seed_accounts: tuple[str, ...] = ()) -> None:
        self.base_url = base_url.rstrip("/")
        self.time_zone = time_zone
        self.seed_accounts = seed_accounts
        self.lock = threading.RLock()
        self._listeners: list[Callable[[str], None]] = []
        self.reset()

    # ---- lifecycle -----------------------------------------------------------------------------

    def reset(self) -> None:
        with self.lock:
            self.generation = secrets.token_hex(4)
            self.accounts: dict[str, Account] = {}
            self.calendars: dict[str, Calendar] = {}
            self.rev = 0
            self._last_us = 0
            self._order = 0
            for email in self.seed_accounts:
                self.ensure_account(email)

    def add_listener(self, listener: Callable[[str], None]) -> None:
        self._listeners.append(listener)

    def _changed(self, calendar_id: str) -> None:
        for listener in self._listeners:
            listener(calendar_id)

    def stamp(self) -> tuple[int, int]:
        """Next (revision, unique microsecond timestamp); caller holds the lock."""
        self.rev += 1
        self._last_us = max(int(time.time() * 1_000_000), self._last_us + 1)
        return self.rev, self._last_us

    # ---- accounts and calendars ----------------------------------------------------------------

    def ensure_account(self, email: str, name: str | None = None) -> Account:
        email = email.strip().lower()
        with self.lock:
            account = self.accounts.get(email)
            if account:
                return account
            local = email.split("@", 1)[0]
            account = Account(email, _sub_for(email), name or local.replace(".", " ").title())
            self.accounts[email] = account
            self._add_calendar(account, email, email, PRIMARY_COLOR, primary=True)
            for summary, color in SECONDARY_CALENDARS:
                self._add_calendar(account, secondary_calendar_id(email, summary), summary, color, primary=False)
            return account

    def _add_calendar(self, account: Account, cid: str, summary: str, color: str, *, primary: bool) -> None:
        _, now_us = self.stamp()
        resource_id = hashlib.sha1(cid.encode()).hexdigest()[:27]  # noqa: S324 - an opaque id, not security
        self.calendars[cid] = Calendar(
            cid, account.email, summary, self.time_zone, color, primary, resource_id, updated_us=now_us
        )
        account.calendar_ids.append(cid)

    def account(self, email: str) -> Account | None:
        return self.accounts.get(email.lower())

    def calendar(self, calendar_id: str) -> Calendar:
        found = self.calendars.get(calendar_id)
        if found is None:
            raise not_found()
        return found

    def calendar_for(self, email: str, calendar_id: str) -> Calendar:
        """Resolve ``primary`` and check ownership; other people's calendars are 404 like in Google."""
        cid = email if calendar_id == "primary" else calendar_id
        found = self.calendars.get(cid)
        if found is None or found.owner != email:
            raise not_found()
        return found

    def invalidate_sync_tokens(self, calendar_id: str) -> int:
        with self.lock:
            cal = self.calendar(calendar_id)
            cal.sync_epoch += 1
            return cal.sync_epoch

    # ---- events ----------------------------------------------------------------------------------

    def snapshot(self, cal: Calendar) -> tuple[list[StoredEvent], int]:
        """A consistent copy of a calendar's events plus the current revision (resources are shared)."""
        with self.lock:
            return [replace(event) for event in cal.events.values()], self.rev

    def get_event(self, cal: Calendar, event_id: str) -> dict[str, Any]:
        with self.lock:
            stored = cal.events.get(event_id)
            if stored is None:
                raise not_found()
            return copy.deepcopy(stored.resource)

    def insert_event(self, cal: Calendar, body: dict[str, Any], actor: str) -> dict[str, Any]:
        body = em.strip_nulls(body)
        with self.lock:
            event_id = body.get("id")
            if event_id is None:
                event_id = em.new_event_id()
            elif not isinstance(event_id, str) or not em.is_valid_event_id(event_id):
                raise GoogleError(400, "invalid", "Invalid resource id value.")
            ical_uid = body.get("iCalUID") or f"{event_id}@google.com"
            if event_id in cal.events or ical_uid in cal.ical_uids:
                raise duplicate()
            resource = {k: v for k, v in body.items() if k not in em.READ_ONLY}
            resource.setdefault("status", "confirmed")
            resource.setdefault("reminders", {"useDefault": True})
            resource.setdefault("eventType", "default")
            resource["sequence"] = int(resource.get("sequence", 0))
            resource.update(id=event_id, iCalUID=ical_uid, kind="calendar#event")
            resource["creator"] = {"email": actor, **({"self": True} if actor == cal.id else {})}
            resource["organizer"] = self._organizer(cal)
            resource["htmlLink"] = em.html_link(self.base_url, cal.id, event_id)
            span = self._validate(resource, cal)
            rev, now_us = self.stamp()
            resource["created"] = timeutil.format_from_micros(now_us)
            self._stamp_resource(resource, now_us)
            self._order += 1
            resource = em.ordered(resource)
            cal.events[event_id] = StoredEvent(resource, span, rev, self._order)
            cal.ical_uids.add(ical_uid)
            cal.updated_us = now_us
            out = copy.deepcopy(resource)
        self._changed(cal.id)
        return out

    def patch_event(
        self, cal: Calendar, event_id: str, patch: dict[str, Any], if_match: str | None = None
    ) -> dict[str, Any]:
        patch = {k: v for k, v in patch.items() if k not in em.READ_ONLY and k not in ("id", "iCalUID")}
        return self._rewrite(cal, event_id, if_match, lambda current: em.merge_patch(current, patch))

    def update_event(
        self, cal: Calendar, event_id: str, body: dict[str, Any], if_match: str | None = None
    ) -> dict[str, Any]:
        keep = (
            "kind",
            "id",
            "iCalUID",
            "created",
            "creator",
            "organizer",
            "htmlLink",
            "sequence",
            "recurringEventId",
        )

        def replace(current: dict[str, Any]) -> dict[str, Any]:
            fresh = {k: v for k, v in em.strip_nulls(body).items() if k not in em.READ_ONLY and k not in keep}
            fresh.update({k: current[k] for k in keep if k in current})
            fresh.setdefault("status", current.get("status", "confirmed"))
            fresh.setdefault("reminders", {"useDefault": True})
            fresh.setdefault("eventType", current.get("eventType", "default"))
            if isinstance(body.get("sequence"), int) and body["sequence"] > fresh.get("sequence", 0):
                fresh["sequence"] = body["sequence"]
            return fresh

        return self._rewrite(cal, event_id, if_match, replace)

    def delete_event(self, cal: Calendar, event_id: str, if_match: str | None = None) -> None:
        with self.lock:
            stored = cal.events.get(event_id)
            if stored is None:
                raise not_found()
            self._check_etag(stored, if_match)
            if stored.cancelled:
                raise deleted()
            rev, now_us = self.stamp()
            resource = dict(stored.resource)
            resource["status"] = "cancelled"
            resource["sequence"] = int(resource.get("sequence", 0)) + 1
            self._stamp_resource(resource, now_us)
            stored.resource, stored.rev = resource, rev
            cal.updated_us = now_us
        self._changed(cal.id)

    # ---- internals ---------------------------------------------------------------------------------

    def _rewrite(
        self,
        cal: Calendar,
        event_id: str,
        if_match: str | None,
        change: Callable[[dict[str, Any]], dict[str, Any]],
    ) -> dict[str, Any]:
        with self.lock:
            stored = cal.events.get(event_id)
            if stored is None:
                raise not_found()
            self._check_etag(stored, if_match)
            current = copy.deepcopy(stored.resource)
            resource = em.strip_nulls(change(current))
            span = self._validate(resource, cal)
            if any(resource.get(k) != stored.resource.get(k) for k in em.MATERIAL):
                resource["sequence"] = max(int(resource.get("sequence", 0)), int(stored.resource["sequence"]) + 1)
            rev, now_us = self.stamp()
            self._stamp_resource(resource, now_us)
            stored.resource, stored.span, stored.rev = em.ordered(resource), span, rev
            cal.updated_us = now_us
            out = copy.deepcopy(stored.resource)
        self._changed(cal.id)
        return out

    def _validate(self, resource: dict[str, Any], cal: Calendar) -> em.Span:
        em.check_fields(resource)
        for attendee in resource.get("attendees") or []:
            # read-only in Google: marks the entry of the calendar whose copy of the event this is
            if attendee.get("email") == cal.id:
                attendee["self"] = True
            else:
                attendee.pop("self", None)
        span = em.normalise_times(resource, cal.tz)
        recurrence.check(resource, span, cal.tz)
        return span

    @staticmethod
    def _check_etag(stored: StoredEvent, if_match: str | None) -> None:
        if if_match is None or if_match.strip() == "*":
            return
        wanted = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
        if stored.resource["etag"] not in wanted:
            raise precondition_failed()

    @staticmethod
    def _stamp_resource(resource: dict[str, Any], now_us: int) -> None:
        resource["etag"] = f'"{now_us}"'
        resource["updated"] = timeutil.format_from_micros(now_us)

    @staticmethod
    def _organizer(cal: Calendar) -> dict[str, Any]:
        if cal.primary:
            return {"email": cal.id, "self": True}
        return {"email": cal.id, "displayName": cal.summary, "self": True}
