"""Schemathesis hooks for tests/security/test_openapi_fuzz.py (loaded by the `st` process through
SCHEMATHESIS_HOOKS): each generated request comes from its own documentation address, so the public
rate limit (per client address) does not answer most of them with 429 before the handler runs."""

from __future__ import annotations

import itertools
from typing import Any

import schemathesis

_addresses = itertools.count()


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    n = next(_addresses)
    case.headers = {**(case.headers or {}), "X-Forwarded-For": f"198.51.100.{n % 250 + 1}"}
