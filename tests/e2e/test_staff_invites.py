"""Inviting a person to the team in a real browser, with the real worker and SMTP sink: the settings form, the
mail, the join page (axe-clean), and the new person landing on their role's home page."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.test_team_and_today import no_serious_axe_violations
from tests.factories import make_staff, make_tenant
from tests.ical_integration.helpers import unique_email
from tests.ical_integration.sink import session_sink, wait_for_mails
from tests.support.portal import log_in
from tests.support.worker import WorkerHandle

session_sink()  # before live_server / worker_process start: they inherit RENTCAL_SMTP_URL
pytestmark = pytest.mark.e2e


async def test_a_manager_invites_a_technician_who_joins(
    page: Page, browser: Browser, live_server: str, worker_process: WorkerHandle
) -> None:
    tenant = await make_tenant(name="Crane & Co")
    _, email = await make_staff(tenant, "manager")
    invitee = unique_email("tove")
    await log_in(page, live_server, email)
    await page.goto(f"{live_server}/portal/settings")
    await page.fill("#invite-email", invitee)
    await page.select_option("#invite-role", "technician")
    await page.get_by_role("button", name="Send invitation").click()
    await expect(page.get_by_role("status")).to_contain_text(f"Invitation sent to {invitee}.")
    await expect(page.get_by_role("button", name=f"Withdraw the invitation to {invitee}")).to_be_visible()
    await no_serious_axe_violations(page)

    (mail,) = await wait_for_mails(invitee, 1)
    found = re.search(r"(http://\S+/join/[A-Za-z0-9_-]+)", mail.get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert found
    stranger = await browser.new_context()
    joining = await stranger.new_page()
    await joining.goto(found.group(1))
    await expect(joining.get_by_role("heading", name="Join Crane & Co")).to_be_visible()
    await no_serious_axe_violations(joining)
    await joining.fill("#name", "Tove Technician")
    await joining.fill("#password", "a-long-password")
    await joining.fill("#repeated", "a-long-password")
    await joining.get_by_role("button", name="Join and log in").click()
    await expect(joining.locator("header.top .who")).to_contain_text("Tove Technician · technician · Crane & Co")
    await joining.goto(found.group(1))
    await expect(joining.get_by_role("heading", name="This invitation was already accepted")).to_be_visible()
    await no_serious_axe_violations(joining)
    await stranger.close()
