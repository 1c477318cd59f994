"""Explicit msgspec schemas for the rental API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

BookingStatus = Literal["pending", "confirmed", "picked_up", "returned", "cancelled", "expired", "unverified"]
BlockKind = Literal["handover", "equipment"]
DayStatusName = Literal["available", "partial", "unavailable", "closed"]
ACTIVE_STATUSES: tuple[str, ...] = ("pending", "confirmed", "picked_up")

Email = Annotated[str, msgspec.Meta(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class CustomerIn(msgspec.Struct, forbid_unknown_fields=True):
    name: Name
    email: Email
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""


class BookingCreate(msgspec.Struct, forbid_unknown_fields=True):
    product_id: int
    starts_at: datetime
    ends_at: datetime
    customer: CustomerIn
    unit_id: int | None = None
    status: Literal["pending", "confirmed"] = "confirmed"
    pickup_location: Annotated[str, msgspec.Meta(max_length=300)] = ""
    return_location: Annotated[str, msgspec.Meta(max_length=300)] = ""
    assigned_staff_id: int | None = None
    notes: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    confirm_past: bool = False  # record a pickup that has already passed (staff, on purpose)


class BookingUpdate(msgspec.Struct, forbid_unknown_fields=True):
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    status: BookingStatus | None = None
    unit_id: int | None = None
    pickup_location: str | None = None
    return_location: str | None = None
    assigned_staff_id: int | None = None
    notes: str | None = None
    confirm_past: bool = False  # move a pickup or return into the past (staff, on purpose)


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
    reason: Annotated[str, msgspec.Meta(max_length=200)] = ""
    product_id: int | None = None
    unit_id: int | None = None
    staff_id: int | None = None
    rrule: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    # handover: no pickup or return that day (default for company-wide); equipment: units unavailable
    blocks: BlockKind | None = None
    confirm: bool = False  # save even when active bookings have their pickup or return in it


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


class MaintenanceCreate(msgspec.Struct, forbid_unknown_fields=True):
    unit_id: int
    starts_at: datetime
    ends_at: datetime
    description: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    technician_id: int | None = None


class MaintenanceUpdate(msgspec.Struct, forbid_unknown_fields=True):
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    description: str | None = None
    technician_id: int | None = None


class Maintenance(msgspec.Struct):
    id: int
    unit_id: int
    starts_at: datetime
    ends_at: datetime
    description: str
    technician_id: int | None


class DeliveryCreate(msgspec.Struct, forbid_unknown_fields=True):
    booking_id: int
    kind: Literal["delivery", "pickup"]
    starts_at: datetime
    ends_at: datetime
    address: Annotated[str, msgspec.Meta(max_length=300)]
    driver_id: int | None = None
    route_order: Annotated[int, msgspec.Meta(ge=0)] = 0


class DeliveryUpdate(msgspec.Struct, forbid_unknown_fields=True):
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    address: str | None = None
    driver_id: int | None = None
    route_order: int | None = None


class Delivery(msgspec.Struct):
    id: int
    booking_id: int
    kind: str
    starts_at: datetime
    ends_at: datetime
    address: str
    driver_id: int | None
    route_order: int
