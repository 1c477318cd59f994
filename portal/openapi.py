"""What /schema/openapi.json says about errors and authentication: the answers the API really gives.

Litestar documents a 400 in its own error shape for every handler that takes input; Rentcal answers
bad input with 422 application/problem+json (portal/problems.py) and never with 400. `document_errors`
rewrites each operation from what its handler declares: guards (401 and the bearer scheme; 403 where
a role is required), path parameters (404: an unknown id, or a value that does not fit the path), input
(422), the public rate limit (429), and `opt=problems(...)` for what only some handlers answer (409).
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    Components,
    OpenAPIMediaType,
    OpenAPIResponse,
    Operation,
    Reference,
    Schema,
    SecurityScheme,
)
from litestar.openapi.spec.enums import OpenAPIType
from litestar.routes import HTTPRoute

from portal.guards import MANAGERS, SIGNED_IN
from portal.problems import PROBLEM
from widget.ratelimit import rate_limit

BEARER = "bearer"
SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    BEARER: SecurityScheme(
        type="http",
        scheme="bearer",
        description="an API token from `rentcal token create --email ...`; it acts for that staff member's company",
    )
}
DESCRIPTIONS = {
    401: "no API token, or one that is invalid or revoked",
    403: "the token's staff member may not do this (the detail names the role needed)",
    404: "no such resource in the token's company (or a path value that is not an id)",
    409: "refused by the schedule: the detail says why (a clash, a closed day, a past pickup, a status change)",
    422: "invalid input: the detail names each field and what is wrong with it",
    429: "too many requests from this address; Retry-After says when to try again",
}
PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    required=["type", "title", "status", "detail"],
    description="RFC 9457 problem details; some answers add members such as `errors`, `clashes` or `needs`",
    properties={
        "type": Schema(type=OpenAPIType.STRING),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
    },
)


def problems(*statuses: int) -> dict[str, Any]:
    """Route `opt` for the error answers only this handler gives, e.g. `@post(..., opt=problems(409))`."""
    return {"problems": statuses}


def document_errors(app: Litestar) -> None:
    """Rewrite the error responses of every operation in `app.openapi_schema` (before it is first served)."""
    openapi = app.openapi_schema
    openapi.components = openapi.components or Components()
    openapi.components.schemas = {**(openapi.components.schemas or {}), "Problem": PROBLEM_SCHEMA}
    openapi.components.security_schemes = {**(openapi.components.security_schemes or {}), **SECURITY_SCHEMES}
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or openapi.paths is None:
            continue
        path_item = openapi.paths.get(route.path_format or "/")
        if path_item is None:
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                operation = getattr(path_item, method.lower(), None)
                if isinstance(operation, Operation) and handler.include_in_schema:
                    _document(operation, handler)


def _document(operation: Operation, handler: HTTPRouteHandler) -> None:
    responses = dict(operation.responses or {})
    statuses = set(handler.opt.get("problems", ()))
    takes_input = bool(operation.parameters or operation.request_body)
    # Litestar's generated 400 (its own error shape) stands for the validation errors we answer with 422
    if responses.pop("400", None) is not None or takes_input:
        statuses.add(422)
    if any(getattr(p, "param_in", None) == "path" for p in operation.parameters or []):
        statuses.add(404)
    guards = handler.resolve_guards()
    if SIGNED_IN in guards or MANAGERS in guards:
        statuses.add(401)
        operation.security = [{BEARER: []}]
    if MANAGERS in guards:
        statuses.add(403)
    if rate_limit in handler.resolve_middleware():
        statuses.add(429)
    for status in sorted(statuses):
        responses[str(status)] = OpenAPIResponse(
            description=DESCRIPTIONS[status],
            content={PROBLEM: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))},
        )
    operation.responses = responses
