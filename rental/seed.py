"""Demo data: company `demo` in America/Los_Angeles, three staff logins, products, bookings."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rental.accounts import hash_password
from rental.handover import OpeningHours
from rental.tables import (
    AvailabilityBlock,
    Booking,
    Company,
    Customer,
    Delivery,
    MaintenanceSchedule,
    Product,
    StaffUser,
    Unit,
)

DEMO_PASSWORD = "rentcal-demo"  # noqa: S105 - documented demo login
DEMO_STAFF = [
    ("manager@demo.test", "Maria Manager", "manager"),
    ("driver@demo.test", "Dan Driver", "driver"),
    ("tech@demo.test", "Tina Technician", "technician"),
]
DEMO_PRODUCTS = [
    ("Excavator XL", "20 t tracked excavator", 2),
    ("Mini excavator", "1.8 t, fits through a garden gate", 3),
    ("Scissor lift 10 m", "Electric, indoor/outdoor", 2),
    ("Party tent 6x12", "For up to 80 guests", 4),
    ("Plate compactor", "90 kg, petrol", 3),
    ("Cement mixer", "160 l, electric", 2),
]
CUSTOMERS = [
    ("Alex Builder", "alex@builders.test", "+1 555 0101"),
    ("Sam Gardens", "sam@gardens.test", "+1 555 0102"),
    ("Pat Events", "pat@events.test", "+1 555 0103"),
    ("Jo Roofing", "jo@roofing.test", "+1 555 0104"),
]


def _closed(day: date) -> bool:
    """The demo's closures: Sundays and the Christmas holidays (24-26 December)."""
    return day.weekday() == 6 or (day.month == 12 and 24 <= day.day <= 26)


def _open_day(day: date, hours: OpeningHours) -> date:
    while _closed(day) or hours.on(day) is None:
        day += timedelta(days=1)
    return day


def _closing(day: date, hours: OpeningHours) -> time:
    found = hours.on(day)
    assert found is not None
    return found[1]


async def seed_demo(today: datetime | None = None) -> bool:
    """Create the demo company once; returns False when it already exists."""
    if await Company.exists().where(Company.slug == "demo"):
        return False
    tz = ZoneInfo("America/Los_Angeles")
    hours = {d: ["07:00", "18:00"] for d in ("mon", "tue", "wed", "thu", "fri")} | {"sat": ["08:00", "13:00"]}
    company = (
        await Company.insert(
            Company(name="Demo Rentals", slug="demo", timezone=tz.key, business_hours=hours)
        ).returning(Company.id)
    )[0]["id"]
    password = hash_password(DEMO_PASSWORD)
    staff: dict[str, int] = {}
    for email, name, role in DEMO_STAFF:
        row = await StaffUser.insert(
            StaffUser(company=company, email=email, name=name, role=role, password_hash=password)
        ).returning(StaffUser.id)
        staff[role] = row[0]["id"]
    customers = []
    for name, email, phone in CUSTOMERS:
        row = await Customer.insert(Customer(company=company, name=name, email=email, phone=phone)).returning(
            Customer.id
        )
        customers.append(row[0]["id"])
    units: list[tuple[int, int]] = []
    for name, description, count in DEMO_PRODUCTS:
        product = (
            await Product.insert(Product(company=company, name=name, description=description)).returning(Product.id)
        )[0]["id"]
        for n in range(1, count + 1):
            unit = (await Unit.insert(Unit(company=company, product=product, name=f"{name} #{n}")).returning(Unit.id))[
                0
            ]["id"]
            units.append((product, unit))
    rng = random.Random(42)
    base = (today or datetime.now(UTC)).astimezone(tz).date()
    opening = OpeningHours(hours)
    busy: dict[int, list[tuple[datetime, datetime]]] = {person: [] for person in staff.values()}

    def free(person: int, start: datetime, end: datetime) -> int | None:
        """The person, booked for [start, end), if that does not give them two jobs at once; else nobody
        (the demo then shows work still to assign, not clashes)."""
        if any(s < end and e > start for s, e in busy[person]):
            return None
        busy[person].append((start, end))
        return person

    for product, unit in units:
        day = base + timedelta(days=rng.randint(1, 6))
        for _ in range(6):
            # Pickup and return on open days within business hours; the rental may span closed days.
            day = _open_day(day, opening)
            last = _open_day(day + timedelta(days=rng.randint(1, 5)), opening)
            start = datetime.combine(day, time(8), tzinfo=tz)
            end = datetime.combine(last, _closing(last, opening), tzinfo=tz)
            status = rng.choice(["confirmed", "confirmed", "pending"])
            booking = (
                await Booking.insert(
                    Booking(
                        company=company,
                        product=product,
                        unit=unit,
                        customer=rng.choice(customers),
                        assigned_staff=free(staff["manager"], start, end),
                        starts_at=start,
                        ends_at=end,
                        status=status,
                        pickup_location="Yard, 100 Main St, Los Angeles",
                    )
                ).returning(Booking.id)
            )[0]["id"]
            if rng.random() < 0.4:
                await Delivery.insert(
                    Delivery(
                        company=company,
                        booking=booking,
                        driver=free(staff["driver"], start - timedelta(hours=2), start),
                        kind="delivery",
                        starts_at=start - timedelta(hours=2),
                        ends_at=start,
                        address="42 Site Rd, Pasadena",
                        route_order=rng.randint(1, 5),
                    )
                )
            day = end.date() + timedelta(days=rng.randint(2, 9))
        # one service a day for the one technician: the next open day they are free
        maintenance_day = _open_day(day + timedelta(days=2), opening)
        service = datetime.combine(maintenance_day, time(8), tzinfo=tz)
        while (technician := free(staff["technician"], service, service + timedelta(hours=8))) is None:
            maintenance_day = _open_day(maintenance_day + timedelta(days=1), opening)
            service = datetime.combine(maintenance_day, time(8), tzinfo=tz)
        await MaintenanceSchedule.insert(
            MaintenanceSchedule(
                company=company,
                unit=unit,
                technician=technician,
                starts_at=service,
                ends_at=service + timedelta(hours=8),
                description="Scheduled service: oil, filters, safety check",
            )
        )
    christmas = datetime.combine(base.replace(month=12, day=24), time(0), tzinfo=tz)
    await AvailabilityBlock.insert(
        AvailabilityBlock(
            company=company,
            blocked_from=christmas,
            blocked_until=christmas + timedelta(days=3),
            reason="Christmas holidays",
            rrule="FREQ=YEARLY",
        ),
        AvailabilityBlock(
            company=company,
            blocked_from=datetime.combine(base, time(0), tzinfo=tz) + timedelta(days=(6 - base.weekday()) % 7),
            blocked_until=datetime.combine(base, time(0), tzinfo=tz) + timedelta(days=(6 - base.weekday()) % 7 + 1),
            reason="Closed on Sundays",
            rrule="FREQ=WEEKLY;BYDAY=SU",
        ),
    )
    return True
