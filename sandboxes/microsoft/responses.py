"""Small HTTP helpers shared by the route modules."""

from __future__ import annotations

import json
import re
from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType

from .errors import body_read

_PREFER = re.compile(r'([A-Za-z.\-]+)\s*=\s*("[^"]*"|[^,;\s]+)')


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def graph(operation: str) -> dict[str, Any]:
    """Route ``opt`` for a Graph call: stats key and fault-injection scope."""
    return {"graph_op": operation, "fault_scope": "graph"}


async def read_json(request: Request[Any, Any, Any]) -> Any:
    raw = await request.body()
    if not raw.strip():
        raise body_read("Empty Payload. JSON content expected.")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise body_read("Invalid JSON. A token was not recognized in the JSON content.") from exc


def prefer(request: Request[Any, Any, Any]) -> dict[str, str]:
    """``Prefer: outlook.timezone="Pacific Standard Time", odata.maxpagesize=5`` → {name: value}."""
    found: dict[str, str] = {}
    for header in request.headers.getall("prefer", []):
        for name, value in _PREFER.findall(header):
            found[name.lower()] = value.strip('"')
    return found
