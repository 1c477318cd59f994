"""Fixtures for the iCalendar features on real parts: SMTP sink, Radicale, web server, worker."""

from __future__ import annotations

from tests.ical_integration.sink import session_sink
from tests.support.radicale import radicale_server  # noqa: F401

session_sink()
