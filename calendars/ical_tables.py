"""Tables of the iCalendar features: sent invitations, reminders, feed tokens, imported feeds."""

from __future__ import annotations

from piccolo.columns import JSONB, Boolean, ForeignKey, Integer, OnDelete, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from rental.tables import Booking, Company, Product, StaffUser


class BookingMail(Table, tablename="booking_mail"):
    """One e-mail about a booking: an iMIP invitation or a reminder, with its outcome.

    Partial unique indexes (migration) make each one happen once: an invitation per
    (booking, method, sequence), a reminder per (booking, reminder, offset, recipient, target time).
    """

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    booking = ForeignKey(references=Booking, on_delete=OnDelete.cascade, null=True, index=True)  # None: staff
    kind = Varchar(length=16)  # invite | reminder | notice | staff | staff_invite
    # kind 'staff': the notification it mails (migration: a foreign key to staff_notification)
    notification = Integer(null=True, default=None)
    # kind 'staff_invite': the invitation it mails (migration: a foreign key to staff_invitation)
    invitation = Integer(null=True, default=None)
    note = Text(default="")  # free text a notice carries (the reason a request was declined)
    method = Varchar(length=8, default="")  # REQUEST | CANCEL (invites)
    sequence = Integer(default=0)  # the booking's SEQUENCE when recorded
    reminder = Varchar(length=8, default="")  # pickup | return (reminders)
    offset_minutes = Integer(default=0)
    target_at = Timestamptz(null=True, default=None)  # the pickup/return instant a reminder is about
    recipient = Varchar(length=254)
    recipient_role = Varchar(length=16, default="customer")  # customer | staff
    status = Varchar(length=16, default="queued", index=True)  # queued | sending | sent | failed | skipped
    error = Text(default="")
    attempts = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class ReminderSettings(Table, tablename="reminder_settings"):
    """Per-company reminder switch and offsets; no row means the defaults."""

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, unique=True)
    enabled = Boolean(default=True)
    offsets_minutes = JSONB(default=[1440, 60])
    notify_staff = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())


class FeedSubscription(Table, tablename="feed_subscription"):
    """A subscribable .ics URL of one staff member; only the SHA-256 of its token is stored."""

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    owner = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False, index=True)
    kind = Varchar(length=16)  # assignments | company | product | deliveries | maintenance
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, null=True)
    name = Varchar(length=200)
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    token_created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    last_fetched_at = Timestamptz(null=True, default=None)
    etag = Varchar(length=80, default="")  # of the content last served
    changed_at = Timestamptz(null=True, default=None)  # when that content first appeared: Last-Modified


class FeedImport(Table, tablename="feed_import"):
    """An external .ics feed whose events become availability blocks (source "feed:<id>")."""

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    staff = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=True)  # personal feed when set
    name = Varchar(length=200)
    url_sealed = Text(secret=True)  # Fernet-encrypted: secret iCal addresses are credentials
    url_display = Varchar(length=300)  # scheme://host/… for the portal
    created_at = Timestamptz(default=TimestamptzNow())
    last_attempt_at = Timestamptz(null=True, default=None, index=True)
    last_success_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    event_count = Integer(default=0)
    remote_etag = Varchar(length=300, default="")
    remote_last_modified = Varchar(length=100, default="")
    # Events the last good read left out: [{"event": "'Team lunch' (12 Mar 2026)", "reason": "..."}]
    skipped = JSONB(default=[])
