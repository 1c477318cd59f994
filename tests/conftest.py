"""Shared fixtures: real PostgreSQL, real Redis, a real web server process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator

import pytest

os.environ.setdefault("PICCOLO_CONF", "rentcal.piccolo_conf")
os.environ.setdefault("RENTCAL_OUTBOX_POLL_SECONDS", "0.5")
os.environ.setdefault("RENTCAL_OUTBOX_REQUEUE_SECONDS", "8")
# The test servers run on loopback: trust X-Forwarded-For from there (per-test client addresses),
# and let feed imports reach the local feed servers. tests/security/ checks both defaults.
os.environ.setdefault("RENTCAL_TRUSTED_PROXIES", "127.0.0.1")
os.environ.setdefault("RENTCAL_ALLOW_PRIVATE_FETCH", "1")

from tests.support.services import ROOT, prepare

DATABASE_URL, REDIS_URL = prepare()

from tests.support.google_sandbox import google_sandbox, register_redirect_uri  # noqa: E402, F401
from tests.support.microsoft_sandbox import microsoft_sandbox  # noqa: E402, F401
from tests.support.net import free_port, wait_until_up  # noqa: E402
from tests.support.worker import WorkerHandle  # noqa: E402


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from rentcal.embedded import stop_all

    stop_all()


@pytest.fixture(scope="session", autouse=True)
async def db_pool() -> AsyncIterator[None]:
    from rentcal.db import close_pool, open_pool

    await open_pool(max_size=10)
    yield
    await close_pool()


@pytest.fixture(scope="session")
def app_env(google_sandbox: str, microsoft_sandbox: str) -> dict[str, str]:  # noqa: F811
    """Settings shared by the web process, the worker and in-test service calls."""
    from rentcal.settings import get_settings

    port = free_port()
    values = {
        "RENTCAL_BASE_URL": f"http://127.0.0.1:{port}",
        "RENTCAL_GOOGLE_AUTHORIZE_URL": f"{google_sandbox}/o/oauth2/v2/auth",
        "RENTCAL_GOOGLE_TOKEN_URL": f"{google_sandbox}/token",
        "RENTCAL_GOOGLE_REVOKE_URL": f"{google_sandbox}/revoke",
        "RENTCAL_GOOGLE_USERINFO_URL": f"{google_sandbox}/oauth2/v3/userinfo",
        "RENTCAL_GOOGLE_API_URL": f"{google_sandbox}/calendar/v3",
        "RENTCAL_MICROSOFT_AUTHORITY_URL": microsoft_sandbox,  # loopback redirect URIs need no registration
        "RENTCAL_MICROSOFT_GRAPH_URL": f"{microsoft_sandbox}/v1.0",
        "RENTCAL_ALLOW_HTTP_WEBHOOKS": "1",  # the sandboxes were started with --allow-http-webhooks
    }
    os.environ.update(values)
    get_settings.cache_clear()
    register_redirect_uri(google_sandbox, f"{values['RENTCAL_BASE_URL']}/oauth/google/callback")
    return {**values, "PORT": str(port)}


def _start(args: list[str], health: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, "-m", "rentcal.cli", *args], cwd=ROOT, env=os.environ.copy())
    try:
        wait_until_up(health)
    except RuntimeError:
        process.kill()
        raise
    return process


@pytest.fixture(scope="session")
def live_server(app_env: dict[str, str]) -> Iterator[str]:
    """The real web application served by uvicorn in its own process."""
    port = int(app_env["PORT"])
    base = app_env["RENTCAL_BASE_URL"]
    process = _start(["web", "--port", str(port)], f"{base}/health")
    yield base
    process.terminate()
    process.wait(timeout=15)


@pytest.fixture(scope="session")
def worker_process(app_env: dict[str, str]) -> Iterator[WorkerHandle]:
    handle = WorkerHandle()
    handle.start()
    yield handle
    handle.stop()


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """The chaos test (restarts of its own PostgreSQL and Redis, killed processes) runs last: whatever it
    leaves behind on a busy machine cannot disturb the tests after it."""
    items.sort(key=lambda item: "test_sync_chaos" in item.nodeid)
