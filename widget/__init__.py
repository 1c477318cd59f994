"""Public availability widget: iframe pages, embed.js and public JSON."""

from typing import Any

from widget.assets import widget_asset
from widget.pages import WidgetPages
from widget.public_api import PublicApi

ROUTES: list[Any] = [PublicApi, WidgetPages, widget_asset]
