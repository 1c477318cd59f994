"""`rentcal up` from the source tree: stand-in ports that are taken are replaced by free ones, and a
child that dies is named with its last lines while `up` exits non-zero and stops the rest."""

from __future__ import annotations

import asyncio
import os
import signal
import smtplib
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from tests.support.net import free_port
from tests.support.services import ROOT, TEST_DB, _with_database
from tests.support.up import UpProcess


@pytest.fixture(scope="module")
def own_database() -> Iterator[str]:
    """An empty database of their own: the first `up` migrates and seeds it."""
    name = f"{TEST_DB}_up"
    admin = _with_database(os.environ["DATABASE_URL"], "postgres")

    async def run(*statements: str) -> None:
        connection = await asyncpg.connect(admin)
        try:
            for statement in statements:
                await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'))
    yield _with_database(os.environ["DATABASE_URL"], name)
    asyncio.run(run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def taken_ports() -> Iterator[tuple[int, int]]:
    """Two ports another program listens on (as a second `rentcal up` would)."""
    sockets = []
    for _ in range(2):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sockets.append(sock)
    yield sockets[0].getsockname()[1], sockets[1].getsockname()[1]
    for sock in sockets:
        sock.close()


def _up_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RENTCAL_", "REDIS_URL"))}
    # its own embedded Redis: a worker on the tests' Redis would take the tests' jobs
    return {**env, "DATABASE_URL": database_url, "RENTCAL_DATA_DIR": str(data_dir)}


def test_up_moves_stand_ins_off_taken_ports_and_reports_a_child_that_dies(
    own_database: str, taken_ports: tuple[int, int], tmp_path: Path
) -> None:
    sandbox_taken, smtp_taken = taken_ports
    port = free_port()
    env = {**_up_env(own_database, tmp_path), "RENTCAL_SMTP_SINK_PORT": str(smtp_taken)}
    command = [sys.executable, "-m", "rentcal.cli", "up", "--port", str(port), "--google-sandbox-port"]
    up = UpProcess([*command, str(sandbox_taken)], env, ROOT)
    try:
        up.wait_for("Rentcal is running at", timeout=180)
        sandbox = up.wait_for(rf"sandbox: http://127\.0\.0\.1:(\d+) .*port {sandbox_taken} is taken", 1)
        smtp = up.wait_for(rf"SMTP sink on port (\d+).*port {smtp_taken} is taken", 1)
        assert int(sandbox[1]) != sandbox_taken and int(smtp[1]) != smtp_taken

        login = httpx.get(f"http://127.0.0.1:{port}/login")
        assert login.status_code == 200 and 'name="password"' in login.text
        colors = httpx.get(f"http://127.0.0.1:{sandbox[1]}/calendar/v3/colors")
        assert colors.status_code == 401  # the sandbox answers as Google does without a token
        with smtplib.SMTP("127.0.0.1", int(smtp[1]), timeout=10) as sink:
            assert sink.noop()[0] == 250

        web_pid = int(up.wait_for(r"web \| INFO:\s+Started server process \[(\d+)\]", 1)[1])
        os.kill(web_pid, signal.SIGKILL)
        assert up.wait(timeout=60) == 1
    finally:
        if up.process.poll() is None:
            up.stop()
    assert "rentcal up: the web process was killed by signal 9. Its last lines:" in up.output
    assert f"Uvicorn running on http://127.0.0.1:{port}" in up.output.split("Its last lines:")[1]
    with pytest.raises(httpx.HTTPError):  # the others were stopped
        httpx.get(f"http://127.0.0.1:{sandbox[1]}/calendar/v3/colors", timeout=2)


def test_up_stops_cleanly_on_sigterm_and_refuses_a_taken_web_port(own_database: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        refused = UpProcess(
            [sys.executable, "-m", "rentcal.cli", "up", "--port", str(busy)], _up_env(own_database, tmp_path), ROOT
        )
        assert refused.wait(timeout=120) != 0
    assert f"port {busy} is in use" in refused.output

    port = free_port()
    env = {
        **_up_env(own_database, tmp_path),
        "RENTCAL_GOOGLE_CLIENT_ID": "real-id",
        "RENTCAL_MICROSOFT_CLIENT_ID": "real-id",
        "RENTCAL_CALDAV_DEMO": "0",
        "RENTCAL_SMTP_URL": "smtp://x",
    }
    up = UpProcess([sys.executable, "-m", "rentcal.cli", "up", "--port", str(port)], env, ROOT)
    try:
        up.wait_for("Rentcal is running at", timeout=180)
    finally:
        code = up.stop()
    assert code == 0
    assert "sandbox" not in up.output and "SMTP sink" not in up.output  # real services configured
    assert "Demo data already present" in up.output  # the first test seeded it
