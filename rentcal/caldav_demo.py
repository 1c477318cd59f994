"""A local CalDAV server (Radicale) with demo accounts, so "Connect Apple iCloud / CalDAV" works offline.

``rentcal up`` starts it as ``python -m rentcal.caldav_demo --port 8832 --storage <data dir>/caldav``
when ``RENTCAL_CALDAV_DEMO`` is not ``0``. Accounts (user name / password), each with the calendars
"Rentcal" and "Personal":

    driver@demo.test   / caldav-demo
    tech@demo.test     / caldav-demo
    manager@demo.test  / caldav-demo

Passwords are checked (htpasswd), so a wrong one gets a real 401. Tests use :func:`run_caldav_server`
for a private instance.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx

from calendars.providers import caldav_xml as dav

CALDAV_DEMO_PORT = 8832
DEMO_PASSWORD = "caldav-demo"  # noqa: S105 - a documented demo password
DEMO_ACCOUNTS: dict[str, str] = {
    "driver@demo.test": DEMO_PASSWORD,
    "tech@demo.test": DEMO_PASSWORD,
    "manager@demo.test": DEMO_PASSWORD,
}
DEMO_CALENDARS: tuple[tuple[str, str, str], ...] = (
    ("rentcal", "Rentcal", "#1E88E5FF"),
    ("personal", "Personal", "#43A047FF"),
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(storage: Path, port: int, accounts: Mapping[str, str]) -> Path:
    """Radicale's config and htpasswd file (plain passwords: these are public demo accounts)."""
    storage.mkdir(parents=True, exist_ok=True)
    htpasswd = storage / "htpasswd"
    htpasswd.write_text("".join(f"{user}:{password}\n" for user, password in accounts.items()), encoding="utf-8")
    config = storage / "radicale.conf"
    config.write_text(
        "\n".join(
            [
                "[server]",
                f"hosts = 127.0.0.1:{port}",
                "[auth]",
                "type = htpasswd",
                f"htpasswd_filename = {htpasswd}",
                "htpasswd_encryption = plain",
                "delay = 0",
                "[rights]",
                "type = owner_only",
                "[storage]",
                f"filesystem_folder = {storage / 'collections'}",
                "[logging]",
                "level = warning",
                "",
            ]
        ),
        encoding="utf-8",
    )
    return config


@contextlib.contextmanager
def run_caldav_server(
    storage: Path | None = None,
    *,
    port: int | None = None,
    accounts: Mapping[str, str] = DEMO_ACCOUNTS,
    calendars: Sequence[tuple[str, str, str]] = DEMO_CALENDARS,
    startup_timeout: float = 30.0,
) -> Iterator[str]:
    """Start Radicale with password-checked ``accounts`` and their ``calendars``; yield the base URL."""
    with contextlib.ExitStack() as stack:
        if storage is None:
            storage = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="caldav-")))
        port = port or free_port()
        config = write_config(storage, port, accounts)
        log = stack.enter_context((storage / "radicale.log").open("ab"))
        process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            _wait_until_up(base_url, process, startup_timeout, storage / "radicale.log")
            seed_calendars(base_url, accounts, calendars)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(base_url: str, process: subprocess.Popen[bytes], timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Radicale exited with {process.returncode}: {log.read_text(errors='replace')}")
        try:
            httpx.get(f"{base_url}/.web/", timeout=1.0)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"Radicale did not answer at {base_url} within {timeout}s")


def make_calendar(client: httpx.Client, path: str, name: str, color: str) -> None:
    """MKCALENDAR ``path`` (RFC 4791 5.3.1) for events, with a display name and Apple colour; existing is fine."""
    root = ET.Element(dav.q(dav.CALDAV, "mkcalendar"))
    prop = ET.SubElement(ET.SubElement(root, dav.q(dav.DAV, "set")), dav.q(dav.DAV, "prop"))
    ET.SubElement(prop, dav.DISPLAYNAME).text = name
    ET.SubElement(prop, dav.CALENDAR_COLOR).text = color
    components = ET.SubElement(prop, dav.SUPPORTED_COMPONENTS)
    ET.SubElement(components, dav.q(dav.CALDAV, "comp"), name="VEVENT")
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    response = client.request("MKCALENDAR", path, content=body, headers={"Content-Type": "application/xml"})
    if response.status_code not in (201, 405, 409):  # 405/409: it exists already
        response.raise_for_status()


def seed_calendars(base_url: str, accounts: Mapping[str, str], calendars: Sequence[tuple[str, str, str]]) -> None:
    for user, password in accounts.items():
        with httpx.Client(base_url=base_url, auth=(user, password), timeout=10) as client:
            client.request("PROPFIND", f"/{user}/", headers={"Depth": "0"})  # creates the principal
            for slug, name, color in calendars:
                make_calendar(client, f"/{user}/{slug}/", name, color)


def demo_command(data_dir: Path, env: dict[str, str], port: int = CALDAV_DEMO_PORT) -> list[str] | None:
    """For ``rentcal up``: the command that serves the demo CalDAV server (None when disabled)."""
    if env.get("RENTCAL_CALDAV_DEMO", "1") == "0":
        return None
    base = f"http://127.0.0.1:{port}"
    env["RENTCAL_CALDAV_DEMO_URL"] = base
    print(f"CalDAV demo server: {base} (driver@demo.test / {DEMO_PASSWORD})", flush=True)
    return [sys.executable, "-m", "rentcal.caldav_demo", "--port", str(port), "--storage", str(data_dir / "caldav")]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Radicale with Rentcal's demo CalDAV accounts")
    parser.add_argument("--port", type=int, default=CALDAV_DEMO_PORT)
    parser.add_argument("--storage", type=Path, required=True)
    args = parser.parse_args(argv)
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    with run_caldav_server(args.storage, port=args.port):
        try:
            while not stop:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
