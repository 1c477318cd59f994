"""Staff portal pages (Jinja2 + HTMX)."""

from typing import Any

from portal.web.auth import AuthPages
from portal.web.blocks import BlockPages
from portal.web.booking_details import BookingEditPages
from portal.web.bookings import BookingPages
from portal.web.embed import EmbedPages
from portal.web.feeds import FeedPages
from portal.web.help import HelpPages, customer_help
from portal.web.inbox import InboxPages
from portal.web.integrations import IntegrationPages, google_callback, provider_callback
from portal.web.join import JoinPages
from portal.web.mail import BookingDetailPages, MailboxPages, ReminderPages
from portal.web.products import ProductPages
from portal.web.settings import SettingsPages
from portal.web.team import TeamPages
from portal.web.today import TodayPages

ROUTES: list[Any] = [
    AuthPages,
    BookingPages,
    ProductPages,
    IntegrationPages,
    google_callback,
    provider_callback,
    BlockPages,
    EmbedPages,
]
ROUTES += [BookingDetailPages, FeedPages, ReminderPages, MailboxPages, TeamPages, TodayPages, InboxPages]
ROUTES += [HelpPages, customer_help, BookingEditPages, SettingsPages, JoinPages]
