"""The demo mailbox the portal reads: before the first mail there is no Maildir, and that is no error."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path

from calendars.mail import demo_sink


def test_a_missing_maildir_reads_as_empty(tmp_path: Path) -> None:
    assert demo_sink.list_mails(tmp_path / "not-yet") == []
    assert demo_sink.read_mail(tmp_path / "not-yet", "none") is None


def test_mails_are_listed_newest_first_and_read_back_with_their_calendar(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "box", create=True)
    keys = []
    for day, subject in ((1, "Older"), (2, "Newer")):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "shop@example.test", "ada@example.test", subject
        message["Date"] = f"Tue, 0{day} Dec 2026 10:00:00 +0000"
        message.set_content("Your pickup")
        calendar = "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
        message.add_alternative(calendar, subtype="calendar", params={"method": "REQUEST"})
        keys.append(box.add(message))
    assert [m.subject for m in demo_sink.list_mails(tmp_path / "box")] == ["Newer", "Older"]
    view = demo_sink.read_mail(tmp_path / "box", keys[0])
    assert view is not None
    assert (view.summary.subject, view.sender, view.method) == ("Older", "shop@example.test", "REQUEST")
    assert view.text.strip() == "Your pickup" and view.calendar.startswith("BEGIN:VCALENDAR")
    assert demo_sink.read_mail(tmp_path / "box", "no-such-key") is None
