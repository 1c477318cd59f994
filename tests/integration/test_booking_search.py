"""The bookings list: search by customer, number, unit and phone; filters that work alone; sort; pages;
dates in the company's zone. The service directly, and the portal page over real HTTP."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rental import bookings
from rental.booking_search import BookingQuery, search_bookings
from rental.schemas import BookingCreate, BookingUpdate, CustomerIn
from rental.tenants import Tenant
from tests.factories import make_product, make_staff, make_tenant
from tests.support.portal import signed_in

TZ = ZoneInfo("Pacific/Auckland")


def local(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


async def shop() -> tuple[Tenant, dict[str, int]]:
    """Four bookings a week apart from next week on; the third is cancelled."""
    tenant = await make_tenant("Pacific/Auckland")
    excavator, diggers = await make_product(tenant, units=1, name="Excavator")
    trailer, trailers = await make_product(tenant, units=1, name="Box trailer")
    start = datetime.now(TZ).date() + timedelta(days=7)
    people = [
        ("Ana Lopez", "+64 21 555 0101", excavator, diggers[0]),
        ("Ben Okafor", "+64 21 555 0202", trailer, trailers[0]),
        ("Cleo Ng", "(021) 555-0303", excavator, diggers[0]),
        ("Dev Patel", "021 555 0404", trailer, trailers[0]),
    ]
    ids: dict[str, int] = {}
    for n, (name, phone, product, unit) in enumerate(people):
        day = start + timedelta(days=7 * n)
        made = await bookings.create_booking(
            tenant,
            BookingCreate(
                product_id=product,
                unit_id=unit,
                starts_at=local(day, 9),
                ends_at=local(day + timedelta(days=2), 17),
                customer=CustomerIn(name=name, email=f"{name.split()[0].lower()}@example.test", phone=phone),
            ),
        )
        ids[name] = made.id
    await bookings.update_booking(tenant, ids["Cleo Ng"], BookingUpdate(status="cancelled"))
    return tenant, ids


def names(page: list) -> list[str]:  # type: ignore[type-arg]
    return [b.customer.name for b in page]


async def test_search_matches_customer_number_unit_and_phone_digits() -> None:
    tenant, ids = await shop()

    async def found(text: str) -> list[str]:
        return names((await search_bookings(tenant, BookingQuery(text=text))).items)

    assert await found("okafor") == ["Ben Okafor"]
    assert await found("cleo@example") == ["Cleo Ng"]
    assert await found(f"#{ids['Dev Patel']}") == ["Dev Patel"]
    assert await found("trailer") == ["Ben Okafor", "Dev Patel"]
    assert await found("0215550303") == ["Cleo Ng"]  # typed without the brackets and dashes
    assert await found("555 0101") == ["Ana Lopez"]
    assert await found("50%_") == []  # wildcards are plain characters


async def test_status_alone_sort_and_pages() -> None:
    tenant, _ = await shop()
    cancelled = await search_bookings(tenant, BookingQuery(status="cancelled"))
    assert names(cancelled.items) == ["Cleo Ng"] and cancelled.total == 1

    by_name = await search_bookings(tenant, BookingQuery(sort="customer", descending=True))
    assert names(by_name.items) == ["Dev Patel", "Cleo Ng", "Ben Okafor", "Ana Lopez"]

    first = await search_bookings(tenant, BookingQuery(per_page=3))
    second = await search_bookings(tenant, BookingQuery(per_page=3, page=2))
    assert (first.total, first.pages, second.page) == (4, 2, 2)
    assert names(first.items) == ["Ana Lopez", "Ben Okafor", "Cleo Ng"] and names(second.items) == ["Dev Patel"]
    beyond = await search_bookings(tenant, BookingQuery(per_page=3, page=99))
    assert beyond.page == 2 and names(beyond.items) == ["Dev Patel"]


async def test_dates_are_the_company_days() -> None:
    tenant, _ = await shop()
    first_day = datetime.now(TZ).date() + timedelta(days=7)
    # Ana's pickup at 09:00 in Auckland is the evening before in UTC: a UTC day filter would list it.
    day_before = await search_bookings(
        tenant, BookingQuery(first=first_day - timedelta(days=3), last=first_day - timedelta(days=1))
    )
    assert names(day_before.items) == []
    on_the_day = await search_bookings(tenant, BookingQuery(first=first_day - timedelta(days=3), last=first_day))
    assert names(on_the_day.items) == ["Ana Lopez"]


async def test_portal_list_filters_by_status_without_dates_and_searches(live_server: str) -> None:
    tenant, ids = await shop()
    _, email = await make_staff(tenant, "manager")
    async with signed_in(live_server, email) as client:
        # The form sends every field, blank ones too: an empty "To" must not turn into an error.
        page = await client.get(
            "/portal/bookings",
            params={"q": "", "from": "", "to": "", "status": "cancelled", "sort": "pickup", "order": "asc"},
            headers={"hx-request": "true"},
        )
        assert page.status_code == 200, page.text
        rows = re.findall(r'id="booking-(\d+)"', page.text)
        assert rows == [str(ids["Cleo Ng"])]
        assert "1 booking, page 1 of 1" in page.text

        phone = await client.get("/portal/bookings", params={"q": "021-555-0404", "to": "", "from": ""})
        assert re.findall(r'id="booking-(\d+)"', phone.text) == [str(ids["Dev Patel"])]
        assert 'value="021-555-0404"' in phone.text  # the search stays in its box

        nonsense = await client.get("/portal/bookings", params={"from": "tomorrow", "page": "x", "sort": "drop"})
        assert nonsense.status_code == 200 and len(re.findall(r'id="booking-(\d+)"', nonsense.text)) == 4

        # the pickup is shown in Auckland time, the way the staff typed it
        dev_pickup = local(datetime.now(TZ).date() + timedelta(days=28), 9)
        assert dev_pickup.strftime("%a %d %b %Y %H:%M") in phone.text
