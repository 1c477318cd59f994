"""The calendar feeds page is POST-redirect-GET: a reload after creating a feed creates no second one, the new
link is shown once (on the page the form leads to), and refusals arrive there as a message."""

from __future__ import annotations

import html
import re

import httpx

from calendars.ical_tables import FeedImport, FeedSubscription
from tests.factories import make_staff, make_tenant
from tests.support.portal import signed_in


async def test_feed_forms_redirect_and_a_reload_posts_nothing(live_server: str) -> None:
    tenant = await make_tenant()
    manager, email = await make_staff(tenant, "manager")
    _, driver_email = await make_staff(tenant, "driver")
    async with signed_in(live_server, email) as client:
        created = await client.post("/portal/feeds/subscriptions", data={"kind": "company", "name": "Everything"},
                                    follow_redirects=False)  # fmt: skip
        assert created.status_code == 303 and created.headers["location"] == "/portal/feeds"
        page = await client.get("/portal/feeds")
        assert "Your link for “Everything”" in page.text
        found = re.search(r'id="link-https" readonly value="([^"]+)"', page.text)
        assert found
        async with httpx.AsyncClient(timeout=30) as calendar_app:
            feed = await calendar_app.get(html.unescape(found.group(1)))
        assert feed.status_code == 200 and feed.text.startswith("BEGIN:VCALENDAR")
        reload = await client.get("/portal/feeds")  # what a reload does now: a GET, and the link is not repeated
        assert "Your link for" not in reload.text
        assert await FeedSubscription.count().where(FeedSubscription.owner == manager) == 1

        subscription = (await FeedSubscription.select(FeedSubscription.id).where(FeedSubscription.owner == manager))[0]
        revoked = await client.post(f"/portal/feeds/subscriptions/{subscription['id']}/revoke", follow_redirects=False)
        assert revoked.status_code == 303
        assert "Feed revoked: its link no longer works." in (await client.get("/portal/feeds")).text

        refused = await client.post("/portal/feeds/imports", data={"url": "not an address", "name": "Bad"})
        assert refused.status_code == 200 and str(refused.url).endswith("/portal/feeds")
        assert 'class="error" role="alert"' in refused.text
        assert await FeedImport.count().where(FeedImport.company == tenant.id) == 0

    async with signed_in(live_server, driver_email) as client:
        denied = await client.post("/portal/feeds/subscriptions", data={"kind": "company"})
        assert str(denied.url).endswith("/portal/feeds") and "a driver cannot subscribe to" in denied.text
