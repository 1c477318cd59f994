"""Test data built through the real tables and services."""

from __future__ import annotations

import itertools
from datetime import datetime

from rental.accounts import create_api_token, hash_password
from rental.tables import Company, Product, StaffUser, Unit
from rental.tenants import Tenant

_seq = itertools.count(1)
_PASSWORD_HASH = hash_password("secret-pass")


async def make_tenant(timezone: str = "America/Los_Angeles", name: str | None = None) -> Tenant:
    n = next(_seq)
    slug = f"co{n}-{datetime.now().strftime('%H%M%S%f')}"
    row = await Company.insert(Company(name=name or f"Company {n}", slug=slug, timezone=timezone)).returning(Company.id)
    return Tenant(id=row[0]["id"], slug=slug, name=name or f"Company {n}", timezone=timezone)


async def make_product(
    tenant: Tenant, units: int = 2, name: str = "Excavator XL", public: bool = True
) -> tuple[int, list[int]]:
    product = (await Product.insert(Product(company=tenant.id, name=name, public=public)).returning(Product.id))[0][
        "id"
    ]
    unit_ids = []
    for i in range(units):
        row = await Unit.insert(Unit(company=tenant.id, product=product, name=f"{name} #{i + 1}")).returning(Unit.id)
        unit_ids.append(row[0]["id"])
    return product, unit_ids


async def make_staff(tenant: Tenant, role: str = "manager", email: str | None = None) -> tuple[int, str]:
    email = email or f"{role}{next(_seq)}@{tenant.slug}.test"
    row = await StaffUser.insert(
        StaffUser(
            company=tenant.id,
            email=email,
            name=f"{role.title()} {tenant.slug}",
            role=role,
            password_hash=_PASSWORD_HASH,
        )
    ).returning(StaffUser.id)
    return row[0]["id"], email


async def make_api_token(tenant: Tenant, role: str = "manager") -> str:
    _, email = await make_staff(tenant, role)
    return await create_api_token(email)
