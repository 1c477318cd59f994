"""Shared fixtures: real PostgreSQL, real Redis, a real web server process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

os.environ.setdefault("PICCOLO_CONF", "rentcal.piccolo_conf")
os.environ.setdefault("RENTCAL_OUTBOX_POLL_SECONDS", "0.5")

from tests.support.services import ROOT, prepare

DATABASE_URL, REDIS_URL = prepare()

from tests.support.net import free_port, wait_until_up  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
async def db_pool() -> AsyncIterator[None]:
    from rentcal.db import close_pool, open_pool

    await open_pool(max_size=10)
    yield
    await close_pool()


def _start(args: list[str], health: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "rentcal.cli", *args], cwd=ROOT, env=os.environ.copy())
    try:
        wait_until_up(health)
    except RuntimeError:
        process.kill()
        raise
    return process


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """The real web application served by uvicorn in its own process."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = _start(["web", "--port", str(port)], f"{base}/health")
    yield base
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(scope="session")
def worker_process() -> Iterator[subprocess.Popen[bytes]]:
    """`rentcal worker`: the outbox dispatcher plus Dramatiq worker processes."""
    process = subprocess.Popen(
        [sys.executable, "-m", "rentcal.cli", "worker", "--threads", "4"], cwd=ROOT, env=os.environ.copy()
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
