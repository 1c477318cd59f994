"""The bookings list's query string, read leniently: blank fields are no filter, nonsense is ignored."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import cast
from urllib.parse import urlencode

from rental.booking_search import SORT_COLUMNS, BookingQuery, SortKey
from rental.statuses import BOOKING_STATUSES
from rental.tenants import Tenant

SORT_LABELS: dict[str, str] = {
    "pickup": "Pickup",
    "return": "Return",
    "customer": "Customer",
    "unit": "Product / unit",
    "number": "Booking number",
    "status": "Status",
}


def _day(value: str) -> date | None:
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        return None
    return day if 2000 <= day.year < 2200 else None


def list_query(
    first: str, last: str, status: str, text: str, sort: str, order: str, page: str, *, first_visit: bool, today: date
) -> BookingQuery:
    return BookingQuery(
        text=text.strip()[:200],
        # a first visit shows the last week onwards; a filtered list shows exactly what was asked
        first=today - timedelta(days=7) if first_visit else _day(first),
        last=_day(last),
        status=status if status in BOOKING_STATUSES else None,
        sort=cast(SortKey, sort) if sort in SORT_COLUMNS else "pickup",
        descending=order == "desc",
        page=int(page) if page.isdigit() and len(page) < 7 else 1,
    )


def default_query(tenant: Tenant) -> BookingQuery:
    return list_query("", "", "", "", "", "", "", first_visit=True, today=datetime.now(tenant.tz).date())


def page_href(query: BookingQuery, page: int) -> str:
    """The list's address for another page of the same search, filters and order."""
    fields = {
        "q": query.text,
        "from": query.first.isoformat() if query.first else "",
        "to": query.last.isoformat() if query.last else "",
        "status": query.status or "",
        "sort": query.sort,
        "order": "desc" if query.descending else "asc",
        "page": str(page),
    }
    return "/portal/bookings?" + urlencode(fields)
