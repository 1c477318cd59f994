"""Customer records: found by e-mail address, created once, never renamed by a booking.

A booking keeps the name and contact given with it (booking.customer_name/_email/_phone); the
customer record only links a person's bookings. An office address shared by several people, or an
anonymous website request with someone's address, no longer rewrites the name on earlier bookings.
"""

from __future__ import annotations

from rental.tables import Customer
from rental.tenants import Tenant


async def customer_for(tenant: Tenant, name: str, email: str, phone: str) -> int:
    """The id of the company's customer with this e-mail address (any case), created if new."""
    existing = (
        await Customer.select(Customer.id)
        .where((Customer.company == tenant.id) & (Customer.email.ilike(email)))
        .order_by(Customer.id)
        .first()
    )
    if existing is not None:
        return int(existing["id"])
    rows = await Customer.insert(Customer(company=tenant.id, name=name, email=email.lower(), phone=phone)).returning(
        Customer.id
    )
    return int(rows[0]["id"])
