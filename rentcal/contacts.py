"""One rule for the e-mail addresses and names people give us.

Shared by the API edge (rental.schemas, so the API, the portal forms and the widget) and the
iCalendar layer (calendars.ical), so nothing accepted at the edge can be refused when the
invitation is written or sent. Addresses are checked by email-validator against RFC 5322 / 5321
(`o'brien@example.com`, plus-addressing and IDN domains pass; `jo;hn@example.com` does not). An
IDN domain is kept in its ASCII (IDNA) form so the address works in a `mailto:` URI and over any
SMTP server without SMTPUTF8.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

NAME_MAX = 200
# Control characters and line or paragraph separators: a name or phone number is one line of text.
_NOT_IN_A_LINE = {"Cc", "Cs", "Zl", "Zp"}


class ContactError(ValueError):
    """Bad contact input; the message is written for the person who typed it."""


def email_address(value: str) -> str:
    """The address as we store and send it (trimmed, an IDN domain in ASCII); ContactError if unusable."""
    text = value.strip()
    if not text:
        raise ContactError("an e-mail address is required")
    try:
        # test_environment: the demo and tests use the reserved .test domain (RFC 2606); mail
        # servers are never asked whether an address exists.
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=False, test_environment=True)
    except EmailNotValidError as exc:
        raise ContactError(f"{text} is not a valid e-mail address: {exc}") from None
    if text.isascii():
        return text  # as typed: each booking keeps the contact given with it
    return checked.ascii_email or checked.normalized


def one_line(value: str, what: str, max_length: int) -> str:
    """`value` trimmed; ContactError when it holds a line break or control character or is too long."""
    text = value.strip()
    if any(unicodedata.category(char) in _NOT_IN_A_LINE for char in text):
        raise ContactError(f"the {what} must be one line of text, without line breaks or control characters")
    if len(text) > max_length:
        raise ContactError(f"the {what} may have at most {max_length} characters")
    return text


def person_name(value: str) -> str:
    """A name as we store it and put it in invitations (trimmed, one line, 1-200 characters)."""
    text = one_line(value, "name", NAME_MAX)
    if not text:
        raise ContactError("a name is required")
    return text
