"""The local CalDAV server `rentcal up` starts for the demo (rentcal/caldav_demo.py), as its own process."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from calendars.providers.caldav import CaldavProvider, WrongCredentials
from calendars.providers.caldav_model import PasswordGrant
from rentcal.caldav_demo import DEMO_ACCOUNTS, DEMO_PASSWORD, demo_command
from tests.support.net import free_port


def _wait_for_calendar(base: str, user: str, slug: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "the demo CalDAV server exited"
        try:
            response = httpx.request(
                "PROPFIND", f"{base}/{user}/{slug}/", headers={"Depth": "0"}, auth=(user, DEMO_PASSWORD), timeout=2
            )
            if response.status_code == 207:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{base} never served /{user}/{slug}/")


def _run_once(data_dir: Path, port: int) -> list[str]:
    """Start the demo process, list the driver's calendars, check a wrong password, stop it with SIGTERM."""
    env: dict[str, str] = {}
    command = demo_command(data_dir, env, port=port)
    assert command is not None
    base = env["RENTCAL_CALDAV_DEMO_URL"]
    assert base == f"http://127.0.0.1:{port}"
    process = subprocess.Popen(command)
    try:
        _wait_for_calendar(base, "manager@demo.test", "personal", process)

        async def names() -> list[str]:
            async with httpx.AsyncClient(timeout=10) as client:
                provider = CaldavProvider(PasswordGrant(base, "driver@demo.test", DEMO_PASSWORD), client)
                found = sorted(c.name for c in await provider.list_calendars())
                wrong = CaldavProvider(PasswordGrant(base, "driver@demo.test", "guess"), client, max_attempts=1)
                with pytest.raises(WrongCredentials):
                    await wrong.list_calendars()
                return found

        return asyncio.run(names())
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_demo_process_serves_password_checked_accounts_and_keeps_its_data(tmp_path: Path) -> None:
    port = free_port()
    assert _run_once(tmp_path, port) == ["Personal", "Rentcal"]
    owners = {p.name for p in (tmp_path / "caldav" / "collections" / "collection-root").iterdir()}
    assert owners == set(DEMO_ACCOUNTS)
    marker = tmp_path / "caldav" / "collections" / "collection-root" / "driver@demo.test" / "rentcal" / "kept.ics"
    marker.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:kept\r\n"
        "DTSTAMP:20300101T000000Z\r\nDTSTART:20300101T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert _run_once(tmp_path, port) == ["Personal", "Rentcal"]  # a restart keeps the storage and seeds nothing twice
    assert marker.exists()


def test_demo_server_can_be_switched_off(tmp_path: Path) -> None:
    env = {"RENTCAL_CALDAV_DEMO": "0"}
    assert demo_command(tmp_path, env) is None
    assert "RENTCAL_CALDAV_DEMO_URL" not in env
