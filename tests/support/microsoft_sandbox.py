"""Run the Microsoft identity + Graph sandbox (``python -m sandboxes.microsoft``) in a real subprocess.

Use the session fixture from a conftest or test module::

    from tests.support.microsoft_sandbox import microsoft_sandbox  # noqa: F401

and take ``microsoft_sandbox`` (the base URL, e.g. ``http://127.0.0.1:53211``) in a test. Endpoints:
authorize ``{base}/common/oauth2/v2.0/authorize``, token ``{base}/common/oauth2/v2.0/token``, Graph
``{base}/v1.0``, admin ``{base}/_sandbox/...``. The session instance accepts http:// webhooks
(``--allow-http-webhooks``); for other options start a private one with ``run_microsoft_sandbox``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.support.net import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def run_microsoft_sandbox(*extra_args: str, startup_timeout: float = 60.0) -> Iterator[str]:
    """Start the sandbox on a free port, wait until it answers, yield its base URL, stop it."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "sandboxes.microsoft", "--port", str(port), *extra_args]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(base_url, process, output, startup_timeout)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], output: IO[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output.seek(0)
            log = output.read().decode("utf-8", "replace")
            raise RuntimeError(f"microsoft sandbox exited with {process.returncode}:\n{log}")
        try:
            if httpx.get(f"{base_url}/_sandbox/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"microsoft sandbox did not answer on {base_url} within {timeout} s")


@pytest.fixture(scope="session")
def microsoft_sandbox() -> Iterator[str]:
    """Base URL of a session-wide sandbox subprocess (state is shared: use fresh account emails)."""
    with run_microsoft_sandbox("--allow-http-webhooks") as base_url:
        yield base_url
