"""Login, logout and the landing redirect."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from rental.accounts import authenticate
from rental.errors import NotAuthenticated
from rental.tables import Company


class LoginForm(msgspec.Struct):
    email: str
    password: str
    next: str = "/"


def safe_next(target: str) -> str:
    # Only local paths: never an open redirect to another site.
    return target if target.startswith("/") and not target.startswith("//") else "/"


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
    async def login_page(self, next: str = "/") -> Template:
        return Template("portal/login.html", context={"next": safe_next(next), "error": None})

    @post("/login", status_code=200)
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        try:
            staff = await authenticate(data.email, data.password)
        except NotAuthenticated as exc:
            return Template(
                "portal/login.html",
                context={"next": safe_next(data.next), "error": exc.detail, "email": data.email},
                status_code=401,
            )
        request.clear_session()
        request.set_session({"staff_id": staff.id})
        return Redirect(safe_next(data.next), status_code=303)

    @post("/logout", status_code=303)
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        request.clear_session()
        return Redirect("/login", status_code=303)
