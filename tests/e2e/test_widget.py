"""The widget as a visitor meets it: embedded by the snippet in a page of ANOTHER origin."""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import date, datetime, time, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Frame, Page, expect

from rental.tables import Booking, Company
from tests.factories import make_product, make_staff, make_tenant
from tests.support.net import free_port
from tests.support.portal import log_in

pytestmark = pytest.mark.e2e
LA = ZoneInfo("America/Los_Angeles")
PAGES: dict[str, str] = {}

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Acme Hire</title></head>
<body><main><h1>Acme Hire</h1>
{snippets}
</main>
<script>
  window.rentcalEvents = [];
  ["rentcal:dates-selected", "rentcal:booking-requested"].forEach(function (type) {{
    document.addEventListener(type, function (e) {{
      window.rentcalEvents.push({{type: type, target: e.target.id, detail: e.detail}});
    }});
  }});
</script>
</body></html>"""


class _HostPages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGES.get(self.path, "").encode()
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def host_site() -> Iterator[str]:
    """A plain third-party site on `localhost` and its own port; the widget lives on 127.0.0.1."""
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _HostPages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
async def visitor(browser: Browser) -> AsyncIterator[Page]:
    """A browser of its own for the site visitor (the `page` fixture is the manager's)."""
    context = await browser.new_context()
    yield await context.new_page()
    await context.close()


def host_page(path: str, live_server: str, *widgets: dict[str, str]) -> str:
    snippets = "\n<p>More to hire:</p>\n".join(
        f'<script src="{live_server}/widget/embed.js" '
        + " ".join(f'data-{k}="{v}"' for k, v in widget.items())
        + " async></script>"
        for widget in widgets
    )
    PAGES[path] = HOST_PAGE.format(snippets=snippets)
    return path


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 10) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.05)


async def frame_of(page: Page, index: int) -> Frame:
    handle = await page.locator("iframe").nth(index).element_handle()
    assert handle is not None
    frame = await handle.content_frame()
    assert frame is not None
    await frame.wait_for_load_state()
    await expect(frame.locator("#rc-month")).to_be_visible()
    return frame


async def fits_content(page: Page, index: int, frame: Frame) -> bool:
    box = await page.locator("iframe").nth(index).bounding_box()
    content = await frame.evaluate("Math.ceil(document.documentElement.getBoundingClientRect().height)")
    return box is not None and abs(box["height"] - content) <= 1


def next_month() -> date:
    today = datetime.now(LA).date()
    return (today.replace(day=28) + timedelta(days=4)).replace(day=1)


def long_date(day: date) -> str:
    return f"{day:%A}, {day:%B} {day.day}, {day.year}"


