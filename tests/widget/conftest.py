"""A second server process with a low public rate limit, and per-test client addresses.

uvicorn trusts X-Forwarded-For from 127.0.0.1, so each test can act as its own client address and
the tests never use up each other's (or the browser tests') rate-limit budget on the shared server.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.support.net import free_port, wait_until_up
from tests.support.services import ROOT

LOW_LIMIT = 5
_addresses = itertools.count(1)


def client_address() -> dict[str, str]:
    n = next(_addresses)
    return {"X-Forwarded-For": f"198.51.100.{n % 250 + 1}"}


@pytest.fixture
def client_headers() -> dict[str, str]:
    return client_address()


@pytest.fixture(scope="session")
def limited_server() -> Iterator[str]:
    """The real app again, in its own process, allowing LOW_LIMIT public requests a minute."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "RENTCAL_PUBLIC_RATE_LIMIT": str(LOW_LIMIT)}
    process = subprocess.Popen([sys.executable, "-m", "rentcal.cli", "web", "--port", str(port)], cwd=ROOT, env=env)
    try:
        wait_until_up(f"{base}/health")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=15)
