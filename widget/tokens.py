"""Signed, short-lived form tokens for the widget's cross-origin forms.

The widget lives in iframes on other sites, so the portal's cookie-based CSRF protection does not
fit. Instead each rendered form carries `issued.nonce.signature`, an HMAC-SHA256 over the form's
purpose, the issue time and a random nonce: a form can only be posted by someone who loaded it
recently, and each rendered form has its own token (widget.request_guard uses each once).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

MAX_AGE_SECONDS = 60 * 60
_CLOCK_SKEW = 60


def _signature(secret: str, subject: str, issued: int) -> str:
    mac = hmac.new(secret.encode(), f"{subject}|{issued}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def issue(secret: str, subject: str, now: float | None = None) -> str:
    issued = int(time.time() if now is None else now)
    nonce = secrets.token_urlsafe(9)
    return f"{issued}.{nonce}.{_signature(secret, f'{subject}|{nonce}', issued)}"


def verify(secret: str, subject: str, token: str, max_age: int = MAX_AGE_SECONDS, now: float | None = None) -> bool:
    issued_text, _, rest = token.partition(".")
    nonce, _, signature = rest.partition(".")
    if not issued_text.isdigit() or not nonce or not signature:
        return False
    issued = int(issued_text)
    current = time.time() if now is None else now
    if not current - max_age <= issued <= current + _CLOCK_SKEW:
        return False
    return hmac.compare_digest(signature, _signature(secret, f"{subject}|{nonce}", issued))
