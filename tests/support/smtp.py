"""A real SMTP server (aiosmtpd) collecting what the code under test sends.

Use it from a conftest::

    from tests.support.smtp import smtp_sink  # noqa: F401

and take ``smtp_sink`` in a test: ``send_message(smtp_sink.url, message)``, then
``smtp_sink.messages`` (``EmailMessage`` objects parsed with ``email.policy.default``) or
``smtp_sink.wait_for(1)``.  The sink itself is :class:`calendars.ical.smtp_sink.SmtpSink`, so the
application's demo mode can run the very same server.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from calendars.ical.smtp_sink import SmtpSink


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A fresh, empty sink on 127.0.0.1 and a free port; ``.url`` is ``smtp://127.0.0.1:PORT``."""
    with SmtpSink() as sink:
        yield sink
