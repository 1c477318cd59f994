"""Public calendar URLs, opened without a login: subscription feeds and a customer's invitation."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Template

from calendars.feeds import subscriptions
from calendars.ical import calendar_links
from calendars.mail import invitations

NO_SESSION = {"skip_session": True}
ICS = "text/calendar"  # Litestar adds "; charset=utf-8" to text types itself
_TOKEN_IN_PATH = re.compile(r"(/(?:feeds|invites)/)[^\s?/\"]+")


class RedactTokens(logging.Filter):
    """Access and error logs show /feeds/***, never a feed or invitation token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN_IN_PATH.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


for _name in ("uvicorn.access", "uvicorn.error", "rentcal.http"):
    logging.getLogger(_name).addFilter(RedactTokens())


def _since(value: str | None) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    return parsed if parsed is None or parsed.tzinfo else parsed.replace(tzinfo=UTC)


@get("/feeds/{filename:str}", include_in_schema=False, opt=NO_SESSION)
async def subscription_feed(request: Request[Any, Any, Any], filename: FromPath[str]) -> Response[bytes]:
    """ETag / Last-Modified with 304; 404 for an unknown or revoked token (the token is never logged)."""
    result = await subscriptions.answer(
        filename.removesuffix(".ics"),
        request.headers.get("if-none-match"),
        _since(request.headers.get("if-modified-since")),
    )
    if result is None:
        raise NotFoundException("no such feed: the link may have been revoked or replaced")
    headers = {
        "ETag": result.etag,
        "Last-Modified": format_datetime(result.last_modified.astimezone(UTC), usegmt=True),
        "Cache-Control": "private, no-cache",
    }
    if result.status == 304:
        return Response(b"", status_code=304, headers=headers)
    return Response(result.body, media_type=ICS, headers=headers)


@get("/invites/{filename:str}", include_in_schema=False, opt=NO_SESSION)
async def customer_invite(filename: FromPath[str]) -> Response[bytes] | Template:
    """The customer's booking page ("Add to Google Calendar / Outlook", .ics) or the .ics itself."""
    token = filename.removesuffix(".ics")
    found = await invitations.booking_for_token(token)
    if found is None:
        raise NotFoundException("no such invitation")
    booking, tenant = found
    now = datetime.now(UTC)
    try:
        event = invitations.invite_event(booking, tenant, now)
    except ValueError:  # data iCalendar refuses (e.g. an unusual e-mail address): no calendar event to offer
        raise NotFoundException("this booking cannot be offered as a calendar event") from None
    if filename.endswith(".ics"):
        return Response(
            invitations.invite_ics(booking, tenant, now),
            media_type=ICS,
            headers={
                "Content-Disposition": f'attachment; filename="booking-{booking.id}.ics"',
                "Cache-Control": "private, no-cache",
            },
        )
    return Template(
        "public/invite.html",
        context={
            "booking": booking,
            "tenant": tenant,
            "links": calendar_links(event) if booking.status != "cancelled" else {},
            "ics_url": invitations.invite_urls(booking.id)["ics"],
        },
    )


ROUTES: list[Any] = [subscription_feed, customer_invite]
