"""iMIP message construction (RFC 6047) and SMTP URL handling, without a network."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

import pytest

from calendars.ical.imip import SmtpError, build_imip_message, parse_smtp_url
from calendars.ical.invites import build_invite
from tests.unit.ical.samples import invite


def message(method: str = "REQUEST", links: dict[str, str] | None = None) -> EmailMessage:
    return build_imip_message(
        invite(sequence=1),
        method,  # type: ignore[arg-type]
        from_addr="Acme Rentals <bookings@acme.example>",
        to_addr="john.doe@example.com",
        subject="Your booking",
        text_body="Booked.",
        html_body="<html><body><p>Booked.</p></body></html>",
        links=links,
    )


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL"])
def test_structure_survives_serialisation(method: str) -> None:
    raw = message(method).as_bytes(policy=email.policy.SMTP)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
        "application/ics",
    ]
    parts = list(parsed.walk())
    inline, attachment = parts[4], parts[5]
    assert inline.get_param("method") == method
    assert inline.get_content_disposition() is None
    assert attachment.get_filename() == "invite.ics"
    expected = build_invite(invite(sequence=1), method)  # type: ignore[arg-type]
    assert inline.get_payload(decode=True) == expected
    assert attachment.get_payload(decode=True) == expected
    assert parsed["Message-ID"].endswith("@acme.example>")
    assert parsed["Date"]
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))


def test_links_are_appended_to_both_bodies_and_escaped() -> None:
    links = {"google": "https://example.com/?a=1&b=<2>", "outlook": "https://outlook.example/x"}
    parts = list(message(links=links).walk())
    text, html = parts[2].get_content(), parts[3].get_content()
    assert text.startswith("Booked.\n\nAdd to Google Calendar: https://example.com/?a=1&b=<2>\n")
    assert "Add to Outlook: https://outlook.example/x" in text
    assert '<a href="https://example.com/?a=1&amp;b=&lt;2&gt;">Add to Google Calendar</a>' in html
    assert html.index("calendar-links") < html.index("</body>")
    plain = list(message().walk())
    assert plain[2].get_content() == "Booked.\n"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", ("mail.example", 25, None, None, "opportunistic")),
        ("smtp://u:p@mail.example:587", ("mail.example", 587, "u", "p", "require")),
        ("smtp://mail.example:2525?starttls=1", ("mail.example", 2525, None, None, "require")),
        ("smtp://mail.example:587?starttls=0", ("mail.example", 587, None, None, "off")),
        ("smtps://a%40b.example:p%3Aw%2F@mail.example", ("mail.example", 465, "a@b.example", "p:w/", "implicit")),
        ("SMTPS://mail.example:2465", ("mail.example", 2465, None, None, "implicit")),
    ],
)
def test_smtp_url_parsing(url: str, expected: tuple[object, ...]) -> None:
    target = parse_smtp_url(url)
    assert (target.host, target.port, target.username, target.password, target.tls) == expected


def test_passwords_never_show_in_repr_or_errors() -> None:
    target = parse_smtp_url("smtp://user:hunter2@mail.example:587")
    assert "hunter2" not in repr(target) and "hunter2" not in target.redacted()
    assert target.redacted() == "smtp://user:***@mail.example:587"
    with pytest.raises(SmtpError) as caught:
        parse_smtp_url("ftp://user:hunter2@mail.example")
    assert "hunter2" not in str(caught.value)
    assert caught.value.permanent
