"""Public availability widget: iframe pages, embed.js and public JSON."""

from typing import Any

from widget.assets import widget_asset
from widget.pages import WidgetPages
from widget.public_api import PublicApi
from widget.request_links import RequestLinks

ROUTES: list[Any] = [PublicApi, WidgetPages, RequestLinks, widget_asset]
