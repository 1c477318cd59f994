"""Small HTTP helpers shared by the route modules."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType

from .errors import GoogleError


def respond(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(content=body, status_code=status, media_type=MediaType.JSON, headers=headers)


def no_content() -> Response[Any]:
    return Response(content=b"", status_code=204)


def api(method_id: str) -> dict[str, Any]:
    """Route ``opt`` for a Calendar API method: stats key and fault-injection scope."""
    return {"google_method": method_id, "fault_scope": "api"}


async def read_json(request: Request[Any, Any, Any]) -> Any:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise GoogleError(
            400, "parseError", "Invalid JSON payload received. Unexpected token.", status="INVALID_ARGUMENT"
        ) from exc


def query_items(request: Request[Any, Any, Any]) -> list[tuple[str, str]]:
    return list(request.query_params.multi_items())
