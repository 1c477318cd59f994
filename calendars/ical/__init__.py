"""Pure iCalendar / iMIP layer: no database, no web framework.

- :mod:`calendars.ical.models`   - ``InviteEvent``, ``FeedEvent``, ``ImportedEvent``, ``FeedError``
- :mod:`calendars.ical.invites`  - ``build_invite`` (iTIP REQUEST/CANCEL), ``calendar_links``
- :mod:`calendars.ical.imip`     - ``build_imip_message``, ``send_message``, ``SmtpError``
- :mod:`calendars.ical.feeds`    - ``render_feed``, ``feed_etag``
- :mod:`calendars.ical.imports`  - ``read_feed`` (events and the skipped ones), ``parse_feed``
- :mod:`calendars.ical.caldav`   - ``to_caldav_object``
- :mod:`calendars.ical.smtp_sink` - ``SmtpSink`` (tests, demo mode; imported on demand)
"""

from calendars.ical.caldav import to_caldav_object
from calendars.ical.feeds import feed_etag, render_feed
from calendars.ical.imip import SmtpError, build_imip_message, send_message
from calendars.ical.imports import parse_feed, read_feed
from calendars.ical.invites import build_invite, calendar_links
from calendars.ical.models import (
    EventStatus,
    FeedError,
    FeedEvent,
    FeedReading,
    ImportedEvent,
    InviteEvent,
    InviteMethod,
    SkippedEvent,
)

__all__ = [
    "EventStatus",
    "FeedError",
    "FeedEvent",
    "FeedReading",
    "ImportedEvent",
    "InviteEvent",
    "InviteMethod",
    "SkippedEvent",
    "SmtpError",
    "build_imip_message",
    "build_invite",
    "calendar_links",
    "feed_etag",
    "parse_feed",
    "read_feed",
    "render_feed",
    "send_message",
    "to_caldav_object",
]
