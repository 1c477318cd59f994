"""Errors as RFC 9457 problem+json, with a message a person can act on."""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException, NotFoundException, ValidationException
from litestar.response import Redirect, Template

from rental.errors import DomainError
from widget.pages import missing_widget

log = logging.getLogger("rentcal.http")
PROBLEM = "application/problem+json"
WIDGET_PAGE = re.compile(r"^/widget/[^/]+/[^/]+/?$")  # the iframe page itself, not its assets or JSON


class LoginRequired(Exception):
    """A portal page was requested without a session."""


def problem(status: int, title: str, detail: str, **extra: Any) -> Response[dict[str, Any]]:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return Response(body, status_code=status, media_type=PROBLEM)


def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return problem(exc.status_code, exc.title, exc.detail, **exc.extra)


def validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = exc.extra if isinstance(exc.extra, list) else []
    details = "; ".join(f"{e.get('key') or 'body'}: {e.get('message')}" for e in errors if isinstance(e, dict))
    detail = details or str(exc.detail)
    return problem(422, "Invalid input", detail, errors=errors)


def http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    headers = exc.headers or {}
    if exc.status_code == 400:  # the body could not be decoded: malformed JSON or form data
        return problem(422, "Invalid input", f"malformed request body: {exc.detail}")
    response = problem(exc.status_code, _title(exc.status_code), str(exc.detail))
    response.headers.update(headers)
    return response


def not_found(request: Request[Any, Any, Any], exc: NotFoundException) -> Response[Any] | Template:
    if WIDGET_PAGE.match(request.url.path):  # e.g. a product id that is not a number, inside the iframe
        return missing_widget(request, exc)
    return problem(404, "Not found", str(exc.detail) or "no such resource")


def exclusion_violation(request: Request[Any, Any, Any], exc: asyncpg.ExclusionViolationError) -> Response[Any]:
    # Services translate overlaps themselves; this is the last line so it is never a 500.
    return problem(409, "Conflict", "the unit is already booked or in maintenance at that time")


INT32_MAX = 2**31 - 1


def data_error(request: Request[Any, Any, Any], exc: asyncpg.DataError) -> Response[Any]:
    """Values PostgreSQL cannot take (ids beyond 32 bits, NUL characters): the client's input, never a 500."""
    if any(part.isdigit() and int(part) > INT32_MAX for part in request.url.path.split("/")):
        return problem(404, "Not found", f"no such resource (ids are at most {INT32_MAX})")
    if isinstance(exc, asyncpg.CharacterNotInRepertoireError | asyncpg.UntranslatableCharacterError):
        return problem(422, "Invalid input", "text must not contain NUL (\\u0000) characters")
    return problem(422, "Invalid input", f"a value is out of range (numbers are at most {INT32_MAX})")


def out_of_range(request: Request[Any, Any, Any], exc: OverflowError) -> Response[Any]:
    return problem(422, "Invalid input", "a date or number is out of the range this service accepts")


def login_required(request: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    if request.headers.get("hx-request"):
        return Response("", status_code=401, headers={"HX-Redirect": "/login"})
    return Redirect(f"/login?next={request.url.path}")


def server_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "Internal server error", "something went wrong on our side; it has been logged")


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


PAGE_TITLES = {
    403: "You cannot open this page",
    404: "Page not found",
    409: "That clashes with something else",
    422: "Please check what you entered",
    500: "Something went wrong on our side",
}


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    """A person's browser opening a portal page (HTMX fragments and API clients keep problem+json)."""
    path = request.url.path
    portal = path == "/" or path.startswith("/portal")
    return portal and not request.headers.get("hx-request") and "text/html" in request.headers.get("accept", "")


def friendly(handler: Any) -> Any:
    """The same answer as `handler`, as a page with a way back for people browsing the portal."""

    def respond(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        response: Response[Any] = handler(request, exc)
        if not (_wants_page(request) and isinstance(response.content, dict)):
            return response
        status = response.status_code or 500
        detail = str(response.content.get("detail", ""))
        if status >= 500:
            detail = "We could not finish this. It has been logged; please try again in a moment."
        title = PAGE_TITLES.get(status, str(response.content.get("title", "Error")))
        context = {"status": status, "title": title, "detail": detail}
        return Template("portal/error.html", context=context, status_code=status, headers=dict(response.headers))

    return respond


HANDLERS: dict[Any, Any] = {
    DomainError: domain_error,
    ValidationException: validation_error,
    NotFoundException: not_found,
    HTTPException: http_error,
    asyncpg.ExclusionViolationError: exclusion_violation,
    asyncpg.DataError: data_error,
    OverflowError: out_of_range,
    LoginRequired: login_required,
    500: server_error,
}
HANDLERS = {kind: friendly(handler) for kind, handler in HANDLERS.items() if handler is not login_required} | {
    LoginRequired: login_required
}
