"""E-mail bodies from Jinja2 templates in templates/emails/ (HTML autoescaped, text not)."""

from __future__ import annotations

from datetime import datetime
from email.utils import formataddr, parseaddr
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from rentcal.paths import templates_dir
from rentcal.settings import get_settings


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir() / "emails"),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_pair(name: str, **context: Any) -> tuple[str, str]:
    """(text, html) of templates/emails/{name}.txt and {name}.html."""
    environment = _environment()
    return (
        environment.get_template(f"{name}.txt").render(**context),
        environment.get_template(f"{name}.html").render(**context),
    )


def when(value: datetime, tz: ZoneInfo) -> str:
    """'Tue 14 Mar 2027, 09:00 (PDT)': wall-clock time in the company's zone."""
    local = value.astimezone(tz)
    return f"{local:%a %d %b %Y, %H:%M} ({local.tzname()})"


def sender_address() -> str:
    """The bare address of RENTCAL_MAIL_FROM (which may be written 'Name <address>')."""
    return parseaddr(get_settings().mail_from)[1] or get_settings().mail_from


def sender(company_name: str) -> str:
    return formataddr((company_name, sender_address()))
