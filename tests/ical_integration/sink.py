"""One SMTP sink for the whole test session, started when first imported.

The `live_server` and `worker_process` fixtures copy os.environ when they start, so the sink's
URL (RENTCAL_SMTP_URL) and Maildir (RENTCAL_DEMO_MAILDIR) are exported at import time, during
collection, before any of them runs.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from calendars.ical.smtp_sink import SmtpSink

_sink: SmtpSink | None = None


def session_sink() -> SmtpSink:
    global _sink
    if _sink is None:
        maildir = Path(tempfile.mkdtemp(prefix="rentcal-mail-")) / "mail"
        _sink = SmtpSink(maildir=maildir).start()
        atexit.register(_sink.stop)
        os.environ["RENTCAL_SMTP_URL"] = _sink.url
        os.environ["RENTCAL_DEMO_MAILDIR"] = str(maildir)
        from rentcal.settings import get_settings

        get_settings.cache_clear()
    return _sink


def mails_to(address: str) -> list[EmailMessage]:
    return [r.message for r in session_sink().received if address in r.rcpt_tos]


async def wait_for_mails(address: str, count: int, timeout: float = 30.0, settle: float = 0.0) -> list[EmailMessage]:
    """At least `count` mails to `address` (then `settle` seconds more, to catch duplicates)."""
    deadline = time.monotonic() + timeout
    while len(mails_to(address)) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"expected {count} mail(s) to {address}, got {len(mails_to(address))}")
        await asyncio.sleep(0.05)
    await asyncio.sleep(settle)
    return mails_to(address)
