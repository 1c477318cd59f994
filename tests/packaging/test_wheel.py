"""The built wheel, installed into a fresh virtual environment outside the source tree, on a machine
with nothing set up: `rentcal up` brings up the portal, the widget, the stand-ins and mails an
invitation, with data in the user data directory (never inside site-packages).

Slow by nature (building the wheel and installing its dependencies: pip's cache helps)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest

from tests.support.net import free_port, wait_until_up
from tests.support.services import ROOT
from tests.support.up import UpProcess


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(out), str(ROOT)],
        check=True,
        timeout=600,
    )
    [built] = out.glob("rentcal-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with the wheel and its (runtime only) dependencies."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([venv / "bin" / "pip", "install", "--quiet", str(wheel)], check=True, timeout=1200)
    return venv


@pytest.fixture(scope="module")
def bare_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Nothing configured: no database, no Redis, no SMTP, no Google credentials, a fresh home."""
    home = tmp_path_factory.mktemp("home")
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "XDG_DATA_HOME": str(home / "data")}


def test_the_wheel_ships_templates_static_files_migrations_and_the_discovery_document(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in [
        "rentcal/templates/portal/login.html",
        "rentcal/templates/widget/page.html",
        "rentcal/templates/emails/invite.txt",
        "rentcal/templates/emails/invite.html",
        "portal/static/htmx.min.js",
        "widget/static/embed.js",
        "sandboxes/google/calendar.v3.json",
        "migrations/rental/__init__.py",
        "migrations/calendars/__init__.py",
    ]:
        assert name in names, name
    sources = {p.relative_to(ROOT / "templates").as_posix() for p in (ROOT / "templates").rglob("*") if p.is_file()}
    assert {f"rentcal/templates/{s}" for s in sources} <= names
    assert not any(n.startswith(("templates/", "tests/", "bench/", ".data/")) for n in names)


@pytest.fixture(scope="module")
def running(installed: Path, bare_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    command = [str(installed / "bin" / "rentcal"), "up", "--port", str(port), "--google-sandbox-port", "0"]
    up = UpProcess([*command, "--smtp-sink-port", "0"], bare_env, tmp_path_factory.mktemp("cwd"))
    try:
        up.wait_for("Rentcal is running at", timeout=300)
        yield f"http://127.0.0.1:{port}"
    finally:
        code = up.stop()
    assert code == 0, up.output


def test_installed_rentcal_serves_the_login_page_and_the_widget(running: str, bare_env: dict[str, str]) -> None:
    login = httpx.get(f"{running}/login")
    assert login.status_code == 200 and 'name="password"' in login.text
    assert httpx.get(f"{running}/static/htmx.min.js").status_code == 200
    products = httpx.get(f"{running}/public/v1/demo/products").json()
    excavator = next(p for p in products if p["name"] == "Excavator XL")
    widget = httpx.get(f"{running}/widget/demo/{excavator['id']}")
    assert widget.status_code == 200 and "Excavator XL" in widget.text
    assert httpx.get(f"{running}/widget/embed.js").status_code == 200
    data = Path(bare_env["XDG_DATA_HOME"]) / "rentcal"
    assert (data / "pg" / "PG_VERSION").is_file()  # the embedded PostgreSQL lives in the user data dir


def test_installed_rentcal_mails_an_invitation(running: str, installed: Path, bare_env: dict[str, str]) -> None:
    token = subprocess.run(
        [installed / "bin" / "rentcal", "token", "create", "--email", "manager@demo.test"],
        env=bare_env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    [booking, *_] = httpx.get(f"{running}/api/v1/bookings", params={"status": "confirmed"}, headers=headers).json()
    sent = httpx.post(f"{running}/api/v1/bookings/{booking['id']}/send_calendar_invite", headers=headers)
    assert sent.status_code == 202, sent.text
    # the installed worker also mails the demo's reminders into this Maildir: pick the invitation out
    mail = _wait_for_mail(Path(bare_env["XDG_DATA_HOME"]) / "rentcal" / "mail", f"booking #{booking['id']}")
    text = mail.get_body(("plain",))
    assert text is not None and f"booking #{booking['id']}" in text.get_content()
    assert mail.get_body(("html",)) is not None
    invite = next(p for p in mail.walk() if p.get_content_type() == "text/calendar")
    assert "METHOD:REQUEST" in invite.get_content()


def _wait_for_mail(maildir: Path, mentioning: str, timeout: float = 60) -> EmailMessage:
    """The first mail whose plain text mentions `mentioning`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted((maildir / "new").glob("*")) + sorted((maildir / "cur").glob("*")):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            assert isinstance(message, EmailMessage)
            text = message.get_body(("plain",))
            if text is not None and mentioning in text.get_content():
                return message
        time.sleep(0.5)
    raise AssertionError(f"no mail mentioning {mentioning!r} in {maildir} within {timeout}s")


def test_installed_sandbox_runs_without_the_dev_extras(installed: Path, bare_env: dict[str, str]) -> None:
    """The Google sandbox validates against the discovery document shipped in the package."""
    found = subprocess.run(
        [
            installed / "bin" / "python",
            "-c",
            "import importlib.util as u; print(u.find_spec('googleapiclient'))",
        ],
        env=bare_env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip() == "None"
    port = free_port()
    sandbox = subprocess.Popen(
        [installed / "bin" / "python", "-m", "sandboxes.google", "--port", str(port)], env=bare_env, cwd=os.sep
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/_sandbox/health")
        document = httpx.get(f"http://127.0.0.1:{port}/discovery/v1/apis/calendar/v3/rest").json()
        assert "calendar.events.insert" in str(document["resources"]["events"]["methods"]["insert"]["id"])
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
