"""Jinja filters: instants shown in the company's zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


def localdt(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%a %d %b %Y %H:%M") if value else ""


def inputdt(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%dT%H:%M") if value else ""


FILTERS: dict[str, Any] = {"localdt": localdt, "inputdt": inputdt}
