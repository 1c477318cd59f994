"""Status and role sets, defined once (the database trigger on `booking` mirrors ACTIVE)."""

from __future__ import annotations

BOOKING_STATUSES: tuple[str, ...] = (
    "pending",
    "confirmed",
    "picked_up",
    "returned",
    "cancelled",
    "expired",  # a website request whose hold ran out (rental.holds)
    "unverified",  # a website request waiting for its e-mail link, holding nothing
)
# A booking that occupies its unit (unit_occupancy holds exactly these) and keeps its staff busy.
ACTIVE: tuple[str, ...] = ("pending", "confirmed", "picked_up")
# Shown in schedules, feeds and calendars: everything that happened or will happen.
SHOWN_IN_CALENDARS: tuple[str, ...] = ("pending", "confirmed", "picked_up", "returned")
# Confirmed work with a handover still ahead: customers get invitations and reminders for these.
CONFIRMED_AHEAD: tuple[str, ...] = ("confirmed", "picked_up")
# A website request still waiting for a decision (with a hold on its unit when "pending").
REQUEST_WAITING: tuple[str, ...] = ("pending", "unverified")
# Finished: no more moves or status changes.
FINISHED: tuple[str, ...] = ("returned", "cancelled", "expired")

ROLES: tuple[str, ...] = ("admin", "manager", "driver", "technician")
MANAGER_ROLES: tuple[str, ...] = ("admin", "manager")
# Roles that see only their own work (deliveries for drivers, maintenance for technicians).
FIELD_ROLES: tuple[str, ...] = ("driver", "technician")


def sql_list(statuses: tuple[str, ...]) -> str:
    """A status set as an SQL list literal for raw queries, e.g. ('pending', 'confirmed')."""
    if not set(statuses) <= set(BOOKING_STATUSES):
        raise ValueError(f"not booking statuses: {sorted(set(statuses) - set(BOOKING_STATUSES))}")
    return "(" + ", ".join(f"'{status}'" for status in statuses) + ")"
