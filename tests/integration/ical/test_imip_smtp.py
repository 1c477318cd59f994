"""iMIP invitations sent through send_message to a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from email.message import EmailMessage
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from icalendar import Calendar

from calendars.ical.imip import SmtpError, build_imip_message, send_message
from calendars.ical.invites import build_invite, calendar_links
from calendars.ical.models import InviteMethod
from calendars.ical.smtp_sink import SmtpSink
from tests.unit.ical.samples import invite

TEXT = "Your excavator is booked.\nPickup: Sat 7 March 09:00."
HTML = "<html><body><p>Your excavator is <b>booked</b>.</p></body></html>"


def make_message(method: InviteMethod = "REQUEST", **changes: object) -> EmailMessage:
    event = invite(**changes)
    return build_imip_message(
        event,
        method,
        from_addr="Acme Rentals <bookings@acme.example>",
        to_addr="Jöhn Doe <john.doe@example.com>",
        subject="Booking confirmed: Excavator CAT 305 — 7 March",
        text_body=TEXT,
        html_body=HTML,
        links=calendar_links(event),
    )


def assert_imip_structure(message: EmailMessage, method: str) -> Calendar:
    """multipart/mixed > multipart/alternative > plain, html, calendar; plus invite.ics."""
    assert message.get_content_type() == "multipart/mixed"
    alternative, attachment = message.get_payload()  # type: ignore[misc]
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html, inline = alternative.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert html.get_content_type() == "text/html"
    assert inline.get_content_type() == "text/calendar"
    assert inline.get_param("method") == method
    assert str(inline.get_param("charset")).upper() == "UTF-8"

    assert "Pickup: Sat 7 March 09:00." in plain.get_content()
    assert "Add to Google Calendar: https://calendar.google.com/calendar/render?" in plain.get_content()
    assert "<b>booked</b>" in html.get_content()
    assert 'href="https://outlook.live.com/calendar/0/deeplink/compose?' in html.get_content()

    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == "invite.ics"
    assert attachment.get_param("name") == "invite.ics"
    assert attachment.get_content_type() in ("application/ics", "text/calendar")

    ics = inline.get_payload(decode=True)
    assert attachment.get_payload(decode=True) == ics
    calendar = Calendar.from_ical(ics)
    assert isinstance(calendar, Calendar)
    assert str(calendar["METHOD"]) == method  # the Content-Type parameter matches the content
    return calendar


def test_request_arrives_as_a_well_formed_imip_message(smtp_sink: SmtpSink) -> None:
    message = make_message()
    send_message(smtp_sink.url, message)

    [received] = smtp_sink.wait_for(1)
    assert received.mail_from == "bookings@acme.example"
    assert received.rcpt_tos == ("john.doe@example.com",)
    got = received.message
    assert got["Subject"] == "Booking confirmed: Excavator CAT 305 — 7 March"
    assert got["From"] == "Acme Rentals <bookings@acme.example>"
    assert got["To"] == "Jöhn Doe <john.doe@example.com>"
    assert got["Message-ID"].endswith("@acme.example>")
    assert got["Date"].datetime.tzinfo is not None

    calendar = assert_imip_structure(got, "REQUEST")
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "booking-42@rentcal.example"
    assert int(event["SEQUENCE"]) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert len(event.walk("VALARM")) == 2
    assert calendar.walk("VTIMEZONE")
    # byte-for-byte what build_invite produced
    assert got.get_payload()[0].get_payload()[2].get_payload(decode=True) == build_invite(invite(), "REQUEST")


def test_cancel_arrives_with_method_cancel(smtp_sink: SmtpSink) -> None:
    send_message(smtp_sink.url, make_message("CANCEL", sequence=1))
    [received] = smtp_sink.wait_for(1)
    calendar = assert_imip_structure(received.message, "CANCEL")
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == "booking-42@rentcal.example"
    assert int(event["SEQUENCE"]) == 1
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.walk("VALARM") == []


def test_login_with_url_encoded_credentials() -> None:
    with SmtpSink(credentials=("mailer@acme.example", "p@ss:w/rd")) as sink:
        url = sink.url.replace("smtp://", "smtp://mailer%40acme.example:p%40ss%3Aw%2Frd@")
        send_message(url, make_message())
        [received] = sink.wait_for(1)
        assert received.login == "mailer@acme.example"

        wrong = sink.url.replace("smtp://", "smtp://mailer%40acme.example:secret-wrong@")
        with pytest.raises(SmtpError) as caught:
            send_message(wrong, make_message())
        assert "authentication failed" in str(caught.value)
        assert caught.value.permanent
        assert "secret-wrong" not in str(caught.value) and "secret-wrong" not in repr(caught.value)


def test_server_without_starttls_when_starttls_is_required(smtp_sink: SmtpSink) -> None:
    with pytest.raises(SmtpError, match="STARTTLS") as caught:
        send_message(f"{smtp_sink.url}?starttls=1", make_message())
    assert caught.value.permanent
    assert smtp_sink.messages == []


def test_connection_refused_is_a_temporary_smtp_error() -> None:
    with SmtpSink() as sink:
        url = sink.url
    with pytest.raises(SmtpError, match="cannot connect") as caught:
        send_message(url, make_message(), timeout=2)
    assert not caught.value.permanent


def test_bad_urls_are_permanent_errors() -> None:
    for url in ("http://mail.example", "smtp://", "smtp://host:99999", "smtp://host?starttls=maybe"):
        with pytest.raises(SmtpError) as caught:
            send_message(url, make_message())
        assert caught.value.permanent


# --- TLS: STARTTLS and implicit TLS with a throwaway certificate ------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def test_starttls_is_used_when_offered(certificate: tuple[Path, Path]) -> None:
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    with SmtpSink(starttls_context=server_context(certificate)) as sink:
        send_message(sink.url, make_message(), ssl_context=trusting)
        [received] = sink.wait_for(1)
        assert received.tls
        assert_imip_structure(received.message, "REQUEST")

        with pytest.raises(SmtpError, match="certificate verification failed") as caught:
            send_message(sink.url, make_message())  # default context does not trust the test CA
        assert caught.value.permanent

        send_message(f"{sink.url}?starttls=0", make_message())  # explicitly plain
        assert not sink.wait_for(2)[1].tls


def test_implicit_tls_with_smtps(certificate: tuple[Path, Path]) -> None:
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    with SmtpSink(implicit_tls_context=server_context(certificate)) as sink:
        assert sink.url.startswith("smtps://")
        send_message(sink.url, make_message("CANCEL", sequence=2), ssl_context=trusting)
        [received] = sink.wait_for(1)
        assert received.tls
        assert_imip_structure(received.message, "CANCEL")


def test_sink_can_write_a_maildir(tmp_path: Path) -> None:
    with SmtpSink(maildir=tmp_path / "mail") as sink:
        send_message(sink.url, make_message())
        sink.wait_for(1)
    assert len(list((tmp_path / "mail" / "new").iterdir())) == 1
