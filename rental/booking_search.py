"""The bookings list: free-text search, filters, sort and pages over one company's bookings."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import msgspec

from rental import availability
from rental.bookings import _SELECT, _to_schema
from rental.schemas import Booking
from rental.tables import Booking as BookingTable
from rental.tenants import Tenant

SortKey = Literal["pickup", "return", "customer", "unit", "number", "status"]
SORT_COLUMNS: dict[str, str] = {
    "pickup": "b.starts_at",
    "return": "b.ends_at",
    "customer": "lower(b.customer_name)",
    "unit": "lower(p.name), lower(u.name)",
    "number": "b.id",
    "status": "b.status",
}
PER_PAGE = 25


class BookingQuery(msgspec.Struct, kw_only=True):
    text: str = ""  # matches the customer's name, e-mail or phone, the booking number, the unit or product
    first: date | None = None
    last: date | None = None
    status: str | None = None
    sort: SortKey = "pickup"
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE


class BookingPage(msgspec.Struct, kw_only=True):
    items: list[Booking]
    total: int
    page: int
    pages: int


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def _where(tenant: Tenant, query: BookingQuery) -> tuple[str, list[Any]]:
    sql = ""
    args: list[Any] = [tenant.id]
    if query.first is not None:
        sql += " AND b.ends_at > {}"
        args.append(availability.day_bounds(query.first, tenant.tz)[0])
    if query.last is not None:
        sql += " AND b.starts_at < {}"
        args.append(availability.day_bounds(query.last, tenant.tz)[1])
    if query.status:
        sql += " AND b.status = {}"
        args.append(query.status)
    text = query.text.strip()
    if text.startswith("#") and text[1:].isdigit() and int(text[1:]) < 2**31:  # "#123": that booking number only
        sql += " AND b.id = {}"
        args.append(int(text[1:]))
    elif text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        terms = [
            "b.customer_name ILIKE {}",
            "b.customer_email ILIKE {}",
            "u.name ILIKE {}",
            "p.name ILIKE {}",
        ]
        args += [pattern] * len(terms)
        digits = _digits(text)
        if len(digits) >= 3:  # phones are typed with or without spaces, dashes and brackets
            terms.append("regexp_replace(b.customer_phone, '[^0-9]', '', 'g') LIKE {}")
            args.append(f"%{digits}%")
        if text.isdigit() and int(text) < 2**31:
            terms.append("b.id = {}")
            args.append(int(text))
        sql += " AND (" + " OR ".join(terms) + ")"
    return sql, args


async def search_bookings(tenant: Tenant, query: BookingQuery) -> BookingPage:
    where, args = _where(tenant, query)
    count_sql = "SELECT count(*) AS n FROM booking b JOIN product p ON p.id = b.product JOIN unit u ON u.id = b.unit"
    count_rows = await BookingTable.raw(count_sql + " WHERE b.company = {}" + where, *args)
    total = int(count_rows[0]["n"])
    per_page = max(1, min(query.per_page, 200))
    pages = max(1, -(-total // per_page))
    page = min(max(1, query.page), pages)
    direction = " DESC" if query.descending else ""
    order = ", ".join(column + direction for column in SORT_COLUMNS[query.sort].split(", "))
    sql = _SELECT + where + f" ORDER BY {order}, b.id{direction} LIMIT {{}} OFFSET {{}}"
    rows = await BookingTable.raw(sql, *args, per_page, (page - 1) * per_page)
    return BookingPage(items=[_to_schema(r) for r in rows], total=total, page=page, pages=pages)
