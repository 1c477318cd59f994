"""Item 5: schemathesis generates requests for every operation of /schema/openapi.json of the live server,
anonymous and with a manager's bearer token, and checks that none answers a server error and that every
answer (status, content type, headers, body) is one the schema documents.

Bounded: at most MAX_EXAMPLES generated cases per operation and phase, and `--max-time` for each run
(schemathesis stops generating when it is spent). Deterministic: a fixed seed and deterministic
generation. Isolated: path parameters point into a company made for this test, which is deleted at the
end (with everything the generated requests created in it).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rental.tables import Company
from tests.factories import make_api_token, make_product, make_tenant
from tests.security.conftest import as_client
from tests.support.services import ROOT

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
]
MAX_EXAMPLES = 10
BUDGET_SECONDS = {"anonymous": 35, "manager": 60}
STARTS = "2027-09-06T08:00:00-07:00"


@pytest.fixture
async def company(live_server: str) -> AsyncIterator[dict[str, Any]]:
    """A company with a product, a booking, maintenance, a delivery and a block-out; deleted afterwards."""
    tenant = await make_tenant()
    token = await make_api_token(tenant, "manager")
    product, units = await make_product(tenant, units=2)
    window = {"starts_at": STARTS, "ends_at": "2027-09-08T17:00:00-07:00"}
    async with httpx.AsyncClient(
        base_url=live_server, headers={"Authorization": f"Bearer {token}", **as_client()}, timeout=30
    ) as api:

        async def created(path: str, body: dict[str, Any]) -> int:
            response = await api.post(path, json=body)
            assert response.status_code == 201, response.text
            return int(response.json()["id"])

        booking = await created(
            "/api/v1/bookings",
            {**window, "product_id": product, "customer": {"name": "Casey", "email": "casey@example.test"}},
        )
        ids = {
            "company_slug": tenant.slug,
            "product_id": product,
            "booking_id": booking,
            "maintenance_id": await created("/api/v1/maintenance", {"unit_id": units[1], **window}),
            "delivery_id": await created(
                "/api/v1/deliveries",
                {"booking_id": booking, "kind": "delivery", "address": "1 Main St", **window},
            ),
            "block_id": await created(
                "/api/v1/calendar_availability",
                {
                    "unit_id": units[1],
                    "blocked_from": "2027-10-01T00:00:00-07:00",
                    "blocked_until": "2027-10-02T00:00:00-07:00",
                    "reason": "Paint",
                },
            ),
        }
    yield {"token": token, "ids": ids}
    await Company.delete().where(Company.id == tenant.id)


def _config(path: Path, ids: dict[str, Any]) -> Path:
    """Path parameters named after our resources take their ids, so requests reach the handlers' logic."""
    lines = ["[parameters]"] + [f'"path.{name}" = {value!r}'.replace("'", '"') for name, value in ids.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("who", ["anonymous", "manager"])
async def test_generated_requests_get_documented_answers_and_no_server_error(
    live_server: str, company: dict[str, Any], who: str, tmp_path: Path
) -> None:
    auth = ["-H", f"Authorization: Bearer {company['token']}"] if who == "manager" else []
    command = [
        str(Path(sys.executable).parent / "st"),
        "--config-file",
        str(_config(tmp_path / "schemathesis.toml", company["ids"])),
        "run",
        f"{live_server}/schema/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--max-time",
        str(BUDGET_SECONDS[who]),
        "--seed",
        "20261202",
        "--generation-deterministic",
        # one worker: CPython 3.11 can fail `ast.parse` run from two threads at once ("AST constructor
        # recursion depth mismatch"), which hypothesis does while describing schemathesis' filters
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
        *auth,
    ]
    # the hooks give every request its own client address, so the public rate limit lets them through
    env = {**os.environ, "SCHEMATHESIS_HOOKS": "tests.security.openapi_hooks", "PYTHONPATH": str(ROOT)}
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    report = result.stdout + result.stderr
    assert result.returncode == 0, report[-8000:]
    operations = sum(len(item) for item in httpx.get(f"{live_server}/schema/openapi.json").json()["paths"].values())
    assert re.search(rf"Tested:\s+{operations}\b", report), report[-3000:]
