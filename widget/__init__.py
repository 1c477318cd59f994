"""Public availability widget: iframe pages, embed.js and public JSON."""

from typing import Any

ROUTES: list[Any] = []
