"""The SQL behind `rental.timeline`: one query per kind of entry, narrowed by a `Select` and a time window.

Every reader of the schedule (team calendar, daily pages, subscription feeds, provider pushes, reminders)
goes through `query`, so the joins, the status sets and the scope filters exist once. The feed's
fingerprint wraps the same text in a digest, which is why the queries are exposed as text.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from rental.statuses import SHOWN_IN_CALENDARS

Kind = Literal["booking", "maintenance", "delivery", "block"]
KINDS: tuple[Kind, ...] = ("booking", "maintenance", "delivery", "block")


@dataclass(frozen=True)
class Select:
    """One kind of entry and the database-side filter on it.

    `staff_id`: work assigned to that person (the booking's staff, the driver, the technician); for block-outs,
    the person's own. `company_wide`: block-outs of the whole company only (closures, holidays), plus the
    person's own when `staff_id` is set; unit and product downtime is left out.
    """

    kind: Kind
    staff_id: int | None = None
    product_id: int | None = None
    company_wide: bool = False


_COLUMNS: dict[Kind, str] = {
    "booking": """
SELECT b.id, b.company, b.unit, u.name AS unit_name, b.product, p.name AS product_name, b.assigned_staff AS staff,
       b.starts_at, b.ends_at, b.status, b.customer_name, b.customer_email, b.customer_phone,
       b.pickup_location AS address, b.sequence, b.updated_at
FROM booking b JOIN unit u ON u.id = b.unit JOIN product p ON p.id = b.product""",
    "maintenance": """
SELECT m.id, m.company, m.unit, u.name AS unit_name, u.product, p.name AS product_name, m.technician AS staff,
       m.starts_at, m.ends_at, m.description, m.sequence, m.updated_at
FROM maintenance_schedule m JOIN unit u ON u.id = m.unit JOIN product p ON p.id = u.product""",
    "delivery": """
SELECT d.id, d.company, b.unit, u.name AS unit_name, b.product, p.name AS product_name, d.driver AS staff,
       d.starts_at, d.ends_at, d.kind, d.address, d.route_order, b.id AS booking_id, b.status,
       b.customer_name, b.customer_email, b.customer_phone, d.sequence,
       GREATEST(d.updated_at, b.updated_at) AS updated_at
FROM delivery d JOIN booking b ON b.id = d.booking JOIN unit u ON u.id = b.unit JOIN product p ON p.id = b.product""",
    "block": """
SELECT a.id, a.company, a.unit, u.name AS unit_name, coalesce(a.product, u.product) AS product,
       p.name AS product_name, a.staff, a.blocked_from AS starts_at, a.blocked_until AS ends_at, a.rrule, a.all_day,
       a.blocks, a.reason, a.created_at AS updated_at
FROM availability_block a LEFT JOIN unit u ON u.id = a.unit
LEFT JOIN product p ON p.id = coalesce(a.product, u.product)""",
}
_ALIAS: dict[Kind, str] = {"booking": "b", "maintenance": "m", "delivery": "d", "block": "a"}
_STAFF: dict[Kind, str] = {"booking": "b.assigned_staff", "maintenance": "m.technician", "delivery": "d.driver"}
_PRODUCT: dict[Kind, str] = {"booking": "b.product", "maintenance": "u.product", "delivery": "b.product"}
_STATUS: dict[Kind, str] = {"booking": "b.status", "delivery": "b.status"}


class _Where:
    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.args: list[Any] = []

    def add(self, condition: str, *args: Any) -> None:
        self.conditions.append(condition)
        self.args += args


def query(
    select: Select,
    *,
    company_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    ids: Collection[int] | None = None,
    statuses: Collection[str] | None = SHOWN_IN_CALENDARS,
    handovers: tuple[datetime, datetime] | None = None,
) -> tuple[str, list[Any]]:
    """The query for one kind: overlapping [start, end) when given (recurring block-outs always match, their
    occurrences are expanded afterwards), only `ids` when given, bookings and deliveries in `statuses`
    (None: any), and with `handovers=(after, until)` only bookings picked up or returned in (after, until]."""
    kind, alias = select.kind, _ALIAS[select.kind]
    where = _Where()
    if company_id is not None:
        where.add(f"{alias}.company = {{}}", company_id)
    if ids is not None:
        where.add(f"{alias}.id = ANY({{}})", list(ids))
    if kind == "block":
        if start is not None:
            where.add("(a.blocked_until > {} OR a.rrule IS NOT NULL)", start)
        if end is not None:
            where.add("a.blocked_from < {}", end)
        if select.company_wide:
            mine = " OR a.staff = {}" if select.staff_id is not None else ""
            where.add(f"a.unit IS NULL AND a.product IS NULL AND (a.staff IS NULL{mine})", *_given(select.staff_id))
        elif select.staff_id is not None:
            where.add("a.staff = {}", select.staff_id)
        if select.product_id is not None:
            where.add("coalesce(a.product, u.product) = {}", select.product_id)
    else:
        if start is not None:
            where.add(f"{alias}.ends_at > {{}}", start)
        if end is not None:
            where.add(f"{alias}.starts_at < {{}}", end)
        if handovers is not None:
            after, until = handovers
            where.add(
                f"(({alias}.starts_at > {{}} AND {alias}.starts_at <= {{}})"
                f" OR ({alias}.ends_at > {{}} AND {alias}.ends_at <= {{}}))",
                after, until, after, until,
            )  # fmt: skip
        if statuses is not None and kind in _STATUS:
            where.add(f"{_STATUS[kind]} = ANY({{}})", list(statuses))
        if select.staff_id is not None:
            where.add(f"{_STAFF[kind]} = {{}}", select.staff_id)
        if select.product_id is not None:
            where.add(f"{_PRODUCT[kind]} = {{}}", select.product_id)
    sql = _COLUMNS[kind] + (" WHERE " + " AND ".join(where.conditions) if where.conditions else "")
    return sql, where.args


def _given(value: int | None) -> list[int]:
    return [] if value is None else [value]