async def test_visitor_requests_a_booking_with_the_mouse_around_a_portal_block(
    page: Page, visitor: Page, live_server: str, host_site: str
) -> None:
    tenant = await make_tenant(name="Acme Hire")
    loader, _ = await make_product(tenant, units=1, name="Compact loader")
    compactor, _ = await make_product(tenant, units=1, name="Plate compactor")
    _, email = await make_staff(tenant, "manager")
    pickup = next_month() + timedelta(days=9)
    closed = pickup + timedelta(days=2)

    # the manager closes the company for a day on the portal's block-outs page
    await log_in(page, live_server, email)
    await page.goto(f"{live_server}/portal/blocks")
    await page.select_option("#k-applies", "company")
    await page.fill("#k-from", str(closed))
    await page.fill("#k-reason", "Stocktaking")
    await page.click("text=Add block")
    await expect(page.get_by_role("status")).to_contain_text("added")
    await expect(page.locator("#blocks-table")).to_contain_text("Stocktaking")
    async with httpx.AsyncClient(base_url=live_server) as client:
        public = await client.get(
            f"/public/v1/{tenant.slug}/products/{loader}/availability", params={"from": closed, "to": closed}
        )
    assert public.json()["days"][0] | {"available_units": 0} == {
        "date": str(closed), "status": "closed", "available_units": 0, "total_units": 1, "reason": "Stocktaking"
    }  # fmt: skip

    path = host_page(
        "/mouse.html",
        live_server,
        {"company": tenant.slug, "product": str(loader)},
        {"company": tenant.slug, "product": str(compactor), "locale": "de", "accent": "#8a3b00", "first-day": "1"},
    )
    await visitor.goto(host_site + path)
    await expect(visitor.locator("iframe")).to_have_count(2)
    ids = [await visitor.locator("iframe").nth(i).get_attribute("id") for i in (0, 1)]
    assert ids[0] != ids[1] and all(i and i.startswith("rentcal-") for i in ids)
    sandbox = await visitor.locator("iframe").nth(0).get_attribute("sandbox")
    assert sandbox == "allow-scripts allow-forms allow-same-origin"
    widget = await frame_of(visitor, 0)
    other = await frame_of(visitor, 1)
    await expect(other.locator("h1")).to_contain_text("Plate compactor")
    await expect(other.locator("#rc-help")).to_contain_text("Wählen Sie einen Abholtag")

    await widget.click("#rc-next")
    await expect(widget.locator("#rc-month-title")).to_have_text(f"{pickup:%B %Y}")
    closed_cell = widget.locator(f"#rc-{closed}")
    await expect(closed_cell).to_have_attribute("data-status", "closed")
    await expect(closed_cell).to_have_attribute("aria-label", f"{long_date(closed)}, closed: Stocktaking")
    await expect(closed_cell).to_contain_text("Stocktaking")
    await eventually(lambda: fits_content(visitor, 0, widget))
    height_before = (await visitor.locator("iframe").nth(0).bounding_box() or {})["height"]

    await widget.click(f"#rc-{pickup}")
    await expect(widget.get_by_role("status").first).to_have_text(
        f"Pickup {long_date(pickup)}. Now choose the return day."
    )
    # once the pickup day is chosen the closed day is disabled as a return day, with the reason
    refusal = f"We are closed on {long_date(closed)}, so there is no return that day."
    await expect(closed_cell).to_have_attribute("data-return-refusal", refusal)
    await expect(closed_cell).to_have_attribute("aria-disabled", "true")
    await widget.click(f"#rc-{closed}", force=True)  # a click on a disabled day says why
    await expect(widget.locator("#rc-error")).to_have_text(refusal)
    await expect(widget.locator("#rc-error")).to_have_attribute("role", "alert")
    await expect(widget.locator('td[aria-selected="true"]')).to_have_count(1)
    # a closure stops handover, not the rental: the range may run over the closed day
    await widget.click(f"#rc-{pickup + timedelta(days=4)}")
    await expect(widget.locator('td[aria-selected="true"]')).to_have_count(5)
    await expect(widget.locator("#rc-return-text")).to_have_text(f"{long_date(pickup + timedelta(days=4))}, by 5:00 PM")
    await widget.click(f"#rc-{pickup}")  # start again: a new pickup
    await expect(widget.locator('td[aria-selected="true"]')).to_have_count(1)

    await widget.click(f"#rc-{pickup + timedelta(days=1)}")
    await expect(widget.locator('td[aria-selected="true"]')).to_have_count(2)
    await expect(widget.locator("#rc-pickup-text")).to_have_text(f"{long_date(pickup)}, from 8:00 AM")
    await expect(widget.locator("#rc-return-text")).to_have_text(f"{long_date(pickup + timedelta(days=1))}, by 5:00 PM")
    await eventually(lambda: fits_content(visitor, 0, widget))
    height_with_form = (await visitor.locator("iframe").nth(0).bounding_box() or {})["height"]
    assert height_with_form > height_before + 100

    await widget.fill("#rc-name", "Mo Mouse")
    await widget.fill("#rc-email", "mo@example.test")
    await widget.fill("#rc-phone", "+1 555 0100")
    await widget.click("text=Request booking")
    await expect(widget.locator("#rc-done")).to_contain_text("Thank you!")
    await eventually(lambda: fits_content(visitor, 0, widget))
    assert (await visitor.locator("iframe").nth(0).bounding_box() or {})["height"] < height_with_form

    booking = await Booking.select().where(Booking.product == loader).first()
    assert booking is not None and booking["status"] == "pending"
    assert booking["starts_at"] == datetime.combine(pickup, time(8), tzinfo=LA)
    assert booking["ends_at"] == datetime.combine(pickup + timedelta(days=1), time(17), tzinfo=LA)
    events = await visitor.evaluate("window.rentcalEvents")
    assert events[0]["detail"]["to"] == str(pickup + timedelta(days=4))  # the range over the closed day
    assert events[1:] == [
        {
            "type": "rentcal:dates-selected",
            "target": ids[0],
            "detail": {
                "widgetId": ids[0],
                "company": tenant.slug,
                "product": str(loader),
                "from": str(pickup),
                "to": str(pickup + timedelta(days=1)),
            },
        },
        {
            "type": "rentcal:booking-requested",
            "target": ids[0],
            "detail": {"widgetId": ids[0], "company": tenant.slug, "product": str(loader), "bookingId": booking["id"]},
        },
    ]
    await expect(other.locator('td[aria-selected="true"]')).to_have_count(0)  # the other widget is untouched

    # the manager sees the request in the portal
    await page.goto(f"{live_server}/portal/bookings?from={pickup}")
    row = page.locator(f"#booking-{booking['id']}")
    await expect(row).to_contain_text("Mo Mouse")
    await expect(row).to_contain_text("pending")


