"""Run the Google Calendar/OAuth sandbox (``python -m sandboxes.google``) in a real subprocess.

Use the session fixture from a conftest::

    from tests.support.google_sandbox import google_sandbox  # noqa: F401

and take ``google_sandbox`` (the base URL, e.g. ``http://127.0.0.1:53211``) in a test. Endpoints:
authorize ``{base}/o/oauth2/v2/auth``, token ``{base}/token``, API ``{base}/calendar/v3``,
admin ``{base}/_sandbox/...``. For a private instance with other options use ``run_google_sandbox``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def run_google_sandbox(*extra_args: str, startup_timeout: float = 30.0) -> Iterator[str]:
    """Start the sandbox on a free port, wait until it answers, yield its base URL, stop it."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "sandboxes.google", "--port", str(port), *extra_args]
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


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], output: object, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = ""
            if hasattr(output, "seek") and hasattr(output, "read"):
                output.seek(0)
                log = output.read().decode("utf-8", "replace")
            raise RuntimeError(f"google sandbox exited with {process.returncode}:\n{log}")
        try:
            if httpx.get(f"{base_url}/_sandbox/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"google sandbox did not answer on {base_url} within {timeout} s")


def register_redirect_uri(base_url: str, uri: str) -> None:
    """Register an OAuth redirect URI with the sandbox's client (as in Google's Cloud Console)."""
    response = httpx.post(f"{base_url}/_sandbox/oauth", json={"redirect_uris": [uri]}, timeout=10)
    response.raise_for_status()


@pytest.fixture(scope="session")
def google_sandbox() -> Iterator[str]:
    """Base URL of a session-wide sandbox subprocess (state is shared: use fresh account emails)."""
    with run_google_sandbox("--allow-http-webhooks") as base_url:
        yield base_url
