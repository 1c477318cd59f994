"""The widget's static files: embed.js for host pages, the iframe page's script and styles."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Response, get

from widget.http import NO_SESSION, cached_bytes

STATIC = Path(__file__).parent / "static"
# Short enough that a fix to embed.js reaches every host page within minutes.
CACHE_CONTROL = "public, max-age=300"
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
FILES = {name: (STATIC / name).read_bytes() for name in ("embed.js", "widget.js", "widget.css")}


@get(["/widget/embed.js", "/widget/widget.js", "/widget/widget.css"], include_in_schema=False, opt=NO_SESSION)
async def widget_asset(request: Request[Any, Any, Any]) -> Response[bytes]:
    name = request.url.path.rsplit("/", 1)[-1]
    return cached_bytes(request, FILES[name], MEDIA_TYPES[Path(name).suffix], CACHE_CONTROL)
