"""A real Radicale CalDAV server in a subprocess, for CalDAV round-trip tests.

Use it from a conftest::

    from tests.support.radicale import radicale_server  # noqa: F401

and take ``radicale_server`` (the base URL, e.g. ``http://127.0.0.1:53211``) in a test.  There is
no password check (``auth type = none``): send HTTP basic auth with any password, and the user
name decides whose collections you may touch (``rights type = owner_only``), e.g.
``httpx.Client(base_url=radicale_server, auth=("alice", "x"))`` then ``MKCALENDAR /alice/work/``.
For a private instance use :func:`run_radicale`.
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


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def run_radicale(storage: Path | None = None, *, startup_timeout: float = 30.0) -> Iterator[str]:
    """Start Radicale on a free port with its own storage folder, yield the base URL, stop it."""
    with contextlib.ExitStack() as stack:
        if storage is None:
            storage = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="radicale-")))
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        log_path = storage / "radicale.log"
        log = stack.enter_context(log_path.open("wb"))
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "radicale",
                "--server-hosts",
                f"127.0.0.1:{port}",
                "--storage-filesystem-folder",
                str(storage / "collections"),
                "--auth-type",
                "none",
                "--rights-type",
                "owner_only",
                "--logging-level",
                "warning",
                "--config",  # no values: ignore /etc/radicale/config and ~/.config/radicale/config
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RADICALE_CONFIG": ""},
        )
        try:
            _wait_until_up(base_url, process, startup_timeout, log_path)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Radicale exited with {process.returncode}: {log_path.read_text(errors='replace')}")
        try:
            httpx.get(f"{base_url}/.web/", timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"Radicale did not answer at {base_url} within {timeout}s")


@pytest.fixture(scope="session")
def radicale_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a Radicale server shared by the whole test session."""
    with run_radicale(tmp_path_factory.mktemp("radicale")) as base_url:
        yield base_url
