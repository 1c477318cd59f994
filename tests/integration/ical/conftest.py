"""Fixtures for the iCalendar/iMIP integration tests: a real SMTP sink and a real Radicale."""

from tests.support.radicale import radicale_server  # noqa: F401
from tests.support.smtp import smtp_sink  # noqa: F401
