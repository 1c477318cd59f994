"""The tenant a request acts for; every query is scoped by its id."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from rental.errors import NotFound
from rental.tables import Company


@dataclass(frozen=True)
class Tenant:
    id: int
    slug: str
    name: str
    timezone: str

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Tenant:
        return cls(id=row["id"], slug=row["slug"], name=row["name"], timezone=row["timezone"])


_COLUMNS = (Company.id, Company.slug, Company.name, Company.timezone)


async def tenant_by_id(company_id: int) -> Tenant:
    row = await Company.select(*_COLUMNS).where(Company.id == company_id).first()
    if row is None:
        raise NotFound("company not found")
    return Tenant.from_row(row)


async def tenant_by_slug(slug: str) -> Tenant:
    row = await Company.select(*_COLUMNS).where(Company.slug == slug).first()
    if row is None:
        raise NotFound(f"no company '{slug}'")
    return Tenant.from_row(row)
