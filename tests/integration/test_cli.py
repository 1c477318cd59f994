"""The `rentcal` command as a user runs it."""

import os
import subprocess
import sys

import httpx

from rental.accounts import authenticate
from rental.tables import Booking, Company, Product, StaffUser
from tests.support.services import ROOT


def rentcal(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rentcal.cli", *args],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


async def test_seed_demo_then_token_create_prints_only_a_working_token(live_server: str) -> None:
    first = rentcal("seed", "--demo")
    assert "demo data" in first.stdout
    assert "already present" in rentcal("seed", "--demo").stdout
    company = await Company.select().where(Company.slug == "demo").first()
    assert company is not None and company["timezone"] == "America/Los_Angeles"
    roles = {r["email"]: r["role"] for r in await StaffUser.select().where(StaffUser.company == company["id"])}
    assert roles == {"manager@demo.test": "manager", "driver@demo.test": "driver", "tech@demo.test": "technician"}
    staff = await authenticate("manager@demo.test", "rentcal-demo")
    assert staff.role == "manager"
    excavator = (
        await Product.select().where((Product.company == company["id"]) & (Product.name == "Excavator XL")).first()
    )
    assert excavator is not None
    assert await Booking.count().where(Booking.company == company["id"]) > 20

    token = rentcal("token", "create", "--email", "manager@demo.test").stdout
    assert token.strip().startswith("rc_") and len(token.strip().splitlines()) == 1
    response = httpx.get(f"{live_server}/api/v1/products", headers={"Authorization": f"Bearer {token.strip()}"})
    assert response.status_code == 200
    assert {p["name"]: p["unit_count"] for p in response.json()}["Excavator XL"] == 2


def test_token_for_unknown_email_fails_clearly() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rentcal.cli", "token", "create", "--email", "nobody@x.test"],
        cwd=ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "no staff member" in result.stderr


def test_a_bad_stand_in_port_setting_is_refused_with_its_name() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "rentcal.cli", "up"],
        cwd=ROOT,
        env={**os.environ, "RENTCAL_SMTP_SINK_PORT": "smtp"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "RENTCAL_SMTP_SINK_PORT must be a port number (1-65535), not 'smtp'" in result.stderr
