"""Explicit msgspec schemas for the rental API."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, UnsetType

from rental.statuses import ACTIVE
from rentcal import contacts

BookingStatus = Literal["pending", "confirmed", "picked_up", "returned", "cancelled", "expired", "unverified"]
BlockKind = Literal["handover", "equipment"]
DayStatusName = Literal["available", "partial", "unavailable", "closed"]
ACTIVE_STATUSES = ACTIVE  # kept for existing importers

# Text fields: bounded, and no NUL characters (PostgreSQL cannot store them in text).
NO_NUL = r"^[^\x00]*$"
# Addresses and names are checked by rentcal.contacts (CustomerIn.__post_init__), the rule the
# iCalendar layer shares; the bounds here only keep absurd input out before that runs.
Email = Annotated[str, msgspec.Meta(max_length=320)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=400)]
Phone = Annotated[str, msgspec.Meta(max_length=40, pattern=NO_NUL)]
Place = Annotated[str, msgspec.Meta(max_length=300, pattern=NO_NUL)]
Note = Annotated[str, msgspec.Meta(max_length=4000, pattern=NO_NUL)]
Reason = Annotated[str, msgspec.Meta(max_length=200, pattern=NO_NUL)]
# Ids are PostgreSQL integers (32 bit).
Id = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
RouteOrder = Annotated[int, msgspec.Meta(ge=0, le=10_000)]
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def check_instants(struct: msgspec.Struct, *names: str) -> None:
    """RFC 3339 date-times with an offset, in a sane range: a bare number such as 0 (1970) is refused.

    Raised from __post_init__, msgspec reports it as a validation error (422 problem+json).
    """
    for name in names:
        value = getattr(struct, name)
        if value is None or value is msgspec.UNSET:
            continue
        if value.utcoffset() is None:
            raise ValueError(f"{name} must be an RFC 3339 date-time with a UTC offset, like 2027-03-14T09:00:00-08:00")
        if not EARLIEST <= value < LATEST:
            raise ValueError(
                f"{name} must be an RFC 3339 date-time string between {EARLIEST.year} and {LATEST.year - 1}, "
                "like 2027-03-14T09:00:00-08:00"
            )


def trimmed(struct: msgspec.Struct, *names: str) -> None:
    """Strip the surrounding white space of the named text fields that are set."""
    for name in names:
        value = getattr(struct, name)
        if isinstance(value, str):
            setattr(struct, name, value.strip())


class CustomerIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    email: Email
    phone: Phone = ""

    def __post_init__(self) -> None:
        # ValueError (ContactError) here becomes a 422 naming the field, with a message for people.
        self.name = contacts.person_name(self.name)
        self.email = contacts.email_address(self.email)
        self.phone = contacts.one_line(self.phone, "phone number", 40)


class BookingCreate(msgspec.Struct, forbid_unknown_fields=True):
    product_id: Id
    starts_at: datetime
    ends_at: datetime
    customer: CustomerIn
    unit_id: Id | None = None
    status: Literal["pending", "confirmed"] = "confirmed"
    pickup_location: Place = ""
    return_location: Place = ""
    assigned_staff_id: Id | None = None
    notes: Note = ""
    confirm_past: bool = False  # record a pickup that has already passed (staff, on purpose)

    def __post_init__(self) -> None:
        check_instants(self, "starts_at", "ends_at")
        trimmed(self, "pickup_location", "return_location", "notes")


class BookingUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """PATCH: a missing field is unchanged (UNSET); `null` clears the fields that may be empty."""

    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType = UNSET
    status: BookingStatus | UnsetType = UNSET
    unit_id: Id | UnsetType = UNSET
    pickup_location: Place | UnsetType = UNSET
    return_location: Place | UnsetType = UNSET
    assigned_staff_id: Id | UnsetType | None = UNSET
    notes: Note | UnsetType = UNSET
    # the name and contact given with this booking (the customer record is linked anew)
    customer: CustomerIn | UnsetType = UNSET
    confirm_past: bool = False  # move a pickup or return into the past (staff, on purpose)

    def __post_init__(self) -> None:
        check_instants(self, "starts_at", "ends_at")
        trimmed(self, "pickup_location", "return_location", "notes")


class Customer(msgspec.Struct):
    id: int
    name: str
    email: str
    phone: str


class Booking(msgspec.Struct):
    id: int
    product_id: int
    product_name: str
    unit_id: int
    unit_name: str
    status: BookingStatus
    starts_at: datetime
    ends_at: datetime
    customer: Customer
    pickup_location: str
    return_location: str
    assigned_staff_id: int | None
    notes: str
    sequence: int
    created_at: datetime
    updated_at: datetime
    hold_until: datetime | None = None  # a website request holds the unit until then


class Product(msgspec.Struct):
    id: int
    name: str
    unit_count: int
    description: str = ""
    public: bool = True  # offered in the website widget
    active: bool = True  # False: deactivated, takes no new bookings (and is not in the widget)
    min_rental_days: int = 1
    max_rental_days: int | None = None


class ProductRules(msgspec.Struct, forbid_unknown_fields=True):
    """Rental length the widget offers for a product (days, pickup and return day included)."""

    min_rental_days: Annotated[int, msgspec.Meta(ge=1, le=366)] = 1
    max_rental_days: Annotated[int, msgspec.Meta(ge=1, le=366)] | None = None


class CalendarDay(msgspec.Struct):
    date: date
    status: DayStatusName
    available_units: int
    total_units: int
    reason: str | None = None


class ProductCalendar(msgspec.Struct):
    product_id: int
    timezone: str
    days: list[CalendarDay]


class BlockCreate(msgspec.Struct, forbid_unknown_fields=True):
    blocked_from: datetime
    blocked_until: datetime
    reason: Reason = ""
    product_id: Id | None = None
    unit_id: Id | None = None
    staff_id: Id | None = None
    rrule: Annotated[str, msgspec.Meta(max_length=300, pattern=NO_NUL)] | None = None
    # handover: no pickup or return that day (default for company-wide); equipment: units unavailable
    blocks: BlockKind | None = None
    # Whole local days: the times are moved to the local midnights around them. Left out: true when
    # both are local midnights of the company's zone.
    all_day: bool | None = None
    confirm: bool = False  # save even when active bookings have their pickup or return in it

    def __post_init__(self) -> None:
        check_instants(self, "blocked_from", "blocked_until")
        trimmed(self, "reason")


class Block(msgspec.Struct):
    id: int
    blocked_from: datetime
    blocked_until: datetime
    reason: str
    scope: Literal["company", "product", "unit", "staff"]
    product_id: int | None
    unit_id: int | None
    staff_id: int | None
    rrule: str | None
    source: str
    blocks: BlockKind = "handover"
    all_day: bool = False


class MaintenanceCreate(msgspec.Struct, forbid_unknown_fields=True):
    unit_id: Id
    starts_at: datetime
    ends_at: datetime
    description: Note = ""
    technician_id: Id | None = None

    def __post_init__(self) -> None:
        check_instants(self, "starts_at", "ends_at")


class MaintenanceUpdate(msgspec.Struct, forbid_unknown_fields=True):
    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType = UNSET
    description: Note | UnsetType = UNSET
    technician_id: Id | UnsetType | None = UNSET  # null: unassign

    def __post_init__(self) -> None:
        check_instants(self, "starts_at", "ends_at")


class Maintenance(msgspec.Struct):
    id: int
    unit_id: int
    starts_at: datetime
    ends_at: datetime
    description: str
    technician_id: int | None


class DeliveryCreate(msgspec.Struct, forbid_unknown_fields=True):
    booking_id: Id
    kind: Literal["delivery", "pickup"]
    starts_at: datetime
    ends_at: datetime
    address: Place
    driver_id: Id | None = None
    route_order: RouteOrder = 0

    def __post_init__(self) -> None:
        check_instants(self, "starts_at", "ends_at")


class DeliveryUpdate(msgspec.Struct, forbid_unknown_fields=True):
    starts_at: datetime | UnsetType = UNSET
    ends_at: datetime | UnsetType = UNSET
    address: Place | UnsetType = UNSET
    driver_id: Id | UnsetType | None = UNSET  # null: unassign
    route_order: RouteOrder | UnsetType = UNSET

    def __post_init__(self) -> None:
        check_instants(self, "starts_at", "ends_at")


class Delivery(msgspec.Struct):
    id: int
    booking_id: int
    kind: str
    starts_at: datetime
    ends_at: datetime
    address: str
    driver_id: int | None
    route_order: int
