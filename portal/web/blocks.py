"""Portal block-outs page (managers): closures, unit downtime and vacations as local date ranges."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Template

from portal.deps import PORTAL_DEPENDENCIES
from portal.guards import MANAGERS, SIGNED_IN
from portal.web.layout import render
from rental import blocks, catalogue
from rental.accounts import Staff, staff_of_company
from rental.errors import Conflict, DomainError, InvalidInput
from rental.schemas import Block, BlockCreate
from rental.tenants import Tenant

WEEKDAYS = (("MO", "Mon"), ("TU", "Tue"), ("WE", "Wed"), ("TH", "Thu"), ("FR", "Fri"), ("SA", "Sat"), ("SU", "Sun"))
BLOCK_KINDS = (
    ("", "Default: closures stop pickup and return, unit or product blocks the equipment"),
    ("handover", "No pickup or return that day"),
    ("equipment", "Equipment unavailable"),
)
BLOCK_KIND_LABELS = {"handover": "no pickup or return", "equipment": "equipment unavailable"}
REPEATS = (("none", "Does not repeat"), ("weekly", "Every week on the chosen weekdays"), ("yearly", "Every year"))
Form = Body(media_type=RequestEncodingType.URL_ENCODED)


class BlockForm(msgspec.Struct):
    applies_to: str = "company"  # company | product:<id> | unit:<id> | staff:<id>
    from_date: str = ""
    to_date: str = ""
    repeat: str = "none"
    weekdays: str | list[str] = ""
    reason: str = ""
    blocks: str = ""  # "" (by scope) | handover | equipment
    confirm: str = ""  # "1" once the manager has seen the affected bookings

    @property
    def chosen_weekdays(self) -> list[str]:
        chosen = [self.weekdays] if isinstance(self.weekdays, str) else self.weekdays
        return [code for code, _ in WEEKDAYS if code in chosen]


@dataclass(frozen=True)
class Window:
    blocked_from: datetime
    blocked_until: datetime
    rrule: str | None


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _date(value: str, label: str) -> date | None:
    if not value.strip():
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{label}: enter a date like 2027-12-24") from None
    if not 2000 <= day.year < 2200:
        raise InvalidInput(f"{label}: enter a date between 2000 and 2199")
    return day


def block_window(first: date, last: date | None, repeat: str, weekdays: list[str], tz: ZoneInfo) -> Window:
    """Local dates (inclusive) and a repeat choice as the block's first window and RRULE.

    none: one block from `first` to `last`. yearly: that window again every year. weekly: every
    chosen weekday, whole day, from `first` until `last` (no end when empty); the first window is
    the first chosen weekday on or after `first`, so DTSTART is an occurrence of its own rule.
    Local midnights stay midnights across DST: the rule is expanded in the company's wall clock.
    """
    if last is not None and last < first:
        raise InvalidInput("'To' must not be before 'From'")
    if repeat == "weekly":
        if not weekdays:
            raise InvalidInput("choose at least one weekday for a weekly block")
        codes = [code for code, _ in WEEKDAYS]
        start = next(first + timedelta(days=i) for i in range(7) if codes[(first.weekday() + i) % 7] in weekdays)
        if last is not None and start > last:
            raise InvalidInput("none of the chosen weekdays falls between 'From' and 'To'")
        rule = f"FREQ=WEEKLY;BYDAY={','.join(weekdays)}"
        if last is not None:
            rule += f";UNTIL={last:%Y%m%d}T235959"
        return Window(_midnight(start, tz), _midnight(start + timedelta(days=1), tz), rule)
    last = last or first
    if repeat == "yearly":
        if (last - first).days + 1 >= 365:
            raise InvalidInput("a yearly block must be shorter than a year")
        return Window(_midnight(first, tz), _midnight(last + timedelta(days=1), tz), "FREQ=YEARLY")
    if repeat != "none":
        raise InvalidInput("choose how the block repeats")
    return Window(_midnight(first, tz), _midnight(last + timedelta(days=1), tz), None)


def to_create(form: BlockForm, tz: ZoneInfo) -> BlockCreate:
    first = _date(form.from_date, "From")
    if first is None:
        raise InvalidInput("From: enter the first blocked date")
    window = block_window(first, _date(form.to_date, "To"), form.repeat, form.chosen_weekdays, tz)
    kind, _, raw_id = form.applies_to.partition(":")
    valid_id = raw_id.isdigit() and 0 < int(raw_id) < 2**31
    if kind not in ("company", "product", "unit", "staff") or (kind != "company" and not valid_id):
        raise InvalidInput("choose what the block applies to")
    target = int(raw_id) if kind != "company" else None
    if form.blocks not in ("", "handover", "equipment"):
        raise InvalidInput("choose what the block-out blocks")
    return BlockCreate(
        blocked_from=window.blocked_from,
        blocked_until=window.blocked_until,
        reason=form.reason.strip()[:200],
        rrule=window.rrule,
        product_id=target if kind == "product" else None,
        unit_id=target if kind == "unit" else None,
        staff_id=target if kind == "staff" else None,
        blocks=form.blocks or None,  # type: ignore[arg-type]
        all_day=True,  # the form takes dates
        confirm=form.confirm == "1",
    )


def _affected_row(booking: dict[str, Any]) -> dict[str, Any]:
    """An affected booking for the confirmation list, its times as local dates."""
    start, end = datetime.fromisoformat(booking["starts_at"]), datetime.fromisoformat(booking["ends_at"])
    return {**booking, "when": f"{start:%a %d %b %Y %H:%M} – {end:%a %d %b %Y %H:%M}"}


@dataclass(frozen=True)
class BlockRow:
    id: int
    applies_to: str
    when: str
    repeat: str
    blocks: str
    reason: str
    removable: bool


def _when(block: Block, tz: ZoneInfo) -> str:
    start, end = block.blocked_from.astimezone(tz), block.blocked_until.astimezone(tz)
    if start.time() == time(0) and end.time() == time(0):
        last = end.date() - timedelta(days=1)
        return f"{start:%a %d %b %Y}" + (f" – {last:%a %d %b %Y}" if last != start.date() else "")
    return f"{start:%a %d %b %Y %H:%M} – {end:%a %d %b %Y %H:%M}"


def _repeat(rule: str | None) -> str:
    if not rule:
        return ""
    parts = dict(part.partition("=")[::2] for part in rule.split(";"))
    names = dict(WEEKDAYS)
    if parts.get("FREQ") == "YEARLY" and len(parts) == 1:
        return "every year"
    if parts.get("FREQ") == "WEEKLY" and set(parts) <= {"FREQ", "BYDAY", "UNTIL"} and "BYDAY" in parts:
        text = "every " + ", ".join(names.get(code, code) for code in parts["BYDAY"].split(","))
        until = parts.get("UNTIL", "")
        return text + (f" until {until[:4]}-{until[4:6]}-{until[6:8]}" if until else "")
    return rule


def _choices(products: list[Any], units: list[dict[str, Any]], staff: list[Staff]) -> list[tuple[str, list[Any]]]:
    """Option groups of the 'Applies to' select: (group label, [(value, label)])."""
    return [
        ("", [("company", "Whole company (closed)")]),
        ("Products", [(f"product:{p.id}", p.name) for p in products]),
        ("Units", [(f"unit:{u['id']}", f"{u['product_name']} · {u['name']}") for u in units]),
        ("Staff (vacation)", [(f"staff:{s.id}", s.name) for s in staff]),
    ]


class BlockPages(Controller):
    path = "/portal/blocks"
    dependencies = PORTAL_DEPENDENCIES
    guards = [SIGNED_IN, MANAGERS]
    include_in_schema = False

    async def _context(self, tenant: Tenant) -> dict[str, Any]:
        products = await catalogue.list_products(tenant)
        units = await catalogue.list_units(tenant)
        staff = await staff_of_company(tenant.id)
        choices = _choices(products, units, staff)
        names = {value: label for _, options in choices for value, label in options}
        rows = []
        for block in await blocks.list_blocks(tenant):
            target = {"product": block.product_id, "unit": block.unit_id, "staff": block.staff_id}.get(block.scope)
            key = f"{block.scope}:{target}" if target is not None else "company"
            rows.append(
                BlockRow(
                    id=block.id,
                    applies_to=names.get(key, key),
                    when=_when(block, tenant.tz),
                    repeat=_repeat(block.rrule),
                    blocks=BLOCK_KIND_LABELS[block.blocks] if block.scope != "staff" else "",
                    reason=block.reason,
                    removable=block.source == "manual",
                )
            )
        return {"choices": choices, "rows": rows, "weekdays": WEEKDAYS, "repeats": REPEATS, "block_kinds": BLOCK_KINDS}

    @get("/")
    async def index(
        self, request: Request[Any, Any, Any], staff: NamedDependency[Staff], tenant: NamedDependency[Tenant]
    ) -> Template:
        context = await self._context(tenant)
        page, fragment = "portal/blocks.html", "partials/blocks_table.html"
        return render(request, staff, tenant, page, fragment, form=BlockForm(), error=None, message=None, **context)

    @post("/", status_code=200)
    async def create(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        data: Annotated[BlockForm, Form],
    ) -> Template:
        try:
            block = await blocks.create_block(tenant, to_create(data, tenant.tz))
        except DomainError as exc:
            context = await self._context(tenant)
            affected = exc.extra.get("affected_bookings", []) if isinstance(exc, Conflict) else []
            context.update(form=data, error=exc.detail, message=None, affected=[_affected_row(a) for a in affected])
            return render(request, staff, tenant, "portal/blocks.html", "partials/block_form.html", **context)
        context = await self._context(tenant)
        context.update(form=BlockForm(), error=None, message=f"Block #{block.id} added: {_when(block, tenant.tz)}")
        return render(request, staff, tenant, "portal/blocks.html", "partials/block_form.html", oob=True, **context)

    @delete("/{block_id:int}", status_code=200)
    async def remove(
        self,
        request: Request[Any, Any, Any],
        staff: NamedDependency[Staff],
        tenant: NamedDependency[Tenant],
        block_id: FromPath[int],
    ) -> Template:
        await blocks.delete_block(tenant, block_id)
        context = await self._context(tenant)
        return render(request, staff, tenant, "portal/blocks.html", "partials/blocks_table.html", **context)
