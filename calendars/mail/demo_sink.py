"""Demo mode: a local SMTP sink keeping mails in a Maildir, and reading them back for the portal.

`rentcal up` runs `python -m calendars.mail.demo_sink --port 8825 --maildir DIR` when RENTCAL_SMTP_URL
is unset, and points RENTCAL_SMTP_URL and RENTCAL_DEMO_MAILDIR at it.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import mailbox
import signal
import threading
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import cast


@dataclass(frozen=True)
class MailSummary:
    key: str
    date: datetime | None
    to: str
    subject: str


@dataclass(frozen=True)
class MailView:
    summary: MailSummary
    sender: str
    text: str
    calendar: str  # the text/calendar part, if any
    method: str  # its METHOD parameter
    attachments: list[str]


def _parse(raw: bytes) -> EmailMessage:
    return cast(EmailMessage, email.message_from_bytes(raw, policy=email.policy.default))


def _summary(key: str, message: EmailMessage) -> MailSummary:
    try:
        date = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        date = None
    return MailSummary(key, date, str(message["To"] or ""), str(message["Subject"] or ""))


def list_mails(maildir: str | Path, limit: int = 100) -> list[MailSummary]:
    """Newest first."""
    if not Path(maildir, "cur").is_dir():
        return []
    box = mailbox.Maildir(maildir, create=False)
    found = [_summary(key, _parse(box.get_bytes(key))) for key in box.keys()]
    found.sort(key=lambda m: m.date.timestamp() if m.date else 0, reverse=True)
    return found[:limit]


def read_mail(maildir: str | Path, key: str) -> MailView | None:
    try:  # before the first mail arrives there is no Maildir at all (NoSuchMailboxError)
        message = _parse(mailbox.Maildir(maildir, create=False).get_bytes(key))
    except (KeyError, OSError, mailbox.Error):
        return None
    text = calendar = method = ""
    attachments: list[str] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_content_disposition() == "attachment":
            attachments.append(part.get_filename() or part.get_content_type())
        elif part.get_content_type() == "text/plain" and not text:
            text = str(part.get_content())
        elif part.get_content_type() == "text/calendar" and not calendar:
            payload = part.get_payload(decode=True)
            calendar = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
            method = str(part.get_param("method") or "")
    return MailView(_summary(key, message), str(message["From"] or ""), text, calendar, method, attachments)


def main() -> None:
    from calendars.ical.smtp_sink import SmtpSink

    parser = argparse.ArgumentParser(description="Rentcal demo SMTP sink")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8825)
    parser.add_argument("--maildir", required=True)
    args = parser.parse_args()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with SmtpSink(args.host, args.port, maildir=args.maildir) as sink:
        print(f"Demo SMTP sink: {sink.url}, mails kept in {args.maildir}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
