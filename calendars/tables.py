"""Tables of calendar integrations: connections, chosen calendars, event mappings, logs."""

from __future__ import annotations

from piccolo.columns import JSONB, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from rental.tables import Company, StaffUser


class CalendarIntegration(Table, tablename="calendar_integration"):
    """One connected account of one staff member (e.g. their Google account)."""

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    user = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False, index=True)
    provider = Varchar(length=16)  # google
    account_email = Varchar(length=254, default="")
    status = Varchar(length=24, default="active")  # active | needs_reconnect | disconnected
    status_detail = Text(default="")
    direction = Varchar(length=32, default="two_way")  # two_way | one_way_to_external | one_way_from_external
    on_remote_delete = Varchar(length=16, default="restore")  # restore | flag
    include_all_bookings = Boolean(default=False)  # managers: every company booking, not only assigned ones
    credentials = Text(default="", secret=True)  # MultiFernet-encrypted JSON; never logged
    created_at = Timestamptz(default=TimestamptzNow())
    last_synced_at = Timestamptz(null=True, default=None)
    last_audit = JSONB(null=True, default=None)  # the latest `rentcal sync audit` report
    # A full sync was asked for and has not finished since: kept in the database, so a lost queue
    # message (Redis restarted, worker killed) cannot lose it.
    full_sync_requested_at = Timestamptz(null=True, default=None)


class CalendarTarget(Table, tablename="calendar_target"):
    """One calendar of an integration: what we write there, whether we read busy times from it."""

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    integration = ForeignKey(references=CalendarIntegration, on_delete=OnDelete.cascade, null=False, index=True)
    external_id = Varchar(length=1024)
    name = Varchar(length=300, default="")
    write_kinds = JSONB(default=[])  # any of "bookings", "maintenance", "deliveries"
    read_busy = Boolean(default=False)
    # False when the calendar is shared read-only: busy times only, nothing routed into it
    writable = Boolean(default=True)
    write_error = Text(default="")  # why writing stopped (the server refused a write as read-only)
    sync_token = Text(null=True, default=None)
    last_read_at = Timestamptz(null=True, default=None)
    read_error = Text(default="")
    channel_id = Varchar(length=64, null=True, default=None, index=True)
    channel_resource_id = Varchar(length=256, null=True, default=None)
    channel_token_hash = Varchar(length=64, null=True, default=None)
    channel_expires_at = Timestamptz(null=True, default=None)


class CalendarEvent(Table, tablename="calendar_event"):
    """Mapping of one of our items (booking:42) to the event we keep in one external calendar."""

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    integration = ForeignKey(references=CalendarIntegration, on_delete=OnDelete.cascade, null=False, index=True)
    target = ForeignKey(references=CalendarTarget, on_delete=OnDelete.cascade, null=False, index=True)
    item_key = Varchar(length=64, index=True)
    external_id = Varchar(length=1024, index=True)
    etag = Varchar(length=256, default="")
    generation = Integer(default=0)
    pushed_hash = Varchar(length=64, default="")
    pushed_starts_at = Timestamptz(null=True, default=None)
    pushed_ends_at = Timestamptz(null=True, default=None)
    state = Varchar(length=16, default="synced")  # synced | deleted | remote_deleted
    last_synced_at = Timestamptz(default=TimestamptzNow())


class CalendarSyncLog(Table, tablename="calendar_sync_log"):
    """Every operation against a provider. No tokens and no customer data, only keys and ids."""

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    integration = ForeignKey(references=CalendarIntegration, on_delete=OnDelete.cascade, null=False, index=True)
    operation = Varchar(length=32)
    item_key = Varchar(length=64, default="")
    external_id = Varchar(length=1024, default="")
    outcome = Varchar(length=16, default="ok")  # ok | error | conflict
    detail = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())


class SyncConflict(Table, tablename="sync_conflict"):
    """A change made in an external calendar that we could not apply; shown to staff."""

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    integration = ForeignKey(references=CalendarIntegration, on_delete=OnDelete.cascade, null=False)
    item_key = Varchar(length=64)
    kind = Varchar(length=24)  # move_refused | remote_deleted
    detail = Text(default="")
    remote_starts_at = Timestamptz(null=True, default=None)
    remote_ends_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    resolved_at = Timestamptz(null=True, default=None)


class StaffNotification(Table, tablename="staff_notification"):
    """Something a staff member should know of (a change from a calendar applied or refused, a new website
    request): listed in the portal until read, and mailed once (booking_mail kind 'staff')."""

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    staff = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False)
    kind = Varchar(length=24)  # new_request | change_applied | change_refused
    item_key = Varchar(length=64, default="")
    message = Text(default="")
    source_event = Integer()  # the outbox row it came from: one notification per (event, person)
    created_at = Timestamptz(default=TimestamptzNow())
    read_at = Timestamptz(null=True, default=None)


class ExternalBusy(Table, tablename="external_busy"):
    """Busy time of a staff member from events we did not create (no titles kept)."""

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    staff = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False, index=True)
    target = ForeignKey(references=CalendarTarget, on_delete=OnDelete.cascade, null=False, index=True)
    external_id = Varchar(length=1024)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
