"""A real SMTP server that keeps what it receives: for tests and for the application's demo mode.

    with SmtpSink() as sink:                      # 127.0.0.1, a free port, in-memory
        send_message(sink.url, message)
        [received] = sink.wait_for(1)

Messages are parsed with ``email.policy.default`` (so they are ``EmailMessage`` objects) and kept
in memory; with ``maildir=`` they are also written to a Maildir that any mail client can open.
Optionally it checks a user name and password (``credentials``), offers STARTTLS
(``starttls_context``) or speaks implicit TLS (``implicit_tls_context``).
"""

from __future__ import annotations

import email
import email.policy
import mailbox
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    """One delivered message with its SMTP envelope."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes
    login: str | None
    tls: bool


class SmtpSink:
    """An aiosmtpd server in a background thread that accepts and stores every message."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        maildir: str | Path | None = None,
        credentials: tuple[str, str] | None = None,
        starttls_context: ssl.SSLContext | None = None,
        implicit_tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.requested_port = port
        self.port = port
        self.maildir = Path(maildir) if maildir is not None else None
        self.credentials = credentials
        self.starttls_context = starttls_context
        self.implicit_tls_context = implicit_tls_context
        self._received: list[ReceivedMessage] = []
        self._condition = threading.Condition()
        self._controller: Controller | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Self:
        """Start listening (on a free port if ``port`` was 0)."""
        if self._controller is not None:
            return self
        attempts = 5 if self.requested_port == 0 else 1
        for attempt in range(attempts):
            self.port = self.requested_port or _free_port(self.host)
            controller = self._make_controller()
            try:
                controller.start()
            except (OSError, RuntimeError):
                if attempt == attempts - 1:
                    raise
                continue
            self._controller = controller
            return self
        raise RuntimeError("unreachable")  # pragma: no cover

    def stop(self) -> None:
        """Stop listening; received messages stay available."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _make_controller(self) -> Controller:
        kwargs: dict[str, Any] = {"server_hostname": "rentcal-smtp-sink.localhost", "ready_timeout": 5.0}
        if self.implicit_tls_context is not None:
            kwargs["ssl_context"] = self.implicit_tls_context
        if self.starttls_context is not None:
            kwargs["tls_context"] = self.starttls_context
        if self.credentials is not None:
            # AUTH is offered (also without TLS) and wrong credentials are refused; it is not
            # *required*, which aiosmtpd only allows together with TLS without warning.
            kwargs.update(authenticator=self._authenticate, auth_require_tls=False)
        return Controller(_Handler(self), hostname=self.host, port=self.port, **kwargs)

    # --- what arrived -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``smtp://host:port`` (``smtps://`` with implicit TLS), without credentials."""
        scheme = "smtps" if self.implicit_tls_context is not None else "smtp"
        return f"{scheme}://{self.host}:{self.port}"

    @property
    def received(self) -> list[ReceivedMessage]:
        """Everything delivered so far, oldest first (a copy)."""
        with self._condition:
            return list(self._received)

    @property
    def messages(self) -> list[EmailMessage]:
        """The delivered messages, parsed with ``email.policy.default``."""
        return [item.message for item in self.received]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedMessage]:
        """Block until at least ``count`` messages arrived; raise ``TimeoutError`` otherwise."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self._received) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"expected {count} message(s), got {len(self._received)}")
                self._condition.wait(remaining)
            return list(self._received)

    def clear(self) -> None:
        """Forget the messages received so far (the Maildir is left alone)."""
        with self._condition:
            self._received.clear()

    # --- called by aiosmtpd on its thread -----------------------------------------------------

    def _store(self, envelope: Envelope, session: Session, *, tls: bool) -> None:
        raw = envelope.original_content or b""
        if not raw and isinstance(envelope.content, bytes):
            raw = envelope.content
        message = cast(EmailMessage, email.message_from_bytes(raw, policy=email.policy.default))
        login = session.auth_data if session.authenticated else None
        item = ReceivedMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            message=message,
            raw=raw,
            login=login.decode() if isinstance(login, bytes) else (str(login) if login else None),
            tls=tls,
        )
        if self.maildir is not None:
            mailbox.Maildir(self.maildir, create=True).add(raw)
        with self._condition:
            self._received.append(item)
            self._condition.notify_all()

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        if self.credentials is None or not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = self.credentials
        ok = auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self._sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        transport = getattr(server, "transport", None)
        implicit = transport is not None and transport.get_extra_info("ssl_object") is not None
        self._sink._store(envelope, session, tls=implicit or session.ssl is not None)
        return "250 Message accepted for delivery"


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])
