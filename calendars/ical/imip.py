"""iMIP (RFC 6047): an iTIP invitation wrapped in a MIME e-mail, and sending it over SMTP."""

from __future__ import annotations

import html
import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Literal
from urllib.parse import parse_qs, unquote, urlsplit

from calendars.ical.invites import build_invite
from calendars.ical.models import InviteEvent, InviteMethod

logger = logging.getLogger(__name__)

ATTACHMENT_NAME = "invite.ics"
LINK_LABELS: Mapping[str, str] = {"google": "Add to Google Calendar", "outlook": "Add to Outlook"}
DEFAULT_SMTP_TIMEOUT = 30.0


def build_imip_message(
    event: InviteEvent,
    method: InviteMethod,
    *,
    from_addr: str,
    to_addr: str,
    subject: str,
    text_body: str,
    html_body: str,
    links: Mapping[str, str] | None = None,
) -> EmailMessage:
    """Build the invitation e-mail for ``event``.

    Structure (what Gmail, Outlook and Apple Mail all recognise as an invitation)::

        multipart/mixed
          multipart/alternative
            text/plain
            text/html
            text/calendar; method=REQUEST|CANCEL; charset=UTF-8
          application/ics; name="invite.ics"   (attachment, same bytes as the inline part)

    ``links`` (e.g. from :func:`calendars.ical.invites.calendar_links`) are appended to both
    bodies as "Add to Google Calendar" / "Add to Outlook" links.  ``from_addr``/``to_addr`` may be
    ``"Name <addr>"`` strings.
    """
    ics = build_invite(event, method)
    links = links or {}

    message = EmailMessage()
    message["From"] = from_addr
    message["To"] = to_addr
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = parseaddr(from_addr)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)

    message.set_content(_text_with_links(text_body, links), subtype="plain", charset="utf-8")
    message.add_alternative(_html_with_links(html_body, links), subtype="html", charset="utf-8")
    # base64 keeps the CRLF line endings and UTF-8 of the iCalendar object byte-for-byte.
    message.add_alternative(
        ics,
        maintype="text",
        subtype="calendar",
        cte="base64",
        params={"method": method, "charset": "UTF-8"},
    )
    message.add_attachment(
        ics,
        maintype="application",
        subtype="ics",
        filename=ATTACHMENT_NAME,
        params={"name": ATTACHMENT_NAME},
    )
    return message


def _text_with_links(text_body: str, links: Mapping[str, str]) -> str:
    if not links:
        return text_body
    lines = [f"{LINK_LABELS.get(kind, kind)}: {url}" for kind, url in links.items()]
    return text_body.rstrip("\n") + "\n\n" + "\n".join(lines) + "\n"


def _html_with_links(html_body: str, links: Mapping[str, str]) -> str:
    if not links:
        return html_body
    anchors = " | ".join(
        f'<a href="{html.escape(url, quote=True)}">{html.escape(LINK_LABELS.get(kind, kind))}</a>'
        for kind, url in links.items()
    )
    block = f'<p class="calendar-links">{anchors}</p>'
    index = html_body.lower().rfind("</body>")
    if index == -1:
        return html_body + block
    return html_body[:index] + block + html_body[index:]


