"""Login, logout and the landing redirect."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.middleware.csrf import generate_csrf_token
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from portal import throttle
from portal.sessions import CSRF_SESSION_KEY, csrf_cookie, rotate
from rental.accounts import authenticate
from rental.errors import NotAuthenticated
from rental.tables import Company
from rentcal.settings import get_settings


class LoginForm(msgspec.Struct):
    email: str
    password: str
    next: str = "/"


def safe_next(target: str) -> str:
    # Only local paths: never an open redirect to another site (nor "/\\host", nor control characters).
    local = target.startswith("/") and not target.startswith(("//", "/\\"))
    return target if local and target.isprintable() and len(target) <= 500 else "/"


_safe_next = safe_next


def start_session(request: Request[Any, Any, Any], staff_id: int, target: str) -> Redirect:
    """Sign this browser in as the staff member and go to `target` (a local path)."""
    # A new session id (no fixation) with a CSRF token that belongs to this session only.
    token = generate_csrf_token(get_settings().secret_key)
    request.clear_session()
    rotate(request)
    request.set_session({"staff_id": staff_id, CSRF_SESSION_KEY: token})
    return Redirect(target, status_code=303, cookies=[csrf_cookie(token, get_settings().is_production)])


class AuthPages(Controller):
    include_in_schema = False

    @get("/")
    async def home(self, request: Request[Any, Any, Any]) -> Redirect:
        return Redirect("/portal/today" if request.session.get("staff_id") else "/login")

    @get("/health")
    async def health(self) -> dict[str, str]:
        await Company.raw("SELECT 1")
        return {"status": "ok"}

    @get("/login")
    async def login_page(self, next: FromQuery[str] = "/") -> Template:
        return Template("portal/login.html", context={"next": safe_next(next), "error": None})

    @post("/login", status_code=200)
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        address = request.client.host if request.client else "unknown"
        context = {"next": _safe_next(data.next), "email": data.email.replace("\x00", "")}
        try:
            await throttle.check(data.email, address)
        except throttle.TooManyAttempts as exc:
            headers = {"Retry-After": str(exc.extra["retry_after"])}
            return Template(
                "portal/login.html", context={**context, "error": exc.detail}, status_code=429, headers=headers
            )
        try:
            if "\x00" in data.email or "\x00" in data.password or len(data.password) > 1000:
                raise NotAuthenticated("wrong e-mail or password")
            staff = await authenticate(data.email, data.password)
        except NotAuthenticated as exc:
            await throttle.failed(data.email, address)
            return Template("portal/login.html", context={**context, "error": exc.detail}, status_code=401)
        return start_session(request, staff.id, _safe_next(data.next))

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()  # the session is deleted from the store, its id is worthless
        return Redirect("/login", status_code=303)
