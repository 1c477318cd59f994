"""Piccolo tables of the rental domain. Instants are timestamptz (UTC)."""

from __future__ import annotations

from piccolo.columns import (
    JSONB,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Company(Table, tablename="company"):
    id: Serial = Serial(primary_key=True)
    name = Varchar(length=200)
    slug = Varchar(length=64, unique=True, index=True)
    timezone = Varchar(length=64, default="UTC")
    # {"mon": ["08:00", "18:00"], ...}; a missing day means closed that day.
    business_hours = JSONB(default={})
    # booking status -> colour name (CSS / Google colorId mapping lives in calendars/)
    status_colors = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow())


class StaffUser(Table, tablename="staff_user"):
    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    email = Varchar(length=254, unique=True, index=True)
    name = Varchar(length=200)
    password_hash = Text()
    role = Varchar(length=16)  # admin | manager | driver | technician
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class StaffInvitation(Table, tablename="staff_invitation"):
    """An invitation to join a company's team; only the SHA-256 of its link's token is stored.

    The token is made when the invitation mail is composed (rental.staff_invitations.mint_token), so it
    exists only in that mail; each send (`sends`) replaces the one before.
    """

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    email = Varchar(length=254)
    role = Varchar(length=16)
    invited_by = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    sends = Integer(default=1)
    token_hash = Varchar(length=64, null=True, default=None, unique=True)
    token_expires_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    accepted_at = Timestamptz(null=True, default=None)
    staff = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)  # who accepted it


class ApiToken(Table, tablename="api_token"):
    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    user = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=False)
    name = Varchar(length=100, default="")
    token_hash = Varchar(length=64, unique=True, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class Customer(Table, tablename="customer"):
    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    name = Varchar(length=200)
    email = Varchar(length=254, index=True)
    phone = Varchar(length=40, default="")
    created_at = Timestamptz(default=TimestamptzNow())


class Product(Table, tablename="product"):
    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    name = Varchar(length=200)
    description = Text(default="")
    public = Boolean(default=True)
    active = Boolean(default=True)  # a deactivated product takes no new bookings and leaves the widget
    created_at = Timestamptz(default=TimestamptzNow())
    # Rental length the widget offers, in days with pickup and return day included (None: no maximum).
    min_rental_days = Integer(default=1)
    max_rental_days = Integer(null=True, default=None)


class Unit(Table, tablename="unit"):
    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, null=False, index=True)
    name = Varchar(length=100)
    active = Boolean(default=True)


class Booking(Table, tablename="booking"):
    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.restrict, null=False, index=True)
    unit = ForeignKey(references=Unit, on_delete=OnDelete.restrict, null=False, index=True)
    customer = ForeignKey(references=Customer, on_delete=OnDelete.restrict, null=False)
    # The name and contact given with this booking (the customer record is only linked).
    customer_name = Varchar(length=200, default="")
    customer_email = Varchar(length=254, default="")
    customer_phone = Varchar(length=40, default="")
    assigned_staff = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz(index=True)
    status = Varchar(length=16, default="pending", index=True)
    pickup_location = Varchar(length=300, default="")
    return_location = Varchar(length=300, default="")
    notes = Text(default="")
    # Raised on every change a calendar must learn of (iCalendar SEQUENCE).
    sequence = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    # A website request holds the unit until then (pending) or waits for its e-mail link (unverified).
    hold_until = Timestamptz(null=True, default=None)


class MaintenanceSchedule(Table, tablename="maintenance_schedule"):
    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    unit = ForeignKey(references=Unit, on_delete=OnDelete.cascade, null=False, index=True)
    technician = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    description = Text(default="")
    sequence = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())  # the feed's DTSTAMP/LAST-MODIFIED


class Delivery(Table, tablename="delivery"):
    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    booking = ForeignKey(references=Booking, on_delete=OnDelete.cascade, null=False, index=True)
    driver = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    kind = Varchar(length=16, default="delivery")  # delivery | pickup
    starts_at = Timestamptz()
    ends_at = Timestamptz()
    address = Varchar(length=300, default="")
    route_order = Integer(default=0)
    sequence = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())  # the feed's DTSTAMP/LAST-MODIFIED


class AvailabilityBlock(Table, tablename="availability_block"):
    """A block-out: company-wide when product, unit and staff are all empty."""

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    product = ForeignKey(references=Product, on_delete=OnDelete.cascade, null=True)
    unit = ForeignKey(references=Unit, on_delete=OnDelete.cascade, null=True)
    staff = ForeignKey(references=StaffUser, on_delete=OnDelete.cascade, null=True)
    blocked_from = Timestamptz()
    blocked_until = Timestamptz()
    reason = Varchar(length=200, default="")
    # RFC 5545 RRULE value (e.g. "FREQ=WEEKLY;BYDAY=SU"), repeating the first window.
    rrule = Varchar(length=300, null=True, default=None)
    source = Varchar(length=64, default="manual")  # manual | feed:<id>
    # handover: no pickup or return on the days it touches | equipment: the units are unavailable
    blocks = Varchar(length=16, default="handover")
    # Whole local days: blocked_from/blocked_until are local midnights, feeds write DATE values.
    all_day = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())


class Outbox(Table, tablename="outbox"):
    """Work that calendars must do, committed in the same transaction as the change."""

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    topic = Varchar(length=64)  # e.g. booking.created, booking.updated, booking.cancelled
    aggregate_id = Integer()
    payload = JSONB(default={})
    created_at = Timestamptz(default=TimestamptzNow())
    dispatched_at = Timestamptz(null=True, default=None, index=True)
    processed_at = Timestamptz(null=True, default=None)
    attempts = Integer(default=0)
    last_error = Text(default="")


class BookingChange(Table, tablename="booking_change"):
    """The audit trail of a booking: who changed what, when, and through which door."""

    id: Serial = Serial(primary_key=True)
    company = ForeignKey(references=Company, on_delete=OnDelete.cascade, null=False, index=True)
    booking = ForeignKey(references=Booking, on_delete=OnDelete.cascade, null=False, index=True)
    at = Timestamptz(default=TimestamptzNow())
    staff = ForeignKey(references=StaffUser, on_delete=OnDelete.set_null, null=True)
    actor = Varchar(length=200, default="")  # the name at the time (a staff member, a customer, a calendar)
    via = Varchar(length=16, default="system")  # portal | api | widget | calendar | system
    action = Varchar(length=16)  # created | updated
    # field -> [before, after] as people read them (local times are formatted when shown)
    changes = JSONB(default={})