class SmtpError(Exception):
    """Sending failed; ``str(error)`` says why.  ``permanent`` is True for 5xx/config problems
    (retrying will not help), False for timeouts, refused connections and 4xx replies."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent

    def __str__(self) -> str:
        return self.message


TlsMode = Literal["implicit", "require", "opportunistic", "off"]


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    """A parsed ``smtp://`` / ``smtps://`` URL.  ``repr`` never shows the password."""

    host: str
    port: int
    username: str | None
    password: str | None
    tls: TlsMode

    def __repr__(self) -> str:
        return f"SmtpTarget({self.redacted()!r}, tls={self.tls!r})"

    def redacted(self) -> str:
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        user = f"{self.username}:***@" if self.username else ""
        return f"{scheme}://{user}{self.host}:{self.port}"


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def parse_smtp_url(smtp_url: str) -> SmtpTarget:
    """Parse ``smtp://user:pass@host:port[?starttls=1|0]`` or ``smtps://user:pass@host[:465]``.

    ``smtp``: STARTTLS is used whenever the server offers it; ``?starttls=1`` or port 587 make it
    mandatory, ``?starttls=0`` disables it.  ``smtps``: implicit TLS (default port 465).
    User name and password are percent-decoded.  Raises a permanent :class:`SmtpError`.
    """
    try:
        parts = urlsplit(smtp_url)
        port = parts.port
    except ValueError as exc:
        raise SmtpError(f"invalid SMTP URL: {exc}", permanent=True) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        raise SmtpError(f"SMTP URL must start with smtp:// or smtps://, got {scheme or 'nothing'!r}", permanent=True)
    if not parts.hostname:
        raise SmtpError("SMTP URL has no host name", permanent=True)
    query = {key.lower(): values[-1].lower() for key, values in parse_qs(parts.query).items()}
    starttls = query.get("starttls")
    if starttls is not None and starttls not in _TRUE | _FALSE:
        raise SmtpError(f"starttls must be 1 or 0, got {starttls!r}", permanent=True)
    tls: TlsMode
    if scheme == "smtps":
        tls = "implicit"
        port = port or 465
    else:
        port = port or 25
        if starttls in _TRUE or (starttls is None and port == 587):
            tls = "require"
        elif starttls in _FALSE:
            tls = "off"
        else:
            tls = "opportunistic"
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    return SmtpTarget(host=parts.hostname, port=port, username=username, password=password, tls=tls)


def send_message(
    smtp_url: str,
    message: EmailMessage,
    *,
    timeout: float = DEFAULT_SMTP_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """Deliver ``message`` through the SMTP server in ``smtp_url`` (see :func:`parse_smtp_url`).

    Envelope sender/recipients come from the From/To/Cc headers.  Every failure - connection,
    TLS, authentication, refusal, timeout - raises :class:`SmtpError`; ``ssl_context`` defaults to
    :func:`ssl.create_default_context` (certificates are verified).
    """
    target = parse_smtp_url(smtp_url)
    where = target.redacted()
    context = ssl_context or ssl.create_default_context()
    logger.debug("sending message %s via %s", message.get("Message-ID"), where)
    try:
        client: smtplib.SMTP
        if target.tls == "implicit":
            client = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
        else:
            client = smtplib.SMTP(target.host, target.port, timeout=timeout)
        with client:
            client.ehlo()
            if target.tls in ("require", "opportunistic"):
                if client.has_extn("starttls"):
                    client.starttls(context=context)
                    client.ehlo()
                elif target.tls == "require":
                    raise SmtpError(f"{where} does not offer STARTTLS, which is required", permanent=True)
            if target.username:
                client.login(target.username, target.password or "")
            refused = client.send_message(message)
    except SmtpError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise SmtpError(
            f"{where}: authentication failed for user {target.username!r}: {_reply(exc)}",
            permanent=exc.smtp_code >= 500,
        ) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        details = "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items())
        permanent = all(code >= 500 for code, _ in exc.recipients.values())
        raise SmtpError(f"{where}: all recipients refused ({details})", permanent=permanent) from exc
    except smtplib.SMTPResponseException as exc:
        raise SmtpError(f"{where}: server replied {_reply(exc)}", permanent=exc.smtp_code >= 500) from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise SmtpError(f"{where}: {exc}", permanent=True) from exc
    except smtplib.SMTPServerDisconnected as exc:
        raise SmtpError(f"{where}: server disconnected unexpectedly ({exc})") from exc
    except smtplib.SMTPException as exc:
        raise SmtpError(f"{where}: {type(exc).__name__}: {exc}") from exc
    except ssl.SSLCertVerificationError as exc:
        raise SmtpError(f"{where}: TLS certificate verification failed: {exc.verify_message}", permanent=True) from exc
    except ssl.SSLError as exc:
        raise SmtpError(f"{where}: TLS error: {exc.reason or exc}") from exc
    except TimeoutError as exc:
        raise SmtpError(f"{where}: timed out after {timeout:g}s") from exc
    except OSError as exc:
        raise SmtpError(f"{where}: cannot connect: {exc.strerror or exc}") from exc
    if refused:
        details = "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in refused.items())
        raise SmtpError(
            f"{where}: some recipients refused ({details})", permanent=all(code >= 500 for code, _ in refused.values())
        )
    logger.info("sent message %s via %s", message.get("Message-ID"), where)


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"