async def test_keyboard_alone_selects_clears_and_requests(visitor: Page, live_server: str, host_site: str) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1, name="Mini digger")
    first = next_month()
    path = host_page("/keys.html", live_server, {"company": tenant.slug, "product": str(product)})
    await visitor.goto(host_site + path)
    widget = await frame_of(visitor, 0)
    keys = visitor.keyboard

    async def focused() -> str:
        return str(await widget.evaluate("document.activeElement.dataset.date || document.activeElement.id"))

    await keys.press("Tab")  # "previous month" is disabled in the current month
    assert await focused() == "rc-next"
    await keys.press("Enter")
    await expect(widget.locator("#rc-month-title")).to_have_text(f"{first:%B %Y}")
    assert await focused() == "rc-next"
    await expect(widget.locator(f"#rc-{first}")).to_have_attribute("tabindex", "0")  # one day in the tab order
    await expect(widget.locator('td[tabindex="0"]')).to_have_count(1)
    await keys.press("Tab")
    assert await focused() == str(first)
    outline = await widget.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # visible focus

    await keys.press("ArrowUp")  # into the previous month and back
    await expect(widget.locator("#rc-month-title")).not_to_have_text(f"{first:%B %Y}")
    await eventually(lambda: _is(focused, str(first - timedelta(days=7))))
    await keys.press("ArrowDown")
    await eventually(lambda: _is(focused, str(first)))

    for _ in range(9):
        await keys.press("ArrowRight")
    await keys.press("ArrowDown")
    await keys.press("ArrowUp")
    pickup = first + timedelta(days=9)
    assert await focused() == str(pickup)
    await keys.press("Enter")
    await keys.press("ArrowRight")
    await keys.press("ArrowRight")
    await keys.press("Enter")
    await expect(widget.locator('td[aria-selected="true"]')).to_have_count(3)
    await expect(widget.locator("#rc-form")).to_be_visible()

    await keys.press("Escape")
    await expect(widget.locator('td[aria-selected="true"]')).to_have_count(0)
    await expect(widget.locator("#rc-status")).to_have_text("Selection cleared.")
    await expect(widget.locator("#rc-form")).to_have_count(0)

    await keys.press("Enter")
    await keys.press("ArrowRight")
    await keys.press("Enter")
    await expect(widget.locator("#rc-status")).to_have_text(
        f"{long_date(pickup + timedelta(days=2))} to {long_date(pickup + timedelta(days=3))} selected."
    )
    await expect(widget.locator("#rc-form")).to_be_visible()
    await keys.press("Tab")
    assert await focused() == "rc-name"
    await keys.type("Kim Keys")
    await keys.press("Tab")
    await keys.type("kim@example.test")
    await keys.press("Tab")
    assert await focused() == "rc-phone"
    await keys.press("Tab")
    assert await widget.evaluate("document.activeElement.type") == "submit"
    await keys.press("Enter")
    await expect(widget.locator("#rc-done")).to_contain_text("Thank you!")

    booking = await Booking.select().where(Booking.product == product).first()
    assert booking is not None and booking["status"] == "pending"
    assert booking["starts_at"] == datetime.combine(pickup + timedelta(days=2), time(8), tzinfo=LA)
    assert booking["ends_at"] == datetime.combine(pickup + timedelta(days=3), time(17), tzinfo=LA)


