"""Server-side sessions in Redis, hardened: no session for anonymous visitors, a fresh id at login
and logout (no fixation), and CSRF tokens bound to the session.

Litestar's backend reuses whatever session id the browser sends, even one it never issued, and
stores an empty session for every anonymous request. This backend only accepts ids it finds in
the store, stores nothing for an empty session, and issues a new id when `rotate()` was called.
"""

from __future__ import annotations

import secrets
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.types import Empty, Message, ScopeSession
from litestar.utils.empty import value_or_default

from rental.errors import Forbidden

_KNOWN = "rentcal_session_known"  # scope key: the cookie's id was found in the store
_NEW_ID = "rentcal_session_new_id"  # scope key: the id to use after rotate()
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class HardenedSessionBackend(ServerSideSessionBackend):
    def get_session_id(self, connection: ASGIConnection[Any, Any, Any, Any]) -> str:
        scope: Any = connection.scope
        if scope.get(_NEW_ID):
            return str(scope[_NEW_ID])
        cookie = connection.cookies.get(self.config.key)
        if cookie and scope.get(_KNOWN):
            return cookie
        # An id the store does not know (made up, or expired) is never adopted.
        scope[_NEW_ID] = value_or_default(connection.get_session_id(), None) or self.generate_session_id()
        return str(scope[_NEW_ID])

    async def load_from_connection(self, connection: ASGIConnection[Any, Any, Any, Any]) -> dict[str, Any]:
        if session_id := connection.cookies.get(self.config.key):
            store = self.config.get_store_from_app(connection.scope["app"])
            data = await self.get(session_id, store=store)
            if data is not None:
                connection.scope[_KNOWN] = True  # type: ignore[literal-required]
                return self.deserialize_data(data)
        return {}

    async def store_in_message(
        self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> None:
        scope: Any = connection.scope
        cookie = connection.cookies.get(self.config.key)
        if scope.get(_NEW_ID) and cookie and scope.get(_KNOWN):
            # Rotation: the old id stops working at once.
            await self.delete(cookie, store=self.config.get_store_from_app(scope["app"]))
        if scope_session is Empty or not scope_session:
            if cookie:  # forget it here and in the browser; anonymous visitors get no session at all
                await super().store_in_message(Empty, message, connection)
            return
        await super().store_in_message(scope_session, message, connection)


class HardenedSessionConfig(ServerSideSessionConfig):
    _backend_class = HardenedSessionBackend  # type: ignore[assignment]


def rotate(request: Request[Any, Any, Any]) -> None:
    """Use a new session id for this response (login, logout); the old one is deleted."""
    request.scope[_NEW_ID] = secrets.token_hex(32)  # type: ignore[literal-required]


CSRF_SESSION_KEY = "csrf"


def check_csrf_binding(request: Request[Any, Any, Any], cookie_name: str = "csrftoken") -> None:
    """Unsafe requests of a signed-in session must carry the CSRF token issued with that session.

    Litestar's CSRF middleware already checked that the submitted token matches the CSRF cookie;
    this ties the cookie to the session, so a token planted or obtained elsewhere is useless.
    """
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get(CSRF_SESSION_KEY) if request.session else None
    if not expected or not secrets.compare_digest(str(expected), request.cookies.get(cookie_name, "")):
        raise Forbidden("this form belongs to another session; reload the page and try again")


def csrf_cookie(token: str, secure: bool, cookie_name: str = "csrftoken") -> Cookie:
    return Cookie(key=cookie_name, value=token, path="/", secure=secure, httponly=False, samesite="lax")
