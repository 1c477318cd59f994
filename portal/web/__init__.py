"""Staff portal pages (Jinja2 + HTMX)."""

from portal.web.auth import AuthPages
from portal.web.bookings import BookingPages
from portal.web.products import ProductPages

ROUTES = [AuthPages, BookingPages, ProductPages]
