"""Presentation options of one embedded widget, read from its URL and carried through its links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from litestar import Request

from widget.i18n import Locale, locale_or_default

DEFAULT_ACCENT = "#0a58ca"
_ACCENT = re.compile(r"^#(?:[0-9a-fA-F]{3}){1,2}$")
_WIDGET_ID = re.compile(r"^[A-Za-z0-9_-]{1,40}$")
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.-]+(?::\d{1,5})?$")


@dataclass(frozen=True)
class Options:
    locale: Locale = "en"
    accent: str = DEFAULT_ACCENT
    first_day: int = 0  # 0 = Sunday, 1 = Monday
    widget_id: str = ""
    host: str = ""  # origin of the embedding page, the target of postMessage

    def query(self, **extra: str) -> str:
        params = {
            "locale": self.locale,
            "accent": self.accent,
            "first_day": str(self.first_day),
            "wid": self.widget_id,
            "host": self.host,
            **extra,
        }
        return urlencode({k: v for k, v in params.items() if v})

    @property
    def on_accent(self) -> str:
        """Black or white, whichever reads better on the accent colour (WCAG relative luminance)."""
        digits = self.accent[1:]
        if len(digits) == 3:
            digits = "".join(c * 2 for c in digits)
        channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
        return "#000000" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "#ffffff"


def parse_options(
    locale: str | None, accent: str | None, first_day: str | None, widget_id: str | None, host: str | None
) -> Options:
    """Lenient: a bad presentation option falls back to its default instead of breaking the host page."""
    chosen = locale_or_default(locale)
    return Options(
        locale=chosen,
        accent=accent if accent and _ACCENT.match(accent) else DEFAULT_ACCENT,
        first_day=int(first_day) if first_day in ("0", "1") else (1 if chosen == "de" else 0),
        widget_id=widget_id if widget_id and _WIDGET_ID.match(widget_id) else "",
        host=host if host and _ORIGIN.match(host) else "",
    )


def options_from_request(request: Request[Any, Any, Any]) -> Options:
    query = request.query_params
    return parse_options(
        query.get("locale"), query.get("accent"), query.get("first_day"), query.get("wid"), query.get("host")
    )
