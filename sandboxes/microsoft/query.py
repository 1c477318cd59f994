"""OData query options the calendar endpoints accept: $select, $expand, $filter, $top, $skip, Prefer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from litestar import Request

from . import zones
from .errors import GraphError, bad_request
from .responses import prefer

_EXPAND = re.compile(r"^singleValueExtendedProperties(?:\(\$filter=(?P<filter>.+)\))?$", re.IGNORECASE)
_ID_EQ = re.compile(r"^\s*id\s+eq\s+'(?P<id>[^']+)'\s*$", re.IGNORECASE)
_ANY = re.compile(
    r"^singleValueExtendedProperties/any\(\s*(?P<v>\w+)\s*:\s*(?P=v)/id\s+eq\s+'(?P<id>[^']+)'"
    r"(?:\s+and\s+(?P=v)/value\s+eq\s+'(?P<value>(?:[^']|'')*)')?\s*\)$",
    re.IGNORECASE,
)
MAX_PAGE = 1000


@dataclass(frozen=True)
class Options:
    zone: zones.Zone
    expand: set[str] | None
    select: set[str] | None
    page_size: int
    page_size_preferred: bool
    skip: int
    extended_filter: tuple[str, str | None] | None

    def applied(self) -> dict[str, str]:
        prefs = []
        if self.zone is not zones.UTC_ZONE:
            prefs.append(f'outlook.timezone="{self.zone.name}"')
        if self.page_size_preferred:
            prefs.append(f"odata.maxpagesize={self.page_size}")
        return {"Preference-Applied": ", ".join(prefs)} if prefs else {}


def view_zone(request: Request[Any, Any, Any]) -> zones.Zone:
    name = prefer(request).get("outlook.timezone")
    return zones.resolve(name) if name else zones.UTC_ZONE


def _expand(value: str | None) -> set[str] | None:
    if value is None:
        return None
    match = _EXPAND.match(value.strip())
    if not match:
        raise bad_request(f"Parsing OData Select and Expand failed: Could not find a property named '{value}'.",
                          code="BadRequest")  # fmt: skip
    if match.group("filter") is None:
        return {"*"}
    wanted = set()
    for clause in re.split(r"\s+or\s+", match.group("filter"), flags=re.IGNORECASE):
        id_match = _ID_EQ.match(clause)
        if not id_match:
            raise bad_request(f"Invalid filter clause in $expand: {clause}", code="BadRequest")
        wanted.add(id_match.group("id").lower())
    return wanted


def _int(request: Request[Any, Any, Any], name: str, default: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise bad_request(f"Invalid value '{raw}' for query option {name}.", code="BadRequest")
    return int(raw)


def options(request: Request[Any, Any, Any], *, default_page: int = 10, filters: bool = False) -> Options:
    q = request.query_params
    preferred = prefer(request).get("odata.maxpagesize")
    page = _int(request, "$top", default_page)
    if preferred is not None:
        if not preferred.isdigit() or int(preferred) < 1:
            raise bad_request(f"Invalid odata.maxpagesize '{preferred}'.", code="BadRequest")
        page = min(page, int(preferred)) if q.get("$top") else int(preferred)
    select = {s.strip() for s in q["$select"].split(",")} if q.get("$select") else None
    extended: tuple[str, str | None] | None = None
    if q.get("$filter"):
        match = _ANY.match(q["$filter"].strip()) if filters else None
        if not match:
            raise GraphError(400, "ErrorInvalidUrlQueryFilter", f"The $filter '{q['$filter']}' is not supported.")
        value = match.group("value")
        extended = (match.group("id").lower(), value.replace("''", "'") if value is not None else None)
    return Options(
        zone=view_zone(request),
        expand=_expand(q.get("$expand")),
        select=select,
        page_size=max(1, min(page, MAX_PAGE)),
        page_size_preferred=preferred is not None,
        skip=_int(request, "$skip", 0),
        extended_filter=extended,
    )
