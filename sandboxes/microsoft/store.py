"""In-memory mailboxes: accounts, calendars, events, master categories. Every write goes through here."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import event_model as em
from . import ids, recurrence, zones
from .categories import DEFAULT_CATEGORIES
from .errors import change_key_mismatch, item_not_found

SECONDARY_CALENDARS = (("Deliveries", "lightGreen"), ("Team holidays", "lightOrange"))
CALENDAR_HEX = {"auto": "", "lightBlue": "#a6d1f5", "lightGreen": "#87d28e", "lightOrange": "#fcab73",
                "lightGray": "#c0c0c0", "lightYellow": "#f0d56c", "lightTeal": "#3cc0c7", "lightPink": "#f0a3d2",
                "lightBrown": "#cba57a", "lightRed": "#f88b8b"}  # fmt: skip

Listener = Callable[[str, str, str, str, str], None]  # owner, calendar id, event id, changeType, etag


@dataclass
class StoredEvent:
    id: str
    calendar_id: str
    props: dict[str, Any]
    timing: em.Timing
    recurrence: dict[str, Any] | None
    extended: dict[str, dict[str, str]]
    created: datetime
    modified: datetime
    change_key: str
    rev: int
    ical_uid: str
    deleted: bool = False
    exceptions: dict[str, em.Occurrence] = field(default_factory=dict)
    cancelled: set[str] = field(default_factory=set)

    @property
    def etag(self) -> str:
        return f'W/"{self.change_key}"'

    def occurrences(self) -> list[em.Occurrence]:
        """Every instance of a series (none for a single event), exceptions applied, cancelled ones left out."""
        if not self.recurrence:
            return []
        found = []
        for local in recurrence.starts(self.recurrence, self.timing.start_local):
            key = em.day_key(local)
            if key in self.cancelled:
                continue
            found.append(
                self.exceptions.get(key)
                or em.Occurrence(ids.occurrence_id(self.id, key), key, self.timing.shifted(local))
            )
        return found

    def occurrence(self, day: str) -> em.Occurrence | None:
        return next((o for o in self.occurrences() if o.day == day), None)


@dataclass
class Calendar:
    id: str
    owner: str
    name: str
    color: str
    is_default: bool
    change_key: str = field(default_factory=ids.change_key)
    delta_epoch: int = 0
    events: dict[str, StoredEvent] = field(default_factory=dict)


@dataclass
class Account:
    email: str
    name: str
    oid: str
    tid: str
    calendar_ids: list[str] = field(default_factory=list)
    categories: list[dict[str, str]] = field(default_factory=list)
    transactions: dict[str, tuple[str, str]] = field(default_factory=dict)  # transactionId -> (calendar, event)


class Store:
    def __init__(self, base_url: str, seed_accounts: tuple[str, ...] = ()) -> None:
        self.base_url = base_url.rstrip("/")
        self.seed_accounts = seed_accounts
        self.lock = threading.RLock()
        self._listeners: list[Listener] = []
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.accounts: dict[str, Account] = {}
            self.calendars: dict[str, Calendar] = {}
            self.rev = 0
            for email in self.seed_accounts:
                self.ensure_account(email)

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _changed(self, cal: Calendar, event_id: str, change: str, etag: str) -> None:
        for listener in self._listeners:
            listener(cal.owner, cal.id, event_id, change, etag)

    def _bump(self) -> tuple[int, datetime]:
        self.rev += 1
        return self.rev, em.utc_now()

    # ---- accounts and calendars ------------------------------------------------------------------------

    def ensure_account(self, email: str, name: str | None = None) -> Account:
        email = email.strip().lower()
        with self.lock:
            found = self.accounts.get(email)
            if found:
                return found
            local = email.split("@", 1)[0]
            account = Account(email, name or local.replace(".", " ").title(), ids.user_oid(email), ids.tenant_id(email))
            account.categories = [
                {"id": ids.category_id(), "displayName": n, "color": c} for n, c in DEFAULT_CATEGORIES
            ]
            self.accounts[email] = account
            for index, (cal_name, color) in enumerate((("Calendar", "auto"), *SECONDARY_CALENDARS)):
                cal = Calendar(ids.calendar_id(email, cal_name), email, cal_name, color, is_default=index == 0)
                self.calendars[cal.id] = cal
                account.calendar_ids.append(cal.id)
            return account

    def account(self, email: str) -> Account | None:
        return self.accounts.get(email.lower())

    def tenants(self) -> set[str]:
        with self.lock:
            return {a.tid for a in self.accounts.values()}

    def calendar(self, calendar_id: str) -> Calendar:
        found = self.calendars.get(calendar_id)
        if found is None:
            raise item_not_found()
        return found

    def calendar_for(self, email: str, calendar_id: str) -> Calendar:
        found = self.calendars.get(calendar_id)
        if found is None or found.owner != email:
            raise item_not_found()
        return found

    def default_calendar(self, email: str) -> Calendar:
        return self.calendars[self.ensure_account(email).calendar_ids[0]]

    def expire_delta_tokens(self, calendar_id: str) -> int:
        with self.lock:
            cal = self.calendar(calendar_id)
            cal.delta_epoch += 1
            return cal.delta_epoch

    # ---- reads ---------------------------------------------------------------------------------------------

    def locate(
        self, email: str, event_id: str, cal: Calendar | None = None
    ) -> tuple[Calendar, StoredEvent, em.Occurrence | None]:
        """An event or occurrence of the account (optionally in one calendar); 404 otherwise."""
        occ = ids.parse_occurrence_id(event_id)
        master_id = occ[0] if occ else event_id
        with self.lock:
            calendars = [cal] if cal else [self.calendars[c] for c in self.ensure_account(email).calendar_ids]
            for candidate in calendars:
                stored = candidate.events.get(master_id)
                if stored is None or stored.deleted or candidate.owner != email:
                    continue
                if occ is None:
                    return candidate, stored, None
                found = stored.occurrence(occ[1])
                if found is not None:
                    return candidate, stored, found
        raise item_not_found()

    def live_events(self, cal: Calendar) -> list[StoredEvent]:
        with self.lock:
            return [e for e in cal.events.values() if not e.deleted]

    def view(self, cal: Calendar, start: datetime, end: datetime) -> list[tuple[StoredEvent, em.Occurrence | None]]:
        """calendarView: single events and occurrences/exceptions overlapping [start, end), by start time."""
        found: list[tuple[StoredEvent, em.Occurrence | None]] = []
        with self.lock:
            for stored in cal.events.values():
                if stored.deleted:
                    continue
                if not stored.recurrence:
                    if em.window_overlaps(stored.timing, start, end):
                        found.append((stored, None))
                    continue
                for occ in stored.occurrences():
                    if occ.timing.start >= end + timedelta(days=1):
                        break
                    if em.window_overlaps(occ.timing, start, end):
                        found.append((stored, occ))
        found.sort(key=lambda pair: ((pair[1].timing if pair[1] else pair[0].timing).start, pair[0].id))
        return found

    # ---- writes ----------------------------------------------------------------------------------------------

    def create_event(self, cal: Calendar, body: dict[str, Any]) -> tuple[StoredEvent, bool]:
        """Create an event; a repeated ``transactionId`` of the mailbox returns the event it made (created=False)."""
        with self.lock:
            account = self.ensure_account(cal.owner)
            transaction = body.get("transactionId")
            if isinstance(transaction, str) and transaction in account.transactions:
                cal_id, event_id = account.transactions[transaction]
                existing = self.calendars[cal_id].events.get(event_id)
                if existing is not None and not existing.deleted:
                    return existing, False
            timing = em.timing_from(body, None)
            assert timing is not None
            props = em.merged_props(copy.deepcopy(em.DEFAULTS), body)
            if body.get("recurrence"):
                recurrence.check(body["recurrence"])
            rev, now = self._bump()
            event_id = ids.new_event_id()
            stored = StoredEvent(
                event_id, cal.id, props, timing, copy.deepcopy(body.get("recurrence")),
                em.extended_properties(body.get("singleValueExtendedProperties")), now, now, ids.change_key(), rev,
                "040000008200E00074C5B7101A82E0080000000" + ids.change_key()[-16:].upper(),
            )  # fmt: skip
            cal.events[event_id] = stored
            if isinstance(transaction, str):
                account.transactions[transaction] = (cal.id, event_id)
        self._changed(cal, event_id, "created", stored.etag)
        return stored, True

    def update_event(
        self, cal: Calendar, stored: StoredEvent, occ: em.Occurrence | None, body: dict[str, Any], if_match: str | None
    ) -> tuple[StoredEvent, em.Occurrence | None]:
        with self.lock:
            self._check_etag(occ.change_key if occ and occ.change_key else stored.change_key, if_match)
            if occ is not None:
                if body.get("recurrence") is not None:
                    raise em.bad_request("An occurrence of a series cannot have its own recurrence.")
                props = em.merged_props({**stored.props, **occ.props}, body)
                timing = em.timing_from(body, occ.timing)
                assert timing is not None
                changed = {k: v for k, v in props.items() if stored.props.get(k) != v}
                occ = em.Occurrence(occ.id, occ.day, timing, changed, True, ids.change_key())
                stored.exceptions[occ.day] = occ
            else:
                stored.props = em.merged_props(stored.props, body)
                new_timing = em.timing_from(body, stored.timing)
                assert new_timing is not None
                stored.timing = new_timing
                if "recurrence" in body:
                    if body["recurrence"]:
                        recurrence.check(body["recurrence"])
                    stored.recurrence = copy.deepcopy(body["recurrence"]) or None
                    stored.exceptions.clear()
                    stored.cancelled.clear()
                stored.extended.update(em.extended_properties(body.get("singleValueExtendedProperties")))
            stored.rev, stored.modified = self._bump()
            stored.change_key = ids.change_key()
        self._changed(cal, stored.id, "updated", stored.etag)
        return stored, occ

    def delete_event(self, cal: Calendar, stored: StoredEvent, occ: em.Occurrence | None, if_match: str | None) -> None:
        with self.lock:
            self._check_etag(occ.change_key if occ and occ.change_key else stored.change_key, if_match)
            if occ is not None:
                stored.cancelled.add(occ.day)
                stored.exceptions.pop(occ.day, None)
                change = "updated"
            else:
                stored.deleted = True
                change = "deleted"
            stored.rev, stored.modified = self._bump()
            stored.change_key = ids.change_key()
        self._changed(cal, stored.id, change, stored.etag)

    @staticmethod
    def _check_etag(current: str, if_match: str | None) -> None:
        if if_match is None or if_match.strip() == "*":
            return
        wanted = {tag.strip().removeprefix("W/").strip('"') for tag in if_match.split(",")}
        if current not in wanted:
            raise change_key_mismatch()

    # ---- master categories ------------------------------------------------------------------------------------

    def add_category(self, email: str, name: str, color: str) -> dict[str, str]:
        with self.lock:
            account = self.ensure_account(email)
            if any(c["displayName"].lower() == name.lower() for c in account.categories):
                from .errors import GraphError

                raise GraphError(409, "ErrorDuplicateCategory", f"A category with the name '{name}' already exists.")
            category = {"id": ids.category_id(), "displayName": name, "color": color}
            account.categories.append(category)
            return dict(category)

    def delete_category(self, email: str, category_id: str) -> None:
        with self.lock:
            account = self.ensure_account(email)
            before = len(account.categories)
            account.categories = [c for c in account.categories if c["id"] != category_id]
            if len(account.categories) == before:
                raise item_not_found()


def local_now(zone: zones.Zone) -> datetime:
    return em.utc_now().astimezone(zone.tz).replace(tzinfo=None, microsecond=0)