async def _is(current: Callable[[], Awaitable[str]], expected: str) -> bool:
    return await current() == expected


@pytest.mark.parametrize("locale", ["en", "de"])
async def test_axe_finds_no_serious_or_critical_violations(page: Page, live_server: str, locale: str) -> None:
    tenant = await make_tenant()
    product, _ = await make_product(tenant, units=1, name="Tile saw")
    first = next_month()
    await page.goto(f"{live_server}/widget/{tenant.slug}/{product}?locale={locale}&month={first:%Y-%m}")
    await page.click(f"#rc-{first + timedelta(days=3)}")
    await page.click(f"#rc-{first + timedelta(days=4)}")
    await page.fill("#rc-email", "not-an-email")
    await page.click("button[type=submit]")
    await expect(page.locator("#rc-email-error")).to_be_visible()  # the form with its error states
    results = await Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], [n["target"] for n in v["nodes"]]) for v in serious]


async def frame_at(page: Page, index: int) -> Frame:
    handle = await page.locator("iframe").nth(index).element_handle()
    assert handle is not None
    frame = await handle.content_frame()
    assert frame is not None
    await frame.wait_for_load_state()
    return frame


async def test_thanks_takes_focus_and_a_german_widget_speaks_german_from_monday(
    visitor: Page, live_server: str, host_site: str
) -> None:
    tenant = await make_tenant(name="Baumaschinen Berg")
    hours = {d: ["08:00", "17:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    await Company.update({Company.business_hours: hours}).where(Company.id == tenant.id)
    product, _ = await make_product(tenant, units=1, name="Rüttelplatte")
    first = next_month()
    monday = first + timedelta(days=-first.weekday() % 7 + 7)
    path = host_page("/deutsch.html", live_server, {"company": tenant.slug, "product": str(product), "locale": "de"})
    await visitor.goto(host_site + path)
    widget = await frame_of(visitor, 0)
    # no data-first-day: the German widget starts its weeks on Monday
    await expect(widget.locator("thead th").first).to_have_attribute("abbr", "Montag")
    await widget.click("#rc-next")
    saturday = widget.locator(f"#rc-{monday + timedelta(days=5)}")
    await expect(saturday).to_have_attribute("data-status", "closed")
    await expect(saturday).to_contain_text("Geschlossen")  # not the English default word
    await expect(saturday).to_have_attribute("aria-label", re.compile(r"geschlossen: Geschlossen$"))
    assert "Closed" not in await widget.locator("#rc-month").inner_text()

    await widget.click(f"#rc-{monday}")
    await widget.click(f"#rc-{monday + timedelta(days=1)}")
    await expect(widget.locator("#rc-status")).to_contain_text("gewählt")
    await widget.fill("#rc-name", "Berta Berg")
    await widget.fill("#rc-email", "berta@example.test")
    await widget.click("text=Buchung anfragen")
    await expect(widget.locator("#rc-done")).to_contain_text("Vielen Dank!")
    # the old "... gewählt." status is gone and focus is on the confirmation
    await expect(widget.locator("#rc-status")).to_have_text("")
    await expect(widget.locator("#rc-done-title")).to_be_focused()


async def test_a_wrong_company_or_product_shows_a_friendly_message_in_the_frame(
    visitor: Page, live_server: str, host_site: str
) -> None:
    tenant = await make_tenant()
    hidden, _ = await make_product(tenant, units=1, public=False)
    path = host_page(
        "/wrong.html",
        live_server,
        {"company": "no-such-company", "product": "1"},
        {"company": tenant.slug, "product": "999999", "locale": "de"},
        {"company": tenant.slug, "product": "excavator"},
        {"company": tenant.slug, "product": str(hidden)},
    )
    await visitor.goto(host_site + path)
    await expect(visitor.locator("iframe")).to_have_count(4)
    for index, message in enumerate(
        [
            "This availability calendar cannot be shown.",
            "Dieser Verfügbarkeitskalender kann nicht angezeigt werden.",
            "This availability calendar cannot be shown.",
            "This availability calendar cannot be shown.",
        ]
    ):
        frame = await frame_at(visitor, index)
        await expect(frame.get_by_role("alert")).to_contain_text(message)
        text = await frame.locator("body").inner_text()
        assert "problem" not in text and "{" not in text and "not found" not in text, text
