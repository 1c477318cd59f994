"""The page an invitation mail links to: the invited person picks a name and password and is logged in."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from portal.web.auth import start_session
from rental import staff_invitations
from rental.errors import DomainError
from rental.staff_invitations import Opened

# Each state of a link has its own status, so a stale link is not a 200 to crawlers or monitors.
STATUS = {"open": 200, "accepted": 410, "expired": 410, "unknown": 404}


class JoinForm(msgspec.Struct):
    name: str = ""
    password: str = ""
    repeated: str = ""


def _page(token: str, opened: Opened, error: str | None = None, name: str = "", status: int | None = None) -> Template:
    context = {"token": token, "opened": opened, "error": error, "name": name,
               "min_password": staff_invitations.MIN_PASSWORD}  # fmt: skip
    return Template("portal/join.html", context=context, status_code=status or STATUS[opened.state])


class JoinPages(Controller):
    path = "/join"
    include_in_schema = False

    @get("/{token:str}")
    async def show(self, token: FromPath[str]) -> Template:
        return _page(token, await staff_invitations.open_link(token))

    @post("/{token:str}", status_code=303)
    async def accept(
        self,
        request: Request[Any, Any, Any],
        token: FromPath[str],
        data: Annotated[JoinForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:
        try:
            staff = await staff_invitations.accept(token, data.name, data.password, data.repeated)
        except DomainError as exc:
            opened = await staff_invitations.open_link(token)
            status = exc.status_code if opened.state == "open" else None
            return _page(token, opened, exc.detail[0].upper() + exc.detail[1:] + ".", data.name, status)
        return start_session(request, staff.id, "/")  # the home page of their role
