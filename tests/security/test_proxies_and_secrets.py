"""Items 9 and 11: forwarded headers only from trusted proxies; no development secrets in production."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from rentcal.settings import DEV_ENCRYPTION_KEY, Settings
from tests.factories import make_product, make_tenant
from tests.support.net import free_port, wait_until_up
from tests.support.services import ROOT

LIMIT = 5


@pytest.fixture(scope="module")
def untrusting_server() -> Iterator[str]:
    """The real app with the default RENTCAL_TRUSTED_PROXIES (none) and a low public limit."""
    port = free_port()
    env = {**os.environ, "RENTCAL_PUBLIC_RATE_LIMIT": str(LIMIT)}
    env.pop("RENTCAL_TRUSTED_PROXIES", None)
    process = subprocess.Popen([sys.executable, "-m", "rentcal.cli", "web", "--port", str(port)], cwd=ROOT, env=env)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/health")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=15)


async def test_spoofed_forwarded_for_does_not_escape_the_rate_limit(untrusting_server: str) -> None:
    tenant = await make_tenant()
    await make_product(tenant)
    statuses = []
    async with httpx.AsyncClient(base_url=untrusting_server) as client:
        for n in range(LIMIT + 5):
            response = await client.get(
                f"/public/v1/{tenant.slug}/products", headers={"X-Forwarded-For": f"198.18.0.{n + 1}"}
            )
            statuses.append(response.status_code)
    assert statuses.count(200) <= LIMIT and statuses[-1] == 429, statuses


def test_trusted_proxies_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RENTCAL_TRUSTED_PROXIES", raising=False)
    assert Settings.from_env().trusted_proxies == ()
    monkeypatch.setenv("RENTCAL_TRUSTED_PROXIES", "10.0.0.5, 10.1.0.0/16")
    assert Settings.from_env().trusted_proxies == ("10.0.0.5", "10.1.0.0/16")
    monkeypatch.delenv("RENTCAL_ALLOW_PRIVATE_FETCH", raising=False)
    monkeypatch.delenv("RENTCAL_FEED_IMPORT_PRIVATE", raising=False)
    assert Settings.from_env().allow_private_fetch is False


@pytest.mark.parametrize("command", [["worker", "--threads", "1"], ["web", "--port", "0"], ["migrate"]])
@pytest.mark.parametrize(
    ("secret", "keys", "message"),
    [
        (None, "", "RENTCAL_SECRET_KEY must be set"),
        ("p" * 40, None, "RENTCAL_ENCRYPTION_KEYS must be set in production"),
    ],
)
def test_every_process_refuses_development_secrets_in_production(
    command: list[str], secret: str | None, keys: str | None, message: str
) -> None:
    env = {**os.environ, "RENTCAL_ENV": "production"}
    env.pop("RENTCAL_SECRET_KEY", None)
    env.pop("RENTCAL_ENCRYPTION_KEYS", None)
    if secret:
        env["RENTCAL_SECRET_KEY"] = secret
    env["RENTCAL_ENCRYPTION_KEYS"] = (
        DEV_ENCRYPTION_KEY if keys is None else "x3ZTmo1Yc9mZ0P6u4yqv5Ek2Q0x1ZPp0r5QnO3l8vXk="
    )
    if keys == "":
        env.pop("RENTCAL_ENCRYPTION_KEYS")
    result = subprocess.run(
        [sys.executable, "-m", "rentcal.cli", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_the_worker_broker_refuses_them_too() -> None:
    env = {**os.environ, "RENTCAL_ENV": "production", "RENTCAL_SECRET_KEY": "s" * 40}
    env.pop("RENTCAL_ENCRYPTION_KEYS", None)
    result = subprocess.run(
        [sys.executable, "-c", "import tasks.actors"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "RENTCAL_ENCRYPTION_KEYS must be set in production" in result.stderr
